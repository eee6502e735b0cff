// Integration: forwarding decisions to WORKPLACE through the Worker's queue consumer, the real D1
// and queue, and the fake WORKPLACE (test/fakes/workplace.ts) on 127.0.0.1; reads through
// exports.default.fetch() (GraphQL).
import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { openDb } from '../src/db/client.ts';
import { forwardDecision } from '../src/domain/decisions/forward.ts';
import {
  type DecisionAction,
  type DecisionRow,
  enqueueDecision,
  recordDecision,
} from '../src/domain/decisions/store.ts';
import { fromGlobalId, toGlobalId } from '../src/domain/ids.ts';
import { createLogger } from '../src/domain/log.ts';
import worker from '../src/workers/index.ts';
import { FAKE_WORKPLACE_SECRET } from './fakes/workplace.ts';
import { fake, gql, tenantD1, token } from './helpers.ts';
import { EMIT, type Setup, setup } from './pipeline.ts';

const DECISION = `query ($id: ID!) { node(id: $id) { ... on Decision {
  id action channel comment status reason attempts decidedAt updatedAt
  user { userId } event { id documentId }
} } }`;
const RETRY = `mutation ($id: ID!) { retryDecision(id: $id) {
  decision { id status attempts reason } errors { code message field } } }`;

const workplace = <T = any>(path: string, body?: unknown) =>
  fake<T>(env.WORKPLACE_WEBHOOK_URL, path, body);

interface Decided {
  s: Setup;
  eventId: string;
  documentId: string;
  decision: DecisionRow;
  globalId: string;
}

async function emitDocument(s: Setup, recipients: string[], documentId: string) {
  const r = await gql(
    EMIT,
    {
      input: {
        idempotencyKey: crypto.randomUUID(),
        type: 'APPROVAL_REQUESTED',
        documentId,
        title: '経費精算 (12月)',
        url: 'https://workplace.example/wf/77',
        recipients,
      },
    },
    s.service,
  );
  return r.data?.emitWorkflowEvent.event.id as string;
}

async function memberRowId(tenant: string, userId: string) {
  const row = await (await tenantD1(tenant))
    .prepare('select id from users where tenant_id = ? and user_id = ?')
    .bind(tenant, userId)
    .first<{ id: string }>();
  if (!row) throw new Error(`no member ${userId}`);
  return row.id;
}

/** A tenant, an event to its members, and member `who` deciding on it (recorded, queued). */
async function decide(
  options: {
    s?: Setup;
    eventId?: string;
    documentId?: string;
    who?: number;
    action?: DecisionAction;
    comment?: string | null;
    enqueue?: boolean;
  } = {},
): Promise<Decided> {
  const s = options.s ?? (await setup(2));
  const documentId = options.documentId ?? `WF-${crypto.randomUUID().slice(0, 8)}`;
  const eventId = options.eventId ?? (await emitDocument(s, s.members, documentId));
  const db = openDb(await tenantD1(s.tenant));
  const userId = s.members[options.who ?? 0] as string;
  const { decision } = await recordDecision(db, {
    tenantId: s.tenant,
    eventId: fromGlobalId(eventId)?.rowId as string,
    userRowId: await memberRowId(s.tenant, userId),
    action: options.action ?? 'APPROVE',
    channel: 'SLACK',
    comment: options.comment ?? null,
  });
  if (options.enqueue !== false) {
    await enqueueDecision(env.DELIVERY_QUEUE as Queue, s.tenant, decision.id);
  }
  return { s, eventId, documentId, decision, globalId: toGlobalId('Decision', decision.id) };
}

/** Polls the decision (as admin) until `done` holds. */
async function waitDecision(d: Decided, done: (x: any) => boolean, ms = 25_000) {
  const until = Date.now() + ms;
  for (;;) {
    const r = await gql(DECISION, { id: d.globalId }, d.s.admin);
    const x = r.data?.node;
    if ((x && done(x)) || Date.now() > until) return x;
    await new Promise((res) => setTimeout(res, 200));
  }
}

const requestsFor = (d: Decided) =>
  workplace<any[]>(`/__fake/requests?contains=${encodeURIComponent(d.globalId)}`);

async function hmacBase64(secret: string, text: string) {
  const raw = Uint8Array.from(atob(secret.slice('whsec_'.length)), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...mac));
}

describe('forwarding a decision to WORKPLACE', () => {
  it('POSTs a Standard Webhooks signed decision that WORKPLACE verifies → ACCEPTED', async () => {
    const d = await decide({ action: 'RETURN', comment: '日付を直してください' });
    const done = await waitDecision(d, (x) => x.status !== 'PENDING');
    expect(done).toMatchObject({
      id: d.globalId,
      status: 'ACCEPTED',
      reason: null,
      attempts: 1,
      action: 'RETURN',
      channel: 'SLACK',
      comment: '日付を直してください',
      user: { userId: d.s.members[0] },
      event: { id: d.eventId, documentId: d.documentId },
    });
    const [req, ...more] = await requestsFor(d);
    expect(more).toEqual([]);
    expect(req.status).toBe(200);
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.headers['webhook-id']).toBe(d.globalId);
    const ts = req.headers['webhook-timestamp'];
    expect(ts).toMatch(/^\d+$/);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    expect(req.headers['webhook-signature']).toBe(
      `v1,${await hmacBase64(FAKE_WORKPLACE_SECRET, `${d.globalId}.${ts}.${req.body}`)}`,
    );
    const event = await gql(
      'query ($id: ID!) { workflowEvent(id: $id) { idempotencyKey } }',
      { id: d.eventId },
      d.s.admin,
    );
    expect(JSON.parse(req.body)).toEqual({
      type: 'workflow.decision',
      timestamp: done.decidedAt,
      data: {
        tenant: d.s.tenant,
        decisionId: d.globalId,
        eventId: d.eventId,
        idempotencyKey: event.data?.workflowEvent.idempotencyKey,
        documentId: d.documentId,
        userId: d.s.members[0],
        action: 'RETURN',
        comment: '日付を直してください',
        channel: 'SLACK',
        decidedAt: done.decidedAt,
      },
    });
    const state = await workplace('/__fake/state');
    expect(state.received[d.globalId].deliveries).toBe(1);
  });

  it('REFUSED with WORKPLACE’s message; a 4xx without one says the status', async () => {
    const documentId = `WF-${crypto.randomUUID().slice(0, 8)}`;
    await workplace('/__fake/state', {
      closedDocuments: { [documentId]: 'already approved by 田中' },
    });
    const d = await decide({ documentId });
    expect(await waitDecision(d, (x) => x.status !== 'PENDING')).toMatchObject({
      status: 'REFUSED',
      reason: 'already approved by 田中',
      attempts: 1,
    });

    const s = d.s;
    await workplace('/__fake/script', {
      match: { contains: `"tenant":"${s.tenant}"` },
      responses: [
        { status: 422, json: { message: `  ${'長すぎる理由'.repeat(200)}\n` } },
        { status: 404, body: 'not here' },
      ],
    });
    const long = await decide({ s, who: 1 });
    const refusedLong = await waitDecision(long, (x) => x.status !== 'PENDING');
    expect(refusedLong.status).toBe('REFUSED');
    expect(refusedLong.reason.length).toBe(500);
    expect(refusedLong.reason.startsWith('長すぎる理由')).toBe(true);
    const other = await decide({ s, eventId: await emitDocument(s, s.members, 'WF-x') });
    expect(await waitDecision(other, (x) => x.status !== 'PENDING')).toMatchObject({
      status: 'REFUSED',
      reason: 'WORKPLACE refused the decision (HTTP 404 Not Found)',
      attempts: 1,
    });
  });

  it('WORKPLACE down, then up: retried with one webhook-id, Retry-After honoured', async () => {
    const s = await setup(1);
    await workplace('/__fake/script', {
      match: { contains: `"tenant":"${s.tenant}"` },
      responses: [
        { status: 503, json: { message: 'maintenance' } },
        { status: 429, headers: { 'retry-after': '6' }, json: { message: 'slow down' } },
        { reset: true },
      ],
    });
    const d = await decide({ s });
    const mid = await waitDecision(d, (x) => x.attempts >= 1);
    expect(mid.status).toBe('PENDING');
    const done = await waitDecision(d, (x) => x.status !== 'PENDING', 40_000);
    expect(done).toMatchObject({ status: 'ACCEPTED', attempts: 4, reason: null });
    const reqs = await requestsFor(d);
    expect(reqs.map((r) => r.status)).toEqual([503, 429, 0, 200]);
    expect(new Set(reqs.map((r) => r.headers['webhook-id']))).toEqual(new Set([d.globalId]));
    // Signed afresh each time; the body is the same.
    expect(new Set(reqs.map((r) => r.body)).size).toBe(1);
    expect(reqs[2].at - reqs[1].at).toBeGreaterThanOrEqual(6000);
    const state = await workplace('/__fake/state');
    expect(state.received[d.globalId].deliveries).toBe(1);
  }, 60_000);

  it('an answer lost on the way back is sent again with the same webhook-id; WORKPLACE dedupes', async () => {
    const s = await setup(1);
    await workplace('/__fake/script', {
      match: { contains: `"tenant":"${s.tenant}"` },
      responses: [{ acceptThenDrop: true }],
    });
    const d = await decide({ s });
    expect(await waitDecision(d, (x) => x.status !== 'PENDING')).toMatchObject({
      status: 'ACCEPTED',
      attempts: 2,
    });
    const state = await workplace('/__fake/state');
    expect(state.received[d.globalId].deliveries).toBe(2);
    const accepted = await workplace<any[]>('/__fake/accepted');
    expect(accepted.find((a) => a.key === d.globalId)?.count).toBe(1);
  });

  it('gives up after the retry budget (FAILED), and retryDecision sends it again', async () => {
    const s = await setup(1);
    await workplace('/__fake/script', {
      match: { contains: `"tenant":"${s.tenant}"` },
      responses: [{ status: 502 }, { status: 408 }, { status: 503 }, { status: 500 }],
    });
    const d = await decide({ s });
    const failed = await waitDecision(d, (x) => x.status !== 'PENDING', 40_000);
    expect(failed).toMatchObject({
      status: 'FAILED',
      attempts: 4,
      reason: 'Gave up after 4 attempts: WORKPLACE: HTTP 500',
    });
    const byUser = await gql(
      RETRY,
      { id: d.globalId },
      await token(s.tenant, 'user', s.members[0]),
    );
    expect(byUser.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // The retry gets a budget of its own: one more failure does not end it.
    await workplace('/__fake/script', {
      match: { contains: `"tenant":"${s.tenant}"` },
      responses: [{ status: 503 }],
    });
    const retried = await gql(RETRY, { id: d.globalId }, s.admin);
    expect(retried.data?.retryDecision).toMatchObject({
      errors: [],
      decision: { id: d.globalId, status: 'PENDING', attempts: 4, reason: null },
    });
    expect(await waitDecision(d, (x) => x.status !== 'PENDING')).toMatchObject({
      status: 'ACCEPTED',
      attempts: 6,
    });
    const again = await gql(RETRY, { id: d.globalId }, s.admin);
    expect(again.data?.retryDecision).toEqual({
      decision: null,
      errors: [
        {
          code: 'INVALID',
          message: 'Only FAILED or REFUSED decisions can be retried (this one is ACCEPTED)',
          field: ['id'],
        },
      ],
    });
    const audit = await gql(
      '{ auditLog(first: 5) { edges { node { action target } } } }',
      {},
      s.admin,
    );
    expect(audit.data?.auditLog.edges.map((e: any) => e.node)).toContainEqual({
      action: 'decision.retry',
      target: d.decision.id,
    });
  }, 60_000);

  it('the cron re-sends a decision whose attempt died between claim and record', async () => {
    const d = await decide({ enqueue: false });
    const d1 = await tenantD1(d.s.tenant);
    const long = new Date(Date.now() - 3600_000).toISOString();
    await d1
      .prepare(
        "update decisions set attempts = 1, claim_id = 'dead', lease_until = ?, next_attempt_at = ? where id = ?",
      )
      .bind(long, long, d.decision.id)
      .run();
    await worker.scheduled(createScheduledController({ cron: '*/5 * * * *' }), env);
    expect(await waitDecision(d, (x) => x.status !== 'PENDING')).toMatchObject({
      status: 'ACCEPTED',
      attempts: 2,
    });
  });

  it('the cron deletes decisions past the retention period, and only those', async () => {
    const old = await decide({ enqueue: false });
    const recent = await decide({ s: old.s, eventId: old.eventId, who: 1, enqueue: false });
    const d1 = await tenantD1(old.s.tenant);
    const ancient = new Date(Date.now() - 200 * 86_400_000).toISOString();
    await d1
      .prepare("update decisions set status = 'ACCEPTED', decided_at = ? where id = ?")
      .bind(ancient, old.decision.id)
      .run();
    await d1
      .prepare("update decisions set status = 'ACCEPTED' where id = ?")
      .bind(recent.decision.id)
      .run();
    await worker.scheduled(createScheduledController({ cron: '*/5 * * * *' }), env);
    const left = await d1
      .prepare('select id from decisions where tenant_id = ?')
      .bind(old.s.tenant)
      .all<{ id: string }>();
    expect(left.results.map((r) => r.id)).toEqual([recent.decision.id]);
  });

  it('tells the chat side each terminal outcome', async () => {
    const d = await decide({ enqueue: false });
    const db = openDb(await tenantD1(d.s.tenant));
    const told: DecisionRow[] = [];
    const verdict = await forwardDecision(
      {
        db,
        queue: env.DELIVERY_QUEUE as Queue,
        webhook: { url: env.WORKPLACE_WEBHOOK_URL, secret: FAKE_WORKPLACE_SECRET },
        timeoutMs: 5000,
        maxAttempts: 3,
        feedback: { outcome: async (_db, row) => void told.push(row) },
        log: createLogger({ test: 'feedback' }),
      },
      { kind: 'decision', tenantId: d.s.tenant, decisionId: d.decision.id },
    );
    expect(verdict).toEqual({ action: 'ack' });
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ id: d.decision.id, status: 'ACCEPTED', attempts: 1 });
  });
});
