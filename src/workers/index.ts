/** Worker entry: HTTP (hono), queue consumers, cron sweeper and the Durable Object classes. */
import { app } from './app.ts';

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
