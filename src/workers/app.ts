/** The HTTP surface: /graphql (yoga; GraphiQL for browsers), /healthz, CORS, body limits, logs. */

import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { Hono } from 'hono/tiny';
import { shardBindings } from '../db/shards.ts';
import { authenticate } from '../domain/auth.ts';
import { createLogger } from '../domain/log.ts';
import { yoga } from '../graph/yoga.ts';
import type { AppEnv } from './app-env.ts';
import { createLineAuthStore } from './clients/line-auth-store.ts';
import { createOutbox } from './clients/outbox.ts';
import { createTokens } from './clients/tokens.ts';
import { decisionRoutes } from './decision-routes.ts';
import { digestRoutes } from './digest-page.ts';
import { graphiqlPage, wantsGraphiQL } from './graphiql-page.ts';
import { lineRoutes } from './line-routes.ts';

export const MAX_BODY_BYTES = 2 * 1024 * 1024;

function corsOrigins(env: Env): string[] {
  return env.CORS_ORIGINS.split(',')
    .map((o) => o.trim())
    .filter(Boolean);
}

export const app = new Hono<AppEnv>();

app.use('*', async function requestContext(c, next) {
  const requestId = c.req.header('x-request-id')?.slice(0, 64) || crypto.randomUUID();
  const log = createLogger({ requestId });
  c.set('requestId', requestId);
  c.set('log', log);
  const started = Date.now();
  await next();
  c.header('x-request-id', requestId);
  log.info('request', {
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Date.now() - started,
  });
});

app.use('/graphql', (c, next) =>
  cors({
    origin: (origin) => (corsOrigins(c.env).includes(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'X-Request-Id'],
    exposeHeaders: ['X-Request-Id'],
    maxAge: 600,
  })(c, next),
);

app.use(
  '*',
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new HTTPException(413, { message: 'Request body too large' });
    },
  }),
);

async function shardAnswers(d1: D1Database): Promise<boolean> {
  try {
    return (await d1.prepare('select 1 as ok').first<{ ok: number }>())?.ok === 1;
  } catch {
    return false;
  }
}

app.get('/healthz', async (c) => {
  const shards = await Promise.all(shardBindings(c.env).map(shardAnswers));
  const ok = shards.every(Boolean);
  return c.json({ ok, service: 'renkei', shards: shards.length }, ok ? 200 : 503);
});

const GRAPHQL_BODY_TYPES = [
  'application/json',
  'application/graphql',
  'application/x-www-form-urlencoded',
];

// A browser opening /graphql gets GraphiQL (its files are static assets under /graphiql/).
app.get('/graphql', (c, next) => (wantsGraphiQL(c.req.raw) ? graphiqlPage() : next()));

app.on(['GET', 'POST'], '/graphql', async function graphql(c) {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (c.req.method === 'POST' && !GRAPHQL_BODY_TYPES.includes(type ?? '')) {
    throw new HTTPException(415, { message: 'POST /graphql needs Content-Type: application/json' });
  }
  const ctx = {
    env: c.env,
    requestId: c.get('requestId'),
    log: c.get('log'),
    outbox: createOutbox(c.env),
    lineAuth: createLineAuthStore(c.env),
    tokens: createTokens(c.env),
  };
  // Subscriptions (GraphQL over SSE) run in the tenant's DeliveryHub, which holds the
  // pub/sub; the Worker verifies the caller and hands the object the principal by RPC.
  if (c.req.header('accept')?.includes('text/event-stream')) {
    const principal = await authenticate(c.env, c.req.header('authorization')).catch(() => null);
    if (principal) {
      const hub = c.env.DELIVERY_HUB.getByName(principal.tenantId);
      return hub.subscribe(c.req.raw, principal, ctx.requestId);
    }
  }
  return yoga.fetch(c.req.raw, ctx);
});

app.route('/line', lineRoutes);
app.route('/digests', digestRoutes);
app.route('/', decisionRoutes);

app.notFound((c) => c.json({ error: 'Not found' }, 404));

app.onError(function handleError(err, c) {
  if (err instanceof HTTPException) return c.json({ error: err.message }, err.status);
  c.get('log')?.error('unhandled error', {
    error: `${err.name}: ${err.message}`,
    stack: err.stack,
  });
  return c.json({ error: 'Internal error', requestId: c.get('requestId') }, 500);
});
