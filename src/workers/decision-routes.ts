/**
 * Where button clicks arrive (DECISIONS.md, "The flow"): `POST /slack/interactivity/:tenant`
 * and `POST /line-works/callback/:tenant` (LINE's postbacks come on its webhook, line-routes.ts).
 * No Renkei token: each request is signed by the platform and verified on the raw body before
 * it is parsed. An unknown tenant is refused like a bad signature, without touching the directory.
 */
import { Hono } from 'hono';
import { findTenantDb } from '../db/shards.ts';
import { handleLineWorksCallback } from '../domain/decisions/line-works-callback.ts';
import { handleSlackInteraction } from '../domain/decisions/slack-interaction.ts';
import { PROVIDER_TIMEOUT_MS } from '../domain/verify.ts';
import type { AppEnv } from './app-env.ts';
import { createTokens } from './clients/tokens.ts';

export const decisionRoutes = new Hono<AppEnv>();

const ANSWERS = {
  400: 'Bad request',
  401: 'Bad signature',
  415: 'Unsupported media type',
} as const;

decisionRoutes.post('/slack/interactivity/:tenant', async function slackInteractivity(c) {
  const tenantId = c.req.param('tenant');
  const raw = await c.req.arrayBuffer();
  const db = await findTenantDb(c.env, tenantId);
  const answer = db
    ? await handleSlackInteraction(
        {
          db,
          env: c.env,
          queue: c.env.DELIVERY_QUEUE,
          timeoutMs: Number(c.env.PROVIDER_TIMEOUT_MS) || PROVIDER_TIMEOUT_MS,
          log: c.get('log'),
        },
        tenantId,
        raw,
        {
          timestamp: c.req.header('x-slack-request-timestamp'),
          signature: c.req.header('x-slack-signature'),
          contentType: c.req.header('content-type'),
        },
      )
    : ({ status: 401 } as const);
  if (answer.status !== 200) {
    c.get('log').warn('slack interactivity refused', { tenant: tenantId, status: answer.status });
    return c.json({ error: ANSWERS[answer.status] }, answer.status);
  }
  return answer.json === undefined ? c.body(null, 200) : c.json(answer.json, 200);
});

decisionRoutes.post('/line-works/callback/:tenant', async function lineWorksCallback(c) {
  const tenantId = c.req.param('tenant');
  const raw = await c.req.arrayBuffer();
  const db = await findTenantDb(c.env, tenantId);
  const answer = db
    ? await handleLineWorksCallback(
        {
          db,
          env: c.env,
          queue: c.env.DELIVERY_QUEUE,
          tokens: createTokens(c.env),
          timeoutMs: Number(c.env.PROVIDER_TIMEOUT_MS) || PROVIDER_TIMEOUT_MS,
          log: c.get('log'),
        },
        tenantId,
        raw,
        {
          botId: c.req.header('x-works-botid'),
          signature: c.req.header('x-works-signature'),
          contentType: c.req.header('content-type'),
        },
      )
    : ({ status: 401 } as const);
  if (answer.status !== 200) {
    c.get('log').warn('line works callback refused', { tenant: tenantId, status: answer.status });
    return c.json({ error: ANSWERS[answer.status] }, answer.status);
  }
  return c.json({ ok: true });
});
