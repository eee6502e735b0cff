// Integration: members' preferences (issue 16) through the Worker's fetch, queue and cron, with
// the preferences clock moved by CLOCK_OFFSET_MS: channel opt-outs vs required rules, quiet
// hours across midnight in Asia/Tokyo, urgent bypass, restart while HELD, bad input.
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { fake, gql, tenantD1, token } from './helpers.ts';
import { byUser, setup, waitFor } from './pipeline.ts';
import {
  cron,
  deliveriesOf,
  emitType,
  ME,
  PREFS,
  resetClock,
  SUB,
  setClock,
  UPDATE,
} from './preferences-helpers.ts';
import { openSse } from './sse.ts';

afterEach(resetClock);

describe('updateMyPreferences', () => {
  it('refuses bad input with the field and stores nothing', async () => {
    const s = await setup(2);
    const [m0] = s.members as [string];
    const member = await token(s.tenant, 'user', m0);
    await gql(
      `mutation { setNotificationRules(rules: [
        { type: APPROVAL_REQUESTED, channel: SLACK, enabled: true, required: true }]) { errors { code } } }`,
      {},
      s.admin,
    );
    const quiet = { start: '22:00', end: '07:00', days: ['MON'] };
    const digest = { types: ['COMMENTED'], at: ['18:00'] };
    const cases: [Record<string, unknown>, string[]][] = [
      [{ quietHours: { ...quiet, start: '25:00' } }, ['input', 'quietHours', 'start']],
      [{ quietHours: { ...quiet, end: '7:00' } }, ['input', 'quietHours', 'end']],
      [{ quietHours: { ...quiet, end: '22:00' } }, ['input', 'quietHours', 'end']],
      [{ quietHours: { ...quiet, timeZone: 'Mars/Olympus' } }, ['input', 'quietHours', 'timeZone']],
      [{ quietHours: { ...quiet, days: [] } }, ['input', 'quietHours', 'days']],
      [{ digest: { ...digest, at: [] } }, ['input', 'digest', 'at']],
      [{ digest: { ...digest, at: ['18:00', '9:00'] } }, ['input', 'digest', 'at', '1']],
      [{ digest: { ...digest, types: [] } }, ['input', 'digest', 'types']],
      [{ digest: { ...digest, timeZone: 'Tokyo' } }, ['input', 'digest', 'timeZone']],
      [
        {
          quietHours: quiet,
          channels: [{ type: 'APPROVAL_REQUESTED', channel: 'SLACK', enabled: false }],
        },
        ['input', 'channels', '0', 'enabled'],
      ],
    ];
    for (const [input, field] of cases) {
      const r = await gql(UPDATE, { i: input }, member);
      expect(r.errors).toBeUndefined();
      const out = r.data?.updateMyPreferences;
      expect(out.user, JSON.stringify(input)).toBeNull();
      expect(out.errors, JSON.stringify(input)).toEqual([
        { code: 'INVALID', message: expect.any(String), field },
      ]);
    }
    const required = await gql(
      UPDATE,
      { i: { channels: [{ type: 'APPROVAL_REQUESTED', channel: 'SLACK', enabled: false }] } },
      member,
    );
    expect(required.data?.updateMyPreferences.errors[0].message).toBe(
      'APPROVAL_REQUESTED on SLACK is required by your administrator and cannot be switched off',
    );
    expect((await gql(ME, {}, member)).data?.me.preferences).toEqual({
      channels: [],
      quietHours: null,
      digest: null,
    });
    const d1 = await tenantD1(s.tenant);
    const rows = await d1
      .prepare('select count(*) as n from member_preferences where tenant_id = ?')
      .bind(s.tenant)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });

  it('stores and returns the settings; zones default from the locale; null clears', async () => {
    const s = await setup(2);
    const [m0, m1] = s.members as [string, string];
    const en = await token(s.tenant, 'user', m0);
    const ja = await token(s.tenant, 'user', m1);
    const r = await gql(
      UPDATE,
      {
        i: {
          channels: [
            { type: 'COMMENTED', channel: 'SLACK', enabled: false },
            { type: 'CIRCULATED', channel: 'LINE', enabled: true },
          ],
          quietHours: { start: '22:00', end: '07:00', days: ['FRI', 'SAT', 'FRI'] },
          digest: { types: ['CIRCULATED'], at: ['18:00', '09:00'], timeZone: 'Europe/London' },
        },
      },
      ja,
    );
    expect(r.data?.updateMyPreferences).toEqual({
      errors: [],
      user: {
        userId: m1,
        preferences: {
          channels: [{ type: 'COMMENTED', channel: 'SLACK', enabled: false }],
          quietHours: {
            start: '22:00',
            end: '07:00',
            days: ['FRI', 'SAT'],
            timeZone: 'Asia/Tokyo',
          },
          digest: { types: ['CIRCULATED'], at: ['09:00', '18:00'], timeZone: 'Europe/London' },
        },
      },
    });
    // A field left out stays; null clears.
    const cleared = await gql(UPDATE, { i: { digest: null } }, ja);
    expect(cleared.data?.updateMyPreferences.user.preferences).toMatchObject({
      channels: [{ type: 'COMMENTED', channel: 'SLACK' }],
      quietHours: { start: '22:00' },
      digest: null,
    });
    await gql(
      'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }',
      { u: [{ userId: m0, locale: 'KO' }] },
      s.service,
    );
    const ko = await gql(
      UPDATE,
      { i: { quietHours: { start: '23:00', end: '06:00', days: ['SUN'] } } },
      en,
    );
    expect(ko.data?.updateMyPreferences.user.preferences.quietHours.timeZone).toBe('Asia/Seoul');

    // Who reads preferences: the member and admins; a service never.
    const admin = await gql(
      `query ($q: String) { users(search: $q) { edges { node { userId ${PREFS} } } } }`,
      { q: m1 },
      s.admin,
    );
    expect(admin.data?.users.edges[0].node.preferences.quietHours.start).toBe('22:00');
    const service = await gql(
      `mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { users { userId preferences { quietHours { start } } } } }`,
      { u: [{ userId: m1 }] },
      s.service,
    );
    expect(service.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(service.data ?? {})).not.toContain('22:00');
  });
});

describe('routing with preferences', () => {
  it('keeps both of two partial updates made at once (a field left out stays)', async () => {
    const s = await setup(1);
    const member = await token(s.tenant, 'user', s.members[0] as string);
    const quietHours = { start: '22:00', end: '07:00', days: ['MON'], timeZone: 'Asia/Tokyo' };
    const digest = { types: ['COMMENTED'], at: ['18:00'], timeZone: 'Asia/Tokyo' };
    for (let round = 0; round < 3; round++) {
      await gql(UPDATE, { i: { quietHours: null, digest: null } }, member);
      const answers = await Promise.all([
        gql(UPDATE, { i: { quietHours } }, member),
        gql(UPDATE, { i: { digest } }, member),
      ]);
      for (const a of answers) expect(a.data?.updateMyPreferences.errors).toEqual([]);
      const stored = (await gql(ME, {}, member)).data?.me.preferences;
      expect(stored.quietHours, `round ${round}`).toMatchObject({ start: '22:00', end: '07:00' });
      expect(stored.digest, `round ${round}`).toMatchObject({ at: ['18:00'] });
    }
  });

  it('skips a type the member turned off, unless the rule is required', async () => {
    const s = await setup(1);
    const [m0] = s.members as [string];
    const member = await token(s.tenant, 'user', m0);
    const off = await gql(
      UPDATE,
      { i: { channels: [{ type: 'APPROVAL_REQUESTED', channel: 'GOOGLE_CHAT', enabled: false }] } },
      member,
    );
    expect(off.data?.updateMyPreferences.errors).toEqual([]);
    const first = await emitType(s, [m0], 'APPROVAL_REQUESTED', 'DOC-1');
    const e1 = await waitFor(s, first, (e) => e.summary.sent === 1 && e.summary.skipped === 1);
    expect(byUser(e1, m0, 'GOOGLE_CHAT')).toMatchObject({
      status: 'SKIPPED',
      reason: 'turned off by the member',
    });
    expect(byUser(e1, m0, 'SLACK')).toMatchObject({ status: 'SENT' });

    // The admin makes the cell required: the member's old choice no longer applies.
    const rules = await gql(
      `mutation { setNotificationRules(rules: [
        { type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: true, required: true }]) {
        rules { type channel enabled required urgent } errors { code } } }`,
      {},
      s.admin,
    );
    expect(
      rules.data?.setNotificationRules.rules.find(
        (r: any) => r.type === 'APPROVAL_REQUESTED' && r.channel === 'GOOGLE_CHAT',
      ),
    ).toEqual({
      type: 'APPROVAL_REQUESTED',
      channel: 'GOOGLE_CHAT',
      enabled: true,
      required: true,
      urgent: false,
    });
    const second = await emitType(s, [m0], 'APPROVAL_REQUESTED', 'DOC-2');
    const e2 = await waitFor(s, second, (e) => e.summary.sent === 2);
    expect(byUser(e2, m0, 'GOOGLE_CHAT')).toMatchObject({ status: 'SENT' });
    // Omitting required/urgent leaves them as they are.
    const again = await gql(
      `mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: true }]) {
        rules { type channel required } } }`,
      {},
      s.admin,
    );
    expect(
      again.data?.setNotificationRules.rules.find(
        (r: any) => r.type === 'APPROVAL_REQUESTED' && r.channel === 'GOOGLE_CHAT',
      ).required,
    ).toBe(true);
  });

  it('holds deliveries in quiet hours across midnight in Asia/Tokyo, lets urgent ones through, and the sweep releases them in arrival order after a restart', async () => {
    const s = await setup(2);
    const [, m1] = s.members as [string, string];
    const ja = await token(s.tenant, 'user', m1);
    await gql(
      `mutation { setNotificationRules(rules: [
        { type: REMINDER, channel: SLACK, enabled: true, urgent: true }]) { errors { code } } }`,
      {},
      s.admin,
    );
    // Friday 2026-12-04 23:30 in Tokyo; quiet hours start on Fridays at 22:00, end at 07:00.
    setClock('2026-12-04T14:30:00Z');
    const set = await gql(
      UPDATE,
      { i: { quietHours: { start: '22:00', end: '07:00', days: ['FRI'] } } },
      ja,
    );
    expect(set.data?.updateMyPreferences.errors).toEqual([]);
    const stream = await openSse(SUB, s.admin, { userId: m1 });
    const a = await emitType(s, [m1], 'APPROVAL_REQUESTED', 'DOC-A', 'First request');
    const b = await emitType(s, [m1], 'APPROVAL_REQUESTED', 'DOC-B', 'Second request');
    const urgent = await emitType(s, [m1], 'REMINDER', 'DOC-C', 'Urgent reminder');
    const slackOf = async (id: string) =>
      (await deliveriesOf(s, id)).find((d) => d.channel === 'SLACK');
    expect(await slackOf(a)).toMatchObject({
      channel: 'SLACK',
      status: 'HELD',
      heldUntil: '2026-12-04T22:00:00.000Z',
      reason: "held for the member's quiet hours until 07:00 Asia/Tokyo",
      items: 1,
    });
    const sentUrgent = await waitFor(s, urgent, (e) => e.summary.sent === 1);
    expect(byUser(sentUrgent, m1, 'SLACK')).toMatchObject({ status: 'SENT' });

    // The worker restarts: the wake-up messages (7.5 h away on the queue) never matter; at
    // 02:00 the sweep leaves them, at 07:00 it releases them.
    await cron('2026-12-04T17:00:00Z');
    expect((await slackOf(b)).status).toBe('HELD');
    await cron('2026-12-04T22:00:30Z');
    const sentA = await waitFor(s, a, (e) => e.summary.sent === 1);
    const sentB = await waitFor(s, b, (e) => e.summary.sent === 1);
    expect(byUser(sentA, m1, 'SLACK').status).toBe('SENT');
    expect(byUser(sentB, m1, 'SLACK').status).toBe('SENT');
    expect((await slackOf(a)).heldUntil).toBeNull();
    const posts = await fake(
      env.SLACK_API_BASE,
      `/__fake/requests?path=chat.postMessage&contains=${s.slackToken}`,
    );
    expect(posts.map((p: any) => p.json.text.split('\n')[0])).toEqual([
      'リマインダー: Urgent reminder',
      '承認依頼: First request',
      '承認依頼: Second request',
    ]);
    const idA = byUser(sentA, m1, 'SLACK').id;
    const statuses = () =>
      stream.received.map((r) => r.data.deliveryUpdated).filter((d) => d.id === idA);
    const end = Date.now() + 10_000;
    while (!statuses().some((d) => d.status === 'SENT') && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await stream.close();
    expect(statuses().map((d) => d.status)).toEqual(['HELD', 'QUEUED', 'SENDING', 'SENT']);
    expect(statuses()[0].heldUntil).toBe('2026-12-04T22:00:00.000Z');
  });

  it('sends a held delivery when its quiet hours end, through the wake-up message alone', async () => {
    const s = await setup(1);
    const [m0] = s.members as [string];
    const member = await token(s.tenant, 'user', m0);
    // Saturday 06:59:57 in Tokyo, inside Friday night's quiet hours (ending 07:00).
    setClock('2026-12-04T21:59:57Z');
    await gql(
      UPDATE,
      {
        i: {
          quietHours: { start: '22:00', end: '07:00', days: ['FRI'], timeZone: 'Asia/Tokyo' },
        },
      },
      member,
    );
    const id = await emitType(s, [m0], 'APPROVAL_REQUESTED', 'DOC-W');
    expect((await deliveriesOf(s, id)).map((d) => d.status)).toEqual(['HELD', 'HELD']);
    const sent = await waitFor(s, id, (e) => e.summary.sent === 2, 20_000);
    expect(sent.summary.sent).toBe(2);
  });

  it('re-decides held deliveries when the member changes their preferences', async () => {
    const s = await setup(1);
    const [m0] = s.members as [string];
    const member = await token(s.tenant, 'user', m0);
    setClock('2026-12-04T14:30:00Z');
    await gql(
      UPDATE,
      { i: { quietHours: { start: '22:00', end: '07:00', days: ['FRI'] } } },
      member,
    );
    const id = await emitType(s, [m0], 'APPROVAL_REQUESTED', 'DOC-R');
    expect((await deliveriesOf(s, id)).map((d) => d.status)).toEqual(['HELD', 'HELD']);
    // Google Chat switched off, quiet hours cleared: Slack goes out now, Google Chat is skipped.
    const r = await gql(
      UPDATE,
      {
        i: {
          quietHours: null,
          channels: [{ type: 'APPROVAL_REQUESTED', channel: 'GOOGLE_CHAT', enabled: false }],
        },
      },
      member,
    );
    expect(r.data?.updateMyPreferences.errors).toEqual([]);
    const e = await waitFor(s, id, (x) => x.summary.sent === 1 && x.summary.skipped === 1);
    expect(byUser(e, m0, 'SLACK')).toMatchObject({ status: 'SENT' });
    expect(byUser(e, m0, 'GOOGLE_CHAT')).toMatchObject({
      status: 'SKIPPED',
      reason: 'turned off by the member',
    });
  });
});
