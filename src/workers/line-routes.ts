/**
 * LINE's two entry points (ARCHITECTURE.md, "Who talks to it"): `GET /line/callback`, where LINE
 * Login returns the member, and `POST /line/webhook/:tenant`, the Messaging API webhook. Neither
 * carries a Renkei token: the callback is state-checked, the webhook signature-checked.
 */
import { Hono } from 'hono/tiny';
import { findTenantDb, noTenantDb } from '../db/shards.ts';
import { completeLineLogin, tenantOfState } from '../domain/line-link/login.ts';
import { handleLineWebhook } from '../domain/line-link/webhook.ts';
import type { AppEnv } from './app-env.ts';
import { createLineAuthStore } from './clients/line-auth-store.ts';
import { createTokens } from './clients/tokens.ts';
import { localeFromAcceptLanguage, pageStatus, renderCallbackPage } from './line-page.ts';
import { pageHeaders } from './page-headers.ts';

/** Mounted at `/line` by app.ts. */
export const lineRoutes = new Hono<AppEnv>();

const PAGE_HEADERS = pageHeaders('img-src data:');

lineRoutes.get('/callback', async function lineCallback(c) {
  // A state naming no placed tenant cannot be one of ours (states are made by signed-in
  // members); completeLineLogin refuses it without touching a database.
  const stateTenant = tenantOfState(c.req.query('state'));
  const db = (stateTenant && (await findTenantDb(c.env, stateTenant))) || noTenantDb();
  const outcome = await completeLineLogin(db, c.env, createLineAuthStore(c.env), c.get('log'), {
    state: c.req.query('state'),
    code: c.req.query('code'),
    error: c.req.query('error'),
  });
  c.get('log').info('line callback', { outcome: outcome.kind });
  const page = await renderCallbackPage(
    outcome,
    localeFromAcceptLanguage(c.req.header('accept-language')),
  );
  return c.body(page, pageStatus(outcome) as 200, PAGE_HEADERS);
});

lineRoutes.post('/webhook/:tenant', async function lineWebhook(c) {
  const tenantId = c.req.param('tenant');
  // The signature covers the exact bytes: read them raw, verify, and only then parse.
  const raw = await c.req.arrayBuffer();
  // A tenant that was never placed has no LINE channel secret: refused like a bad signature,
  // and the directory is not touched.
  const db = await findTenantDb(c.env, tenantId);
  const outcome = db
    ? await handleLineWebhook(
        db,
        c.env,
        createLineAuthStore(c.env),
        createTokens(c.env),
        c.get('log'),
        tenantId,
        raw,
        c.req.header('x-line-signature'),
        c.env.DELIVERY_QUEUE,
        c.req.header('content-type'),
      )
    : { status: 401 as const, handled: 0 };
  if (outcome.status !== 200) {
    c.get('log').warn('line webhook refused', { tenant: tenantId, status: outcome.status });
    return c.json(
      {
        error:
          outcome.status === 401
            ? 'Bad signature'
            : outcome.status === 415
              ? 'Unsupported media type'
              : 'Bad request',
      },
      outcome.status,
    );
  }
  return c.json({ ok: true });
});
