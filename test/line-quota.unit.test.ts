// Unit: the LINE quota client (lineQuota) against the LINE fake on 127.0.0.1, and the pure
// quota policy of src/domain/line-quota.ts (LINE's month, what admins see, the 80 % notice).
// Each test has its own channel token; scripts only match requests carrying it.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { lineQuota } from '../src/adapters/line/index.ts';
import {
  type LineQuotaRow,
  lineMonth,
  lineMonthStart,
  lineQuotaNotice,
  lineQuotaView,
} from '../src/domain/line-quota.ts';
import { fake } from './helpers.ts';

const control = (path: string, body?: unknown) => fake(env.LINE_API_BASE, path, body);
const hex = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, n);

async function channel(quota: unknown, used?: number) {
  const token = `quota-token-${hex(12)}`;
  const channelId = `9${hex(9).replace(/\D/g, '1')}`;
  await control('/__fake/state', {
    bots: { [token]: { userId: `U${hex(32)}`, basicId: '@q', displayName: 'Q', channelId } },
    quotas: { [channelId]: quota },
    ...(used === undefined ? {} : { consumption: { [channelId]: { totalUsage: used } } }),
  });
  return { token, channelId };
}

const read = (token: string) =>
  lineQuota({ apiBase: env.LINE_API_BASE, channelAccessToken: token, timeoutMs: 3000 });

describe('lineQuota', () => {
  it('reads a limited and an unlimited plan, counting only this month', async () => {
    const limited = await channel({ type: 'limited', value: 200 }, 37);
    expect(await read(limited.token)).toEqual({ ok: true, limit: 200, used: 37 });
    const none = await channel({ type: 'none' });
    expect(await read(none.token)).toEqual({ ok: true, limit: null, used: 0 });
    await control('/__fake/state', {
      consumption: { [limited.channelId]: { month: '2000-01', totalUsage: 37 } },
    });
    expect(await read(limited.token)).toEqual({ ok: true, limit: 200, used: 0 });
  });

  it('fails on a refused token, server errors and bodies of the wrong shape', async () => {
    expect(await read('not-a-known-token')).toMatchObject({
      ok: false,
      status: 401,
      retryable: false,
    });
    const ch = await channel({ type: 'limited', value: 5 }, 1);
    const cases: [string, unknown, RegExp][] = [
      ['/v2/bot/message/quota', { status: 500, json: { message: 'boom' } }, /LINE 500 \(boom\)/],
      ['/v2/bot/message/quota', { status: 200, body: 'nope' }, /unexpected response/],
      ['/v2/bot/message/quota', { status: 200, json: { type: 'limited' } }, /unexpected/],
      ['/v2/bot/message/quota', { status: 200, json: { type: 'limited', value: 1.5 } }, /unexp/],
      ['/consumption', { status: 200, json: { totalUsage: '3' } }, /consumption: unexpected/],
      ['/consumption', { status: 200, json: null }, /consumption: unexpected/],
      ['/consumption', { status: 429, json: { message: 'Too many requests' } }, /LINE 429/],
    ];
    for (const [path, response, reason] of cases) {
      await control('/__fake/script', {
        match: { path, contains: ch.token },
        responses: [response],
      });
      const r = await read(ch.token);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toMatch(reason);
      expect(!r.ok && r.retryable).toBe(true);
    }
    expect(await read(ch.token)).toEqual({ ok: true, limit: 5, used: 1 });
  });
});

describe('LINE quota policy', () => {
  it("counts months on Japan's calendar", () => {
    // 2026-11-30 15:00 UTC is 2026-12-01 00:00 in Tokyo.
    const turn = Date.UTC(2026, 10, 30, 15, 0, 0);
    expect(lineMonth(turn - 1)).toBe('2026-11');
    expect(lineMonth(turn)).toBe('2026-12');
    expect(lineMonthStart(turn + 5 * 86_400_000)).toBe('2026-11-30T15:00:00.000Z');
    expect(lineMonthStart(turn - 1)).toBe('2026-10-31T15:00:00.000Z');
    expect(lineMonth(Date.UTC(2026, 11, 31, 14, 59))).toBe('2026-12');
    expect(lineMonth(Date.UTC(2026, 11, 31, 15, 0))).toBe('2027-01');
  });

  const now = Date.UTC(2026, 11, 10, 3, 0, 0);
  const row = (over: Partial<LineQuotaRow>): LineQuotaRow => ({
    tenantId: 't',
    month: lineMonth(now),
    quotaLimit: 200,
    used: 0,
    checkedAt: '2026-12-10T02:00:00.000Z',
    pushed: 0,
    exhaustedAt: null,
    attemptedAt: '2026-12-10T02:00:00.000Z',
    error: null,
    updatedAt: '2026-12-10T02:00:00.000Z',
    ...over,
  });

  it('shows LINE’s count plus the pushes since, null before a first read', () => {
    expect(lineQuotaView(null)).toBeNull();
    expect(lineQuotaView(row({ used: null, checkedAt: null }))).toBeNull();
    expect(lineQuotaView(row({ used: 150, pushed: 7 }))).toEqual({
      limit: 200,
      used: 157,
      checkedAt: '2026-12-10T02:00:00.000Z',
    });
  });

  it('warns from 80 %, says used up at the limit, and forgets an earlier month', () => {
    expect(lineQuotaNotice(row({ used: 159 }), now)).toBeNull();
    expect(lineQuotaNotice(row({ used: 155, pushed: 5 }), now)).toBe(
      'LINE monthly quota: 160 of 200 messages used (80 %); pushes stop at 200 until the month turns (the 1st, Japan time) or the plan is upgraded in LINE Official Account Manager',
    );
    expect(lineQuotaNotice(row({ used: 200 }), now)).toMatch(
      /^LINE monthly quota used up: 200 of 200 messages used \(100 %\); LINE deliveries end FAILED/,
    );
    expect(lineQuotaNotice(row({ quotaLimit: 0, used: 0 }), now)).toContain('0 of 0');
    expect(lineQuotaNotice(row({ quotaLimit: null, used: 5000 }), now)).toBeNull();
    expect(lineQuotaNotice(row({ month: '2026-11', used: 200 }), now)).toBeNull();
    expect(
      lineQuotaNotice(row({ used: 3, exhaustedAt: '2026-12-10T01:00:00.000Z' }), now),
    ).toContain('LINE refused a push at 2026-12-10T01:00:00.000Z');
    expect(lineQuotaNotice(row({ error: 'LINE quota: LINE 500', used: 190 }), now)).toBe(
      'LINE monthly quota not read: LINE quota: LINE 500 (last read 2026-12-10T02:00:00.000Z; Renkei tries again after sending, daily and on verifyIntegration); ' +
        'LINE monthly quota: 190 of 200 messages used (95 %); pushes stop at 200 until the month turns (the 1st, Japan time) or the plan is upgraded in LINE Official Account Manager',
    );
  });
});
