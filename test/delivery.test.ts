// Integration: emit → D1 → queue → consumer → Slack / Google Chat fakes on 127.0.0.1, through
// the Worker's own fetch and queue handlers.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { openDb } from '../src/db/client.ts';
import { retryDelivery } from '../src/domain/deliveries.ts';
import worker from '../src/workers/index.ts';
import { fake, gql, tenantD1, token } from './helpers.ts';
import { byUser, EMIT, EVENT, emit, setup, waitFor } from './pipeline.ts';

describe('emitWorkflowEvent → queue → consumer', () => {
  it('routes, skips with reasons, sends to Slack and Google Chat with the exact requests', async () => {
    const s = await setup(1);
    const [m0] = s.members as [string];
    const out = await emit(s, [m0, `nobind-${s.tenant}`]);
    expect(out.errors).toEqual([]);
    expect(out.duplicate).toBe(false);
    const e = await waitFor(s, out.event.id, (x) => x.summary.sent === 2);
    expect(e.summary).toEqual({
      queued: 0,
      sending: 0,
      retrying: 0,
      sent: 2,
      failed: 0,
      skipped: 2,
    });
    expect(byUser(e, `nobind-${s.tenant}`, 'SLACK')).toMatchObject({
      status: 'SKIPPED',
      reason: 'no Slack member id',
    });
    expect(byUser(e, `nobind-${s.tenant}`, 'GOOGLE_CHAT')).toMatchObject({
      status: 'SKIPPED',
      reason: 'Google Chat webhook not set',
    });
    const slack = byUser(e, m0, 'SLACK');
    expect(slack).toMatchObject({
      status: 'SENT',
      attempts: 1,
      providerMessageId: expect.stringMatching(/^D.+:\d+\.\d+$/),
    });
    expect(slack.sentAt).toBeTruthy();

    const open = await fake(
      env.SLACK_API_BASE,
      `/__fake/requests?path=conversations.open&contains=${s.slackToken}`,
    );
    expect(open).toHaveLength(1);
    expect(open[0].json).toEqual({ users: expect.stringMatching(/^U/) });
    const posts = await fake(
      env.SLACK_API_BASE,
      `/__fake/requests?path=chat.postMessage&contains=${s.slackToken}`,
    );
    expect(posts).toHaveLength(1);
    expect(posts[0].headers.authorization).toBe(`Bearer ${s.slackToken}`);
    expect(posts[0].headers['content-type']).toBe('application/json; charset=utf-8');
    expect(posts[0].json.channel).toMatch(/^D/);
    expect(posts[0].json.text).toContain('出張申請 (大阪)');
    expect(JSON.stringify(posts[0].json.blocks)).toContain('https://workplace.example/wf/0042');

    const space = new URL(s.webhook).pathname.split('/')[3];
    const chats = await fake(env.GOOGLE_CHAT_WEBHOOK_ORIGIN, `/__fake/requests?path=${space}`);
    expect(chats).toHaveLength(1);
    expect(chats[0].query).toMatchObject({
      key: 'K1',
      messageReplyOption: 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD',
    });
    expect(chats[0].json.thread.threadKey).toContain('WF-2026-0042');
    expect(chats[0].json.cardsV2[0].card).toBeTruthy();

    // The DM channel was cached: a second event opens no new conversation.
    const again = await emit(s, [m0]);
    await waitFor(s, again.event.id, (x) => x.summary.sent === 2);
    expect(
      await fake(
        env.SLACK_API_BASE,
        `/__fake/requests?path=conversations.open&contains=${s.slackToken}`,
      ),
    ).toHaveLength(1);
  });

  it('is idempotent on the key and validates input', async () => {
    const s = await setup(1);
    const key = `wf-${crypto.randomUUID()}`;
    const first = await emit(s, s.members, key);
    const second = await emit(s, s.members, key);
    expect(second).toMatchObject({ duplicate: true, event: { id: first.event.id }, errors: [] });
    const e = await waitFor(s, first.event.id, (x) => x.summary.sent === 2);
    expect(e.deliveries.totalCount).toBe(2);

    const bad = await gql(
      EMIT,
      {
        input: {
          idempotencyKey: 'x',
          type: 'APPROVED',
          documentId: 'd',
          title: 't',
          url: 'http://insecure',
          recipients: ['ghost'],
        },
      },
      s.service,
    );
    expect(bad.data?.emitWorkflowEvent.errors.map((x: any) => x.field.join('.'))).toEqual([
      'input.url',
    ]);
    const unknown = await gql(
      EMIT,
      {
        input: {
          idempotencyKey: 'y',
          type: 'APPROVED',
          documentId: 'd',
          title: 't',
          url: 'https://w.example',
          recipients: ['ghost'],
        },
      },
      s.service,
    );
    expect(unknown.data?.emitWorkflowEvent.errors).toEqual([
      {
        code: 'NOT_FOUND',
        message: expect.stringContaining('ghost'),
        field: ['input', 'recipients', '0'],
      },
    ]);
    const none = await gql(
      EMIT,
      {
        input: {
          idempotencyKey: 'z',
          type: 'APPROVED',
          documentId: 'd',
          title: 't',
          url: 'https://w.example',
          recipients: [],
        },
      },
      s.service,
    );
    expect(none.data?.emitWorkflowEvent.errors[0].field).toEqual(['input', 'recipients']);
    const asAdmin = await gql(
      EMIT,
      {
        input: {
          idempotencyKey: 'w',
          type: 'APPROVED',
          documentId: 'd',
          title: 't',
          url: 'https://w.example',
          recipients: ['a'],
        },
      },
      s.admin,
    );
    expect(asAdmin.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('retries 429 with Retry-After and 500s, then sends', async () => {
    const s = await setup(2);
    const [m0, m1] = s.members as [string, string];
    const memberOf = async (m: string): Promise<string> =>
      (
        await gql(
          'query ($s: String) { users(search: $s) { edges { node { bindings { slack { memberId } } } } } }',
          { s: m },
          s.admin,
        )
      ).data?.users.edges[0].node.bindings.slack.memberId;
    await fake(env.SLACK_API_BASE, '/__fake/script', {
      match: { path: 'conversations.open', contains: await memberOf(m0) },
      responses: [
        { status: 429, headers: { 'Retry-After': '1' }, json: { ok: false, error: 'ratelimited' } },
      ],
    });
    await fake(env.SLACK_API_BASE, '/__fake/script', {
      match: { path: 'conversations.open', contains: await memberOf(m1) },
      responses: [
        { status: 500, body: 'oops' },
        { status: 503, body: 'oops' },
      ],
    });
    await gql(
      'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: false }]) { errors { code } } }',
      {},
      s.admin,
    );
    const out = await emit(s, [m0, m1]);
    const e = await waitFor(s, out.event.id, (x) => x.summary.sent === 2, 40_000);
    expect(byUser(e, m0, 'SLACK')).toMatchObject({ status: 'SENT', attempts: 2 });
    expect(byUser(e, m1, 'SLACK')).toMatchObject({ status: 'SENT', attempts: 3 });
  }, 60_000);

  it('fails permanently with the reason and updates integration and binding health', async () => {
    const s = await setup(2);
    const [m0, m1] = s.members as [string, string];
    await gql(
      'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: false }]) { errors { code } } }',
      {},
      s.admin,
    );
    const member1 = `U${s.tenant.replace(/[^a-z0-9]/gi, '').toUpperCase()}1`;
    await fake(env.SLACK_API_BASE, '/__fake/state', { unknownMembers: [member1] });
    const out = await emit(s, [m0, m1]);
    const e = await waitFor(s, out.event.id, (x) => x.summary.sent + x.summary.failed === 2);
    expect(byUser(e, m0, 'SLACK').status).toBe('SENT');
    expect(byUser(e, m1, 'SLACK')).toMatchObject({
      status: 'FAILED',
      reason: expect.stringContaining('user_not_found'),
    });
    const binding = await gql(
      '{ me { bindings { slack { memberId problem } } } }',
      {},
      await token(s.tenant, 'user', m1),
    );
    expect(binding.data?.me.bindings.slack.problem).toContain('user_not_found');

    // The token is revoked: the integration goes to ERROR and later events are SKIPPED.
    await fake(env.SLACK_API_BASE, '/__fake/script', {
      match: { path: 'chat.postMessage', contains: s.slackToken },
      responses: [{ json: { ok: false, error: 'token_revoked' } }],
    });
    const out2 = await emit(s, [m0]);
    const e2 = await waitFor(s, out2.event.id, (x) => x.summary.failed === 1);
    expect(byUser(e2, m0, 'SLACK')).toMatchObject({
      status: 'FAILED',
      reason: expect.stringContaining('token_revoked'),
    });
    const slack = await gql('{ integrations { slack { status lastError } } }', {}, s.admin);
    expect(slack.data?.integrations.slack).toMatchObject({
      status: 'ERROR',
      lastError: expect.stringContaining('token_revoked'),
    });
    const out3 = await emit(s, [m0]);
    const e3 = await waitFor(s, out3.event.id, (x) => x.summary.skipped === 1);
    expect(byUser(e3, m0, 'SLACK')).toMatchObject({
      status: 'SKIPPED',
      reason: expect.stringContaining('integration in ERROR'),
    });
  });

  it('never follows a redirect from a member-supplied Google Chat webhook', async () => {
    const s = await setup(1);
    const [m0] = s.members as [string];
    const space = new URL(s.webhook).pathname.split('/')[3] as string;
    // Another origin that would receive the message (and the webhook token) if followed.
    const elsewhere = new URL(env.SLACK_API_BASE).origin;
    const probe = `/collect-${crypto.randomUUID()}`;
    await fake(env.GOOGLE_CHAT_WEBHOOK_ORIGIN, '/__fake/script', {
      match: { path: space },
      responses: [{ status: 302, headers: { location: `${elsewhere}${probe}?stolen=1` } }],
    });
    const out = await emit(s, [m0]);
    const e = await waitFor(s, out.event.id, (x) =>
      ['SENT', 'FAILED'].includes(byUser(x, m0, 'GOOGLE_CHAT')?.status),
    );
    expect(byUser(e, m0, 'GOOGLE_CHAT')).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      reason: expect.stringContaining('redirect, which is not followed'),
    });
    expect(await fake(env.SLACK_API_BASE, `/__fake/requests?path=${probe}`)).toEqual([]);
    const chats = await fake(env.GOOGLE_CHAT_WEBHOOK_ORIGIN, `/__fake/requests?path=${space}`);
    expect(chats.map((r: any) => r.status)).toEqual([302]);
  });

  it('sends nothing when a message for a SENT delivery is delivered again', async () => {
    const s = await setup(1);
    const out = await emit(s, s.members);
    const e = await waitFor(s, out.event.id, (x) => x.summary.sent === 2);
    const d = byUser(e, s.members[0] as string, 'SLACK');
    const before = await fake(
      env.SLACK_API_BASE,
      `/__fake/requests?path=chat.postMessage&contains=${s.slackToken}`,
    );
    const raw = await (await tenantD1(s.tenant))
      .prepare('select id from deliveries where tenant_id = ? and channel = ?')
      .bind(s.tenant, 'SLACK')
      .first<{ id: string }>();
    const batch = createMessageBatch('renkei-deliveries', [
      {
        id: 'dup-1',
        timestamp: new Date(),
        attempts: 1,
        body: { tenantId: s.tenant, deliveryId: raw?.id },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<any>, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(['dup-1']);
    const after = await fake(
      env.SLACK_API_BASE,
      `/__fake/requests?path=chat.postMessage&contains=${s.slackToken}`,
    );
    expect(after.length).toBe(before.length);
    // Read again after the duplicate: still SENT, not attempted again.
    const again = byUser(
      (await gql(EVENT, { id: out.event.id }, s.admin)).data?.workflowEvent,
      s.members[0] as string,
      'SLACK',
    );
    expect(again).toMatchObject({ status: 'SENT', attempts: d.attempts, sentAt: d.sentAt });
  });

  it('lists deliveries with filters; a member sees only their own', async () => {
    const s = await setup(2);
    const out = await emit(s, s.members);
    await waitFor(s, out.event.id, (x) => x.summary.sent === 3);
    const Q = `query ($f: DeliveryFilter) { deliveries(first: 10, filter: $f) { totalCount edges { node { channel status user { userId } event { id } } } } }`;
    const all = await gql(Q, { f: { eventId: out.event.id } }, s.admin);
    expect(all.data?.deliveries.totalCount).toBe(4);
    const slackOnly = await gql(
      Q,
      { f: { eventId: out.event.id, channel: 'SLACK', status: 'SENT' } },
      s.admin,
    );
    expect(slackOnly.data?.deliveries.totalCount).toBe(2);
    const mine = await gql(Q, {}, await token(s.tenant, 'user', s.members[1] as string));
    expect(new Set(mine.data?.deliveries.edges.map((x: any) => x.node.user.userId))).toEqual(
      new Set([s.members[1]]),
    );
    expect(mine.data?.deliveries.totalCount).toBe(2);
  });

  it('retryDelivery re-queues a FAILED delivery; the DLQ consumer ends deliveries FAILED', async () => {
    const s = await setup(1);
    await gql(
      'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: false }]) { errors { code } } }',
      {},
      s.admin,
    );
    const raw = async () =>
      (await (
        await tenantD1(s.tenant)
      )
        .prepare('select id, status, reason from deliveries where tenant_id = ?')
        .bind(s.tenant)
        .first<{ id: string; status: string; reason: string }>())!;
    await fake(env.SLACK_API_BASE, '/__fake/script', {
      match: { path: 'chat.postMessage', contains: s.slackToken },
      responses: [{ json: { ok: false, error: 'invalid_blocks' } }],
    });
    const out = await emit(s, s.members);
    await waitFor(s, out.event.id, (x) => x.summary.failed === 1);
    const row = await raw();
    const { toGlobalId } = await import('../src/domain/ids.ts');
    const retried = await gql(
      'mutation ($id: ID!) { retryDelivery(id: $id) { delivery { status } errors { code } } }',
      { id: toGlobalId('Delivery', row.id) },
      s.admin,
    );
    expect(retried.data?.retryDelivery).toEqual({ delivery: { status: 'QUEUED' }, errors: [] });
    await waitFor(s, out.event.id, (x) => x.summary.sent === 1);

    // A message the queue gave up on lands in the DLQ consumer.
    await (await tenantD1(s.tenant))
      .prepare("update deliveries set status = 'RETRYING', reason = 'Slack: HTTP 503' where id = ?")
      .bind(row.id)
      .run();
    const batch = createMessageBatch('renkei-deliveries-dlq', [
      {
        id: 'dlq-1',
        timestamp: new Date(),
        attempts: 1,
        body: { tenantId: s.tenant, deliveryId: row.id },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<any>, env);
    await getQueueResult(batch, ctx);
    expect(await raw()).toMatchObject({
      status: 'FAILED',
      reason: expect.stringContaining('gave up after'),
    });
  });

  it('retryDelivery leaves a delivery the queue claimed meanwhile alone: no second send', async () => {
    const s = await setup(1);
    await gql(
      'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: false }]) { errors { code } } }',
      {},
      s.admin,
    );
    await fake(env.SLACK_API_BASE, '/__fake/script', {
      match: { path: 'chat.postMessage', contains: s.slackToken },
      responses: [{ json: { ok: false, error: 'invalid_blocks' } }],
    });
    const out = await emit(s, s.members);
    await waitFor(s, out.event.id, (x) => x.summary.failed === 1);
    const d1 = await tenantD1(s.tenant);
    const row = (await d1
      .prepare('select id from deliveries where tenant_id = ?')
      .bind(s.tenant)
      .first<{ id: string }>()) as { id: string };
    // The queue claims the row (its own retry of a RETRYING row) between the check and the write.
    const db = openDb(d1);
    const batch = db.batch.bind(db);
    db.batch = (async (statements: Parameters<typeof batch>[0]) => {
      await d1.prepare("update deliveries set status = 'SENDING' where id = ?").bind(row.id).run();
      return batch(statements);
    }) as unknown as typeof db.batch;
    const sent: unknown[] = [];
    const outbox = {
      queue: {
        sendBatch: async (m: unknown[]) => {
          sent.push(...m);
        },
      } as unknown as Queue,
      publish: async () => {},
    };
    const admin = { tenantId: s.tenant, role: 'admin' as const, subject: 'admin-1' };
    await expect(retryDelivery(db, outbox, admin, row.id)).rejects.toMatchObject({
      errors: [{ code: 'CONFLICT', field: ['id'] }],
    });
    const after = await d1
      .prepare('select status from deliveries where id = ?')
      .bind(row.id)
      .first<{ status: string }>();
    expect(after?.status).toBe('SENDING');
    expect(sent).toEqual([]);
    const audit = await d1
      .prepare(
        "select count(*) as n from audit_log where tenant_id = ? and action = 'delivery.retry'",
      )
      .bind(s.tenant)
      .first<{ n: number }>();
    expect(audit?.n).toBe(0);
  });
});
