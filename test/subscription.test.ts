// Integration: deliveryUpdated over SSE, through the Worker into the tenant's DeliveryHub.
import { exports } from 'cloudflare:workers';
import { createClient } from 'graphql-sse';
import { describe, expect, it } from 'vitest';
import { tenantD1, token } from './helpers.ts';
import { emit, setup, waitFor } from './pipeline.ts';
import { openSse } from './sse.ts';

const SUB = `subscription ($eventId: ID, $userId: String) {
  deliveryUpdated(eventId: $eventId, userId: $userId) { id status channel user { userId } }
}`;

const openStream = (bearer: string, variables: Record<string, unknown> = {}) =>
  openSse(SUB, bearer, variables);

async function until(check: () => boolean, ms = 20_000) {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
}

describe('deliveryUpdated', () => {
  it('streams QUEUED → SENDING → SENT in order to an admin', async () => {
    const s = await setup(1);
    const [m0] = s.members as [string];
    const stream = await openStream(s.admin);
    expect(stream.status).toBe(200);
    const out = await emit(s, [m0]);
    await waitFor(s, out.event.id, (e) => e.summary.sent === 2);
    const slack = () =>
      stream.received
        .map((r) => r.data.deliveryUpdated)
        .filter((d) => d.channel === 'SLACK')
        .map((d) => d.status);
    await until(() => slack().includes('SENT'));
    await stream.close();
    expect(slack()).toEqual(['QUEUED', 'SENDING', 'SENT']);
    expect(stream.received.every((r) => r.data.deliveryUpdated.user.userId === m0)).toBe(true);
  });

  it('gives a member only their own deliveries, and filters by event', async () => {
    const s = await setup(2);
    const [m0, m1] = s.members as [string, string];
    const mine = await openStream(await token(s.tenant, 'user', m1));
    const first = await emit(s, [m0, m1]);
    const byEvent = await openStream(s.admin, { eventId: first.event.id });
    await waitFor(s, first.event.id, (e) => e.summary.sent === 3);
    const second = await emit(s, [m0]);
    await waitFor(s, second.event.id, (e) => e.summary.sent === 2);
    await until(() => mine.received.some((r) => r.data.deliveryUpdated.status === 'SENT'));
    await mine.close();
    await byEvent.close();
    expect(mine.received.length).toBeGreaterThan(0);
    expect(new Set(mine.received.map((r) => r.data.deliveryUpdated.user.userId))).toEqual(
      new Set([m1]),
    );
    // The event filter never passes the second event's deliveries (m0 only, after the first).
    const { fromGlobalId } = await import('../src/domain/ids.ts');
    const ids = byEvent.received.map((r) => r.data.deliveryUpdated.id);
    const d1 = await tenantD1(s.tenant);
    for (const id of ids) {
      const row = await d1
        .prepare('select event_id from deliveries where id = ?')
        .bind(fromGlobalId(id)?.rowId)
        .first<{ event_id: string }>();
      expect(row?.event_id).toBe(fromGlobalId(first.event.id)?.rowId);
    }
  });

  it('works with the graphql-sse client', async () => {
    const s = await setup(1);
    const client = createClient({
      url: 'https://renkei.test/graphql',
      headers: { authorization: `Bearer ${s.admin}` },
      fetchFn: (input: RequestInfo, init?: RequestInit) => exports.default.fetch(input, init),
      retryAttempts: 0,
    });
    const statuses: string[] = [];
    const iterator = client.iterate<{ deliveryUpdated: { status: string; channel: string } }>({
      query: SUB,
    });
    const collecting = (async () => {
      for await (const r of iterator) {
        const d = r.data?.deliveryUpdated;
        if (d?.channel === 'SLACK') statuses.push(d.status);
        if (d?.status === 'SENT' && d.channel === 'SLACK') break;
      }
    })();
    // graphql-sse connects lazily: give the stream a moment to open before emitting.
    await new Promise((r) => setTimeout(r, 500));
    await emit(s, s.members);
    await Promise.race([collecting, new Promise((r) => setTimeout(r, 20_000))]);
    client.dispose();
    expect(statuses).toEqual(['QUEUED', 'SENDING', 'SENT']);
  });

  it('refuses an unauthenticated subscription', async () => {
    const res = await exports.default.fetch('https://renkei.test/graphql', {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ query: SUB }),
    });
    const text = await res.text();
    expect(text).toContain('UNAUTHENTICATED');
  });
});
