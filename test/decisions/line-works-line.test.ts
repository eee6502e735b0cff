// Integration: decision buttons on LINE WORKS (button_template message actions, the bot's
// callback set by Renkei, signed callbacks, resource ids learned with GET /users) and on LINE
// (flex postback buttons, signed postback webhooks, replies), through exports.default.fetch().
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { fake, gql, tenantD1 } from '../helpers.ts';
import {
  botMessagesTo,
  hex,
  linePostback,
  lineRequests,
  lineTenant,
  lineWorksClick,
  lineWorksTenant,
  tamperLast,
} from './chat-helpers.ts';
import { auditActions, decisionRows, emitWithActions, eventually } from './slack-helpers.ts';

const VALUE = /^rk1\.[0-9a-f]{32}\.[AJR]\.[A-Za-z0-9_-]{22}$/;
describe('decisions on LINE WORKS', () => {
  it('sets the bot callback, sends message-action buttons and records a signed click once', async () => {
    const t = await lineWorksTenant();
    expect(t.integration.callbackUrl).toBe(`https://renkei.test/line-works/callback/${t.tenant}`);
    const state = await fake(env.LINE_WORKS_API_BASE, '/__fake/state');
    expect(state.bots[t.botId]).toMatchObject({
      enableCallback: true,
      callbackUrl: t.integration.callbackUrl,
      callbackEvents: ['text'],
    });
    const event = await emitWithActions(t as never, [t.member]);
    const sent = await eventually(
      () => botMessagesTo(t.botId, t.member),
      (r) => r.length > 0,
    );
    expect(sent[0].json.content).toEqual({
      type: 'button_template',
      contentText: expect.stringContaining('出張申請 (大阪)'),
      actions: [
        { type: 'message', label: '承認', postback: expect.stringMatching(VALUE) },
        { type: 'message', label: '却下', postback: expect.stringMatching(VALUE) },
        { type: 'message', label: '差し戻し', postback: expect.stringMatching(VALUE) },
        { type: 'uri', label: '文書を開く', uri: 'https://workplace.example/wf/0042' },
      ],
    });
    const approve = sent[0].json.content.actions[0].postback as string;

    // Forged: no signature, wrong secret, wrong bot id, unknown tenant, malformed body.
    const bare = await exports.default.fetch(
      `https://renkei.test/line-works/callback/${t.tenant}`,
      { method: 'POST', body: '{}' },
    );
    expect(bare.status).toBe(401);
    expect((await lineWorksClick(t, t.resourceId, approve, { secret: 'nope' })).status).toBe(401);
    expect((await lineWorksClick(t, t.resourceId, approve, { botId: '999' })).status).toBe(401);
    expect(
      (await lineWorksClick({ ...t, tenant: 'no-such-tenant' }, t.resourceId, approve)).status,
    ).toBe(401);
    expect((await lineWorksClick(t, t.resourceId, approve, { rawBody: '{nope' })).status).toBe(400);
    // Someone else, and a tampered value: told, nothing recorded.
    const stranger = crypto.randomUUID();
    expect((await lineWorksClick(t, stranger, approve)).status).toBe(200);
    expect((await lineWorksClick(t, t.resourceId, `${approve}x`)).status).toBe(200);
    expect(await decisionRows(t.tenant)).toEqual([]);
    expect(await auditActions(t.tenant, 'decision.refused')).toHaveLength(1);

    // The member, named by their resource id (learned with GET /users/{loginId}).
    expect((await lineWorksClick(t, t.resourceId, approve)).status).toBe(200);
    expect((await lineWorksClick(t, t.resourceId, approve)).status).toBe(200);
    const rows = await decisionRows(t.tenant);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'APPROVE', channel: 'LINE_WORKS' });
    const lookups = await fake(
      env.LINE_WORKS_API_BASE,
      `/__fake/requests?path=/v1.0/users/${encodeURIComponent(t.member)}`,
    );
    expect(lookups).toHaveLength(1);
    const toStranger = await eventually(
      () => botMessagesTo(t.botId, stranger),
      (r) => r.length >= 1,
    );
    expect(toStranger[0].json.content.text).toBe('この申請に回答できるのは宛先の方だけです。');
    const answers = await eventually(
      () => botMessagesTo(t.botId, t.resourceId),
      (r) => r.length >= 3,
    );
    const texts: string[] = answers.map((r: any) => r.json.content.text);
    // An altered value names no button of Renkei's: it is left unanswered.
    expect(texts).not.toContain('このボタンは無効です。WORKPLACE で操作してください。');
    expect(texts).toContain('「承認」を受け付けました。WORKPLACE に送信しています。');
    expect(texts.some((x: string) => x.startsWith('この申請には '))).toBe(true);
    expect(event.id).toBeTruthy();
    const verdict = await eventually(
      () => botMessagesTo(t.botId, t.resourceId),
      (r) => r.some((x: any) => x.json.content.text.includes('反映されました')),
    );
    expect(verdict.map((x: any) => x.json.content.text)).toContain(
      '「承認」が WORKPLACE に反映されました。',
    );
  });

  it('drops the cached resource id when WORKPLACE gives the member another LINE WORKS id', async () => {
    const t = await lineWorksTenant();
    const upsert = (lineWorksUserId: string) =>
      gql(
        'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }',
        { u: [{ userId: t.member, lineWorksUserId }] },
        t.service,
      );
    // The member's LINE WORKS login id, named explicitly (the same as their WORKPLACE id here).
    expect((await upsert(t.member)).data?.upsertUsers.errors).toEqual([]);
    await emitWithActions(t as never, [t.member]);
    const sent = await eventually(
      () => botMessagesTo(t.botId, t.member),
      (r) => r.length > 0,
    );
    const approve = sent[0].json.content.actions[0].postback as string;
    // The click teaches Renkei the member's resource id (GET /users/{loginId}), cached.
    expect((await lineWorksClick(t, t.resourceId, approve)).status).toBe(200);
    const db = await tenantD1(t.tenant);
    const cached = async () =>
      (
        await db
          .prepare(
            'select line_works_resource_id as r from users where tenant_id = ? and user_id = ?',
          )
          .bind(t.tenant, t.member)
          .first<{ r: string | null }>()
      )?.r;
    expect(await cached()).toBe(t.resourceId);
    // The same LINE WORKS account again: the resource id stays.
    expect((await upsert(t.member)).data?.upsertUsers.errors).toEqual([]);
    expect(await cached()).toBe(t.resourceId);
    // Another account: the old resource id no longer names this member.
    expect((await upsert(`new-${t.member}`)).data?.upsertUsers.errors).toEqual([]);
    expect(await cached()).toBeNull();
  });

  it('sends the link only without a Bot Secret', async () => {
    const t = await lineWorksTenant();
    await gql(
      'mutation { configureLineWorks(input: { enabled: true, botSecret: "" }) { errors { code } } }',
      {},
      t.admin,
    );
    await emitWithActions(t as never, [t.member]);
    const sent = await eventually(
      () => botMessagesTo(t.botId, t.member),
      (r) => r.length > 0,
    );
    expect(sent[0].json.content.actions).toEqual([
      { type: 'uri', label: '文書を開く', uri: 'https://workplace.example/wf/0042' },
    ]);
  });
});

describe('decisions on LINE', () => {
  it('pushes postback buttons and records a signed postback once; others are answered by reply', async () => {
    const t = await lineTenant();
    await emitWithActions(t as never, [t.member]);
    const pushes = await eventually(
      () => lineRequests('/v2/bot/message/push', t.lineUserId),
      (r) => r.length > 0,
    );
    const footer = pushes[0].json.messages[0].contents.footer;
    expect(footer).toEqual({
      type: 'box',
      layout: 'vertical',
      spacing: 'sm',
      contents: [
        {
          type: 'button',
          style: 'primary',
          action: {
            type: 'postback',
            label: '承認',
            data: expect.stringMatching(VALUE),
            displayText: '承認します',
          },
        },
        {
          type: 'button',
          style: 'secondary',
          action: {
            type: 'postback',
            label: '却下',
            data: expect.stringMatching(VALUE),
            displayText: '却下します',
          },
        },
        {
          type: 'button',
          style: 'secondary',
          action: {
            type: 'postback',
            label: '差し戻し',
            data: expect.stringMatching(VALUE),
            displayText: '差し戻します',
          },
        },
        {
          type: 'button',
          style: 'link',
          action: { type: 'uri', label: '文書を開く', uri: 'https://workplace.example/wf/0042' },
        },
      ],
    });
    const approve = footer.contents[0].action.data as string;
    const stranger = `U${hex(32)}`;
    expect((await linePostback(t, stranger, approve)).status).toBe(200);
    // The MAC's last character changed (to one it is not: a MAC may end in 'Z').
    const tampered = tamperLast(approve);
    expect((await linePostback(t, t.lineUserId, tampered)).status).toBe(200);
    expect(await decisionRows(t.tenant)).toEqual([]);
    // Wrongly signed: 401.
    const bad = await exports.default.fetch(`https://renkei.test/line/webhook/${t.tenant}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-line-signature': 'AAAA' },
      body: '{"events":[]}',
    });
    expect(bad.status).toBe(401);

    const eventId = `01J${hex(23).toUpperCase()}`;
    expect((await linePostback(t, t.lineUserId, approve, eventId)).status).toBe(200);
    // A redelivery of the same webhook event, and a second tap: still one decision.
    expect((await linePostback(t, t.lineUserId, approve, eventId)).status).toBe(200);
    expect((await linePostback(t, t.lineUserId, approve)).status).toBe(200);
    const rows = await decisionRows(t.tenant);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'APPROVE', channel: 'LINE' });
    // "Received" at once, by the click's (free) reply token; exactly one, to the first tap.
    const replies = await lineRequests('/v2/bot/message/reply', t.channelToken);
    const received = replies.filter((x: any) => x.json.messages[0].text.includes('受け付けました'));
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ status: 200 });
    expect(received[0].json).toEqual({
      replyToken: expect.any(String),
      messages: [{ type: 'text', text: '「承認」を受け付けました。WORKPLACE に送信しています。' }],
    });
    // WORKPLACE's verdict follows by push (the reply token is spent).
    const verdicts = await eventually(
      async () =>
        (await lineRequests('/v2/bot/message/push', t.lineUserId)).filter((x: any) =>
          x.json.messages[0].text?.includes('反映されました'),
        ),
      (r) => r.length > 0,
    );
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0].json).toEqual({
      to: t.lineUserId,
      messages: [{ type: 'text', text: '「承認」が WORKPLACE に反映されました。' }],
    });
    const texts = replies.map((r: any) => r.json.messages[0].text);
    expect(texts).toContain('この申請に回答できるのは宛先の方だけです。');
    // An altered value (or a rich menu's postback) is not Renkei's to answer.
    expect(texts).not.toContain('このボタンは無効です。WORKPLACE で操作してください。');
    expect(texts.some((x: string) => x.startsWith('この申請には '))).toBe(true);
  });
});
