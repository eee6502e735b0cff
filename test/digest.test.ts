// Integration: digests (issue 16). 25 notifications held for two members' 18:00 digest go out as
// one Slack DM (EN) and one LINE push (JA) each, with the exact payloads; a withdrawn document
// leaves its held item out; a digest whose send fails retries as one delivery and its items stay
// DIGESTED to it; the subscription shows DIGESTED; the "and N more" link opens the full list.
import { env, exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../src/domain/ids.ts';
import { digestListUrl } from '../src/domain/preferences/index.ts';
import { fake, gql, tenantD1, token } from './helpers.ts';
import { setup } from './pipeline.ts';
import { cron, emitType, resetClock, SUB, setClock, UPDATE } from './preferences-helpers.ts';
import { openSse } from './sse.ts';

afterEach(resetClock);

const hex = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(Math.ceil(n / 2))), (b) =>
    b.toString(16).padStart(2, '0'),
  )
    .join('')
    .slice(0, n);

const DIGESTED = `query ($f: DeliveryFilter) { deliveries(first: 100, filter: $f) { totalCount edges { node {
  id channel status reason event { documentId } digest { id channel status attempts items } } } } }`;

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 30_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('digests', () => {
  it('folds 25 held notifications into one message per member and channel (Slack EN, LINE JA), prunes a withdrawn one, retries a failed digest as one', async () => {
    const s = await setup(2);
    const [m0, m1] = s.members as [string, string];
    // LINE on with a long-lived token; m1 (JA) finished LINE Login and added the friend.
    const channelToken = `line-token-${crypto.randomUUID()}`;
    const channelId = String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999));
    await fake(env.LINE_API_BASE, '/__fake/state', {
      bots: {
        [channelToken]: {
          userId: `U${hex(32)}`,
          basicId: '@digest',
          displayName: 'Acme',
          channelId,
        },
      },
      quotas: { [channelId]: { type: 'none' } },
      consumption: { [channelId]: { totalUsage: 0 } },
    });
    const line = await gql(
      `mutation ($i: ConfigureLineInput!) { configureLine(input: $i) { errors { code message } } }`,
      {
        i: {
          enabled: true,
          loginChannelId: '1650000000',
          loginChannelSecret: `login-${hex(16)}`,
          messagingChannelSecret: `messaging-${hex(16)}`,
          channelAccessToken: channelToken,
          friendUrl: 'https://line.me/R/ti/p/@digest',
        },
      },
      s.admin,
    );
    expect(line.data?.configureLine.errors).toEqual([]);
    const lineUserId = `U${hex(32)}`;
    const d1 = await tenantD1(s.tenant);
    await d1
      .prepare(
        "update users set line_user_id = ?, line_status = 'LINKED' where tenant_id = ? and user_id = ?",
      )
      .bind(lineUserId, s.tenant, m1)
      .run();
    await gql(
      `mutation { setNotificationRules(rules: [
        { type: CIRCULATED, channel: SLACK, enabled: true },
        { type: CIRCULATED, channel: LINE, enabled: true }]) { errors { code } } }`,
      {},
      s.admin,
    );
    // Tuesday 10:00 in Tokyo; both members take CIRCULATED as a digest at 18:00.
    setClock('2026-12-01T01:00:00Z');
    for (const m of [m0, m1]) {
      const r = await gql(
        UPDATE,
        { i: { digest: { types: ['CIRCULATED'], at: ['18:00'] } } },
        await token(s.tenant, 'user', m),
      );
      expect(r.data?.updateMyPreferences.errors).toEqual([]);
    }
    const docs = Array.from({ length: 25 }, (_, i) => `DOC-${String(i + 1).padStart(2, '0')}`);
    for (const doc of docs) await emitType(s, [m0, m1], 'CIRCULATED', doc);
    // One more document, withdrawn before the digest: its held items are left out.
    await emitType(s, [m0, m1], 'CIRCULATED', 'DOC-26');
    await emitType(s, [m0, m1], 'WITHDRAWN', 'DOC-26');
    const held = await gql(DIGESTED, { f: { status: 'HELD' } }, s.admin);
    expect(held.data?.deliveries.totalCount).toBe(75);
    const skipped = await gql(DIGESTED, { f: { status: 'SKIPPED' } }, s.admin);
    const pruned = skipped.data?.deliveries.edges
      .map((e: any) => e.node)
      .filter((d: any) => d.event.documentId === 'DOC-26' && d.reason !== 'LINE not linked');
    expect(pruned).toHaveLength(3);
    for (const d of pruned) {
      expect(d.reason).toBe('left out of the digest: the document was withdrawn');
    }

    // The first digest post fails with a 500: that digest retries as one delivery.
    await fake(env.SLACK_API_BASE, '/__fake/script', {
      match: { path: 'chat.postMessage', contains: s.slackToken },
      responses: [{ status: 500, body: 'oops' }],
    });
    const stream = await openSse(SUB, s.admin, { userId: m0 });
    // 18:00:30 in Tokyo: the cron folds what is due.
    await cron('2026-12-01T09:00:30Z');
    const digested = await until(
      () => gql(DIGESTED, { f: { status: 'DIGESTED' } }, s.admin),
      (r) =>
        r.data?.deliveries.totalCount === 75 &&
        r.data.deliveries.edges.every((e: any) => e.node.digest.status === 'SENT'),
    );
    const items = digested.data?.deliveries.edges.map((e: any) => e.node) as any[];
    expect(items).toHaveLength(75);
    const digests = new Map<string, any>(items.map((d) => [d.digest.id, d.digest]));
    expect(digests.size).toBe(3);
    for (const d of digests.values()) expect(d).toMatchObject({ status: 'SENT', items: 25 });
    expect([...digests.values()].map((d) => d.attempts).sort()).toEqual([1, 1, 2]);
    // Each item points at the digest of its own channel.
    for (const item of items) expect(digests.get(item.digest.id).channel).toBe(item.channel);

    const listUrlOf = async (digestId: string) =>
      digestListUrl(
        env.PUBLIC_BASE_URL,
        env.SECRETS_KEY,
        s.tenant,
        fromGlobalId(digestId)?.rowId as string,
      );
    const userOfDigest = async (digestId: string) =>
      (
        await d1
          .prepare(
            'select u.user_id as userId from deliveries d join users u on u.id = d.user_row_id where d.id = ?',
          )
          .bind(fromGlobalId(digestId)?.rowId)
          .first<{ userId: string }>()
      )?.userId;
    let slackEn: any;
    let lineJa: any;
    for (const d of digests.values()) {
      const who = await userOfDigest(d.id);
      if (who === m0 && d.channel === 'SLACK') slackEn = d;
      if (who === m1 && d.channel === 'LINE') lineJa = d;
    }
    expect(slackEn).toBeTruthy();
    expect(lineJa).toBeTruthy();

    // Slack, EN: the newest ten in full, "and 15 more" to the list, the list's button.
    const enUrl = await listUrlOf(slackEn.id);
    const newestTen = docs.slice(-10).reverse();
    const posts = (
      await fake(
        env.SLACK_API_BASE,
        `/__fake/requests?path=chat.postMessage&contains=${s.slackToken}`,
      )
    ).filter((p: any) => p.status === 200);
    expect(posts).toHaveLength(2);
    const en = posts.find((p: any) => p.json.text.startsWith('Digest:'));
    expect(en.json.blocks).toEqual([
      {
        type: 'header',
        text: { type: 'plain_text', text: 'Digest: 25 notifications', emoji: true },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: 'Your notifications collected into one message, newest first.',
        },
      },
      ...newestTen.map((doc) => ({
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*For your information*  <https://workplace.example/wf/${doc}|Document ${doc}>`,
        },
      })),
      { type: 'section', text: { type: 'mrkdwn', text: `<${enUrl}|and 15 more>` } },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'View all', emoji: true },
            url: enUrl,
            action_id: 'open_document',
          },
        ],
      },
    ]);
    expect(en.json.text).toBe(
      [
        'Digest: 25 notifications',
        ...newestTen.map((doc) => `For your information: Document ${doc}`),
        'and 15 more',
      ].join('\n'),
    );
    const ja = posts.find((p: any) => p.json.text.startsWith('通知のまとめ'));
    expect(ja.json.blocks[0].text.text).toBe('通知のまとめ（25件）');
    expect(ja.json.blocks[2].text.text).toBe(
      '*回覧*  <https://workplace.example/wf/DOC-25|Document DOC-25>',
    );

    // LINE, JA: one push with one flex bubble.
    const jaUrl = await listUrlOf(lineJa.id);
    const pushes = await fake(
      env.LINE_API_BASE,
      `/__fake/requests?path=/v2/bot/message/push&contains=${channelToken}`,
    );
    expect(pushes).toHaveLength(1);
    expect(pushes[0].json.to).toBe(lineUserId);
    expect(pushes[0].json.messages).toHaveLength(1);
    const flex = pushes[0].json.messages[0];
    const text = (t: string) => ({
      type: 'text',
      text: t,
      size: 'sm',
      color: '#555555',
      wrap: true,
    });
    expect(flex.contents).toEqual({
      type: 'bubble',
      body: {
        type: 'box',
        layout: 'vertical',
        spacing: 'md',
        contents: [
          { type: 'text', text: '通知のまとめ（25件）', weight: 'bold', wrap: true },
          text('まとめて届いた通知です。新しい順に表示しています。'),
          ...newestTen.map((doc) => text(`回覧: Document ${doc}`)),
          text('ほか15件'),
        ],
      },
      footer: {
        type: 'box',
        layout: 'vertical',
        contents: [
          {
            type: 'button',
            style: 'primary',
            action: { type: 'uri', label: 'すべて表示', uri: jaUrl },
          },
        ],
      },
    });
    expect(flex.type).toBe('flex');
    expect(flex.altText.startsWith('通知のまとめ（25件）\nまとめて届いた通知です。')).toBe(true);
    expect(flex.altText.length).toBeLessThanOrEqual(400);

    // The subscription saw the items become DIGESTED, pointing at their digest.
    const mine = () =>
      stream.received.map((r) => r.data.deliveryUpdated).filter((u) => u.status === 'DIGESTED');
    await until(
      async () => mine().length,
      (n) => n >= 25,
      10_000,
    );
    await stream.close();
    expect(mine()).toHaveLength(25);
    expect(new Set(mine().map((u) => u.digest.id))).toEqual(new Set([slackEn.id]));
    const digestUpdates = stream.received
      .map((r) => r.data.deliveryUpdated)
      .filter((u) => u.id === slackEn.id);
    expect(digestUpdates[0]).toMatchObject({ status: 'QUEUED', items: 25 });
    expect(digestUpdates.at(-1)).toMatchObject({ status: 'SENT', items: 25 });

    // The list behind "and 15 more": all 25, newest first; a forged link is a 404.
    const page = await exports.default.fetch(enUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html.match(/<li>/g)).toHaveLength(25);
    expect(html.indexOf('Document DOC-25')).toBeLessThan(html.indexOf('Document DOC-01'));
    expect(html).toContain('href="https://workplace.example/wf/DOC-01"');
    const forged = new URL(enUrl);
    forged.searchParams.set('s', `${forged.searchParams.get('s')?.slice(0, -2)}AA`);
    expect((await exports.default.fetch(forged.toString())).status).toBe(404);
    const otherTenant = new URL(enUrl);
    otherTenant.searchParams.set('t', `${s.tenant}x`);
    expect((await exports.default.fetch(otherTenant.toString())).status).toBe(404);
  });
});
