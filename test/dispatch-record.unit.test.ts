/**
 * dispatchBatch over the real D1, RateGate and TokenVault bindings and the Slack fake, with the
 * shard's D1 counted: a batch's outcomes and its pacing deferrals are written with set-based
 * statements, so the statements per batch do not grow with the batch.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { countingD1, type D1Usage, openDb } from '../src/db/client.ts';
import { dispatchBatch, type QueuedMessage } from '../src/domain/dispatch/index.ts';
import type { QueueMessage } from '../src/domain/queue-messages.ts';
import { createGate } from '../src/workers/clients/gate.ts';
import { createTokens } from '../src/workers/clients/tokens.ts';
import { fake, tenantD1 } from './helpers.ts';
import { setup } from './pipeline.ts';

interface Row {
  id: string;
  status: string;
  attempts: number;
  reason: string | null;
  provider_message_id: string | null;
  sent_at: string | null;
  updated_at: string;
  due_at: string;
  user_row_id: string;
}

/** An event and one QUEUED Slack delivery per member, straight into the tenant's shard. */
async function queued(d1: D1Database, tenant: string, memberRowIds: string[]) {
  const eventId = crypto.randomUUID();
  const at = new Date(Date.now() - 60_000).toISOString();
  await d1
    .prepare(`insert into workflow_events (id, tenant_id, idempotency_key, type, document_id, title,
      url, actor_name, comment, occurred_at, is_test, created_at)
      values (?, ?, ?, 'APPROVAL_REQUESTED', 'WF-1', '申請', 'https://workplace.example/wf/1', null,
      null, null, 0, ?)`)
    .bind(eventId, tenant, eventId, at)
    .run();
  const ids = memberRowIds.map(() => crypto.randomUUID());
  await d1.batch(
    ids.map((id, i) =>
      d1
        .prepare(`insert into deliveries (id, tenant_id, event_id, user_row_id, channel, status,
          attempts, reason, created_at, updated_at, due_at)
          values (?, ?, ?, ?, 'SLACK', 'QUEUED', 0, null, ?, ?, ?)`)
        .bind(id, tenant, eventId, memberRowIds[i], at, at, at),
    ),
  );
  return { ids, at };
}

/** One counted dispatch of `ids` as one queue batch; what it wrote and requeued. */
async function dispatch(d1: D1Database, tenant: string, ids: string[]) {
  const usage: D1Usage = { statements: 0, roundTrips: 0 };
  const requeued: { body: QueueMessage; slotAt: number }[] = [];
  const published: string[] = [];
  const messages: QueuedMessage[] = ids.map((deliveryId) => ({
    id: `msg-${deliveryId}`,
    body: { tenantId: tenant, deliveryId },
  }));
  const verdicts = await dispatchBatch(
    {
      db: openDb(countingD1(d1, usage)),
      env,
      gate: createGate(env),
      tokens: createTokens(env),
      publish: async (_t, updates) => {
        published.push(...updates.map((u) => u.status));
      },
      requeue: async (items) => {
        requeued.push(...items);
      },
      timeoutMs: 10_000,
    },
    messages,
  );
  const rows = await d1
    .prepare('select * from deliveries where id in (select value from json_each(?))')
    .bind(JSON.stringify(ids))
    .all<Row>();
  const byId = new Map(rows.results.map((r) => [r.id, r]));
  return { usage, verdicts, requeued, published, rows: ids.map((id) => byId.get(id) as Row) };
}

async function members(d1: D1Database, tenant: string) {
  const r = await d1
    .prepare(
      `select id, slack_member_id, slack_dm_channel_id, slack_error from users
       where tenant_id = ? and slack_member_id is not null order by user_id`,
    )
    .bind(tenant)
    .all<{
      id: string;
      slack_member_id: string;
      slack_dm_channel_id: string | null;
      slack_error: string | null;
    }>();
  return r.results;
}

describe('recording a batch', () => {
  it('writes sent, retried and failed outcomes and binding changes in set-based statements', async () => {
    const s = await setup(20);
    const d1 = await tenantD1(s.tenant);
    const team = `T${s.tenant}`;
    // Members contacted before: their DM channels are known to Slack and to Renkei.
    const people = await members(d1, s.tenant);
    const channels = Object.fromEntries(
      people.map((p, i) => [`D${i}${s.tenant}`, { team_id: team, user: p.slack_member_id }]),
    );
    await fake(env.SLACK_API_BASE, '/__fake/state', { channels });
    await d1.batch(
      people.map((p, i) =>
        d1
          .prepare('update users set slack_dm_channel_id = ? where id = ?')
          .bind(`D${i}${s.tenant}`, p.id),
      ),
    );
    const small = await dispatch(d1, s.tenant, (await queued(d1, s.tenant, [people[0]!.id])).ids);
    expect(small.rows[0]).toMatchObject({ status: 'SENT', attempts: 1, reason: null });

    await fake(env.SLACK_API_BASE, '/__fake/script', {
      match: { path: 'chat.postMessage', contains: `D1${s.tenant}` },
      responses: [{ status: 500, body: 'oops' }],
    });
    await fake(env.SLACK_API_BASE, '/__fake/script', {
      match: { path: 'chat.postMessage', contains: `D2${s.tenant}` },
      responses: [{ status: 200, json: { ok: false, error: 'channel_not_found' } }],
    });
    const { ids } = await queued(
      d1,
      s.tenant,
      people.map((p) => p.id),
    );
    const before = Date.now();
    const big = await dispatch(d1, s.tenant, ids);

    const [sent, retried, failed] = [big.rows[0]!, big.rows[1]!, big.rows[2]!];
    expect(sent).toMatchObject({ status: 'SENT', attempts: 1, reason: null });
    expect(sent.provider_message_id).toBeTruthy();
    expect(Date.parse(sent.sent_at as string)).toBeGreaterThanOrEqual(before - 1000);
    expect(sent.updated_at).toBe(sent.sent_at);
    expect(big.rows.filter((r) => r.status === 'SENT')).toHaveLength(people.length - 2);
    const sentIds = big.rows.filter((r) => r.status === 'SENT').map((r) => r.provider_message_id);
    expect(new Set(sentIds).size).toBe(people.length - 2);

    expect(retried).toMatchObject({ status: 'RETRYING', attempts: 1, provider_message_id: null });
    expect(retried.reason).toMatch(/500/);
    expect(retried.sent_at).toBeNull();
    expect(Date.parse(retried.due_at)).toBeGreaterThan(Date.parse(retried.updated_at));
    const retryVerdict = big.verdicts.get(`msg-${retried.id}`);
    expect(retryVerdict).toMatchObject({ action: 'retry' });
    expect(Date.parse(retried.due_at) - Date.parse(retried.updated_at)).toBe(
      (retryVerdict as { delaySeconds: number }).delaySeconds * 1000,
    );

    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1, sent_at: null });
    expect(failed.reason).toMatch(/channel/i);

    // The binding change a result implies lands on that member only; the others keep theirs.
    const after = await members(d1, s.tenant);
    expect(after[2]).toMatchObject({ slack_dm_channel_id: null });
    expect(after[2]!.slack_error).toMatch(/channel/i);
    expect(after.filter((p) => p.slack_error !== null)).toHaveLength(1);
    expect(after[3]).toMatchObject({ slack_dm_channel_id: `D3${s.tenant}`, slack_error: null });

    // The same statements for 20 deliveries as for one, plus the member's binding write.
    expect(big.usage.statements).toBe(small.usage.statements + 1);
    expect(big.usage.statements).toBeLessThan(12);
  }, 60_000);

  it('puts a batch waiting for pacing slots back as it was, in one statement', async () => {
    // First contact: conversations.open is paced at 50/min, so most of the batch waits.
    const s = await setup(10);
    const d1 = await tenantD1(s.tenant);
    const people = await members(d1, s.tenant);
    const { ids, at } = await queued(
      d1,
      s.tenant,
      people.map((p) => p.id),
    );
    const r = await dispatch(d1, s.tenant, ids);

    const waiting = r.rows.filter((row) => row.status === 'QUEUED');
    expect(waiting.length).toBeGreaterThanOrEqual(5);
    expect(r.rows.filter((row) => row.status === 'SENT')).toHaveLength(10 - waiting.length);
    for (const row of waiting) {
      // Not an attempt: attempts and updatedAt as before the claim, due at its slot.
      expect(row).toMatchObject({ attempts: 0, updated_at: at, sent_at: null });
      expect(row.reason).toMatch(/^queued behind Slack conversations\.open/);
      const back = r.requeued.find((q) => 'deliveryId' in q.body && q.body.deliveryId === row.id);
      expect(back?.body).toMatchObject({ tenantId: s.tenant, slots: expect.any(Array) });
      expect(Date.parse(row.due_at)).toBe(back?.slotAt);
    }
    expect(r.requeued).toHaveLength(waiting.length);
    // Those sent learned their DM channel; those waiting did not open one yet.
    const after = await members(d1, s.tenant);
    const sentRows = new Set(r.rows.filter((x) => x.status === 'SENT').map((x) => x.user_row_id));
    for (const p of after) {
      expect(p.slack_dm_channel_id !== null).toBe(sentRows.has(p.id));
    }
    expect(r.usage.statements).toBeLessThan(12);
  }, 60_000);
});
