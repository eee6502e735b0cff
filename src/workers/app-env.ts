/** The hono environment of every route: the Worker's bindings and the per-request context. */
import type { Logger } from '../domain/log.ts';

export type AppEnv = { Bindings: Env; Variables: { requestId: string; log: Logger } };
