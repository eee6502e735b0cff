/** The decision ledger on a tenant's shard: first wins, reads narrow by filter and page. */
import { describe, expect, it } from 'vitest';
import { openDb } from '../src/db/client.ts';
import { listDecisions, recordDecision } from '../src/domain/decisions/store.ts';
import { fromGlobalId } from '../src/domain/ids.ts';
import { tenantD1 } from './helpers.ts';
import { emit, setup } from './pipeline.ts';

async function memberRows(tenant: string) {
  const d1 = await tenantD1(tenant);
  const rows = await d1
    .prepare('select id, user_id from users where tenant_id = ? order by user_id')
    .bind(tenant)
    .all<{ id: string; user_id: string }>();
  return { db: openDb(d1), rows: rows.results };
}

/** The event row id behind emitWorkflowEvent's global id. */
const eventRowId = (e: { event: { id: string } }) => fromGlobalId(e.event.id)?.rowId ?? '';

describe('decision store', () => {
  it('records one decision per (event, member): the first of concurrent clicks wins', async () => {
    const s = await setup(2);
    const e = await emit(s, s.members);
    const { db, rows } = await memberRows(s.tenant);
    const member = rows.find((r) => r.user_id === s.members[0]);
    if (!member) throw new Error('member row missing');
    const clicks = await Promise.all(
      (['APPROVE', 'REJECT', 'RETURN', 'APPROVE'] as const).map((action) =>
        recordDecision(db, {
          tenantId: s.tenant,
          eventId: eventRowId(e),
          userRowId: member.id,
          action,
          channel: 'SLACK',
          comment: action === 'APPROVE' ? null : '  金額を確認してください  ',
        }),
      ),
    );
    expect(clicks.filter((c) => c.created)).toHaveLength(1);
    const winner = clicks.find((c) => c.created)?.decision;
    for (const c of clicks) expect(c.decision).toEqual(winner);
    expect(winner).toMatchObject({ status: 'PENDING', attempts: 0, channel: 'SLACK' });
    if (winner?.action !== 'APPROVE') expect(winner?.comment).toBe('金額を確認してください');

    // Another tenant reading the same ids sees nothing.
    const page = await listDecisions(
      db,
      'other-tenant',
      { eventId: eventRowId(e) },
      {
        first: 10,
        after: null,
      },
    );
    expect(page.totalCount).toBe(0);
  });

  it('lists newest first and filters by event, document, member and status', async () => {
    const s = await setup(3);
    const first = await emit(s, s.members);
    const second = await emit(s, s.members);
    const { db, rows } = await memberRows(s.tenant);
    const ids = s.members.map((m) => rows.find((r) => r.user_id === m)?.id ?? '');
    let at = Date.parse('2026-12-01T10:00:00.000Z');
    for (const eventId of [eventRowId(first), eventRowId(second)]) {
      for (const userRowId of ids) {
        at += 1000;
        await recordDecision(
          db,
          { tenantId: s.tenant, eventId, userRowId, action: 'APPROVE', channel: 'LINE' },
          new Date(at).toISOString(),
        );
      }
    }
    const all = await listDecisions(db, s.tenant, {}, { first: 4, after: null });
    expect(all.totalCount).toBe(6);
    expect(all.hasNextPage).toBe(true);
    expect(all.rows.map((r) => r.decidedAt)).toEqual(
      [...all.rows.map((r) => r.decidedAt)].sort().reverse(),
    );
    const last = all.rows[3];
    if (!last) throw new Error('page too short');
    const rest = await listDecisions(
      db,
      s.tenant,
      {},
      {
        first: 4,
        after: { at: last.decidedAt, id: last.id },
      },
    );
    expect(rest.rows).toHaveLength(2);
    expect(rest.hasNextPage).toBe(false);
    expect(new Set([...all.rows, ...rest.rows].map((r) => r.id)).size).toBe(6);

    const byEvent = await listDecisions(
      db,
      s.tenant,
      { eventId: eventRowId(first) },
      {
        first: 10,
        after: null,
      },
    );
    expect(byEvent.totalCount).toBe(3);

    const byDocument = await listDecisions(
      db,
      s.tenant,
      { documentId: 'WF-2026-0042' },
      {
        first: 10,
        after: null,
      },
    );
    expect(byDocument.totalCount).toBe(6);
    const otherDocument = await listDecisions(
      db,
      s.tenant,
      { documentId: 'WF-other' },
      {
        first: 10,
        after: null,
      },
    );
    expect(otherDocument.totalCount).toBe(0);
    const byMember = await listDecisions(
      db,
      s.tenant,
      { userRowId: ids[1] },
      {
        first: 10,
        after: null,
      },
    );
    expect(byMember.rows.map((r) => r.userRowId)).toEqual([ids[1], ids[1]]);
    const accepted = await listDecisions(
      db,
      s.tenant,
      { status: 'ACCEPTED' },
      {
        first: 10,
        after: null,
      },
    );
    expect(accepted.totalCount).toBe(0);
  });
});
