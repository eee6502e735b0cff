// Integration, attacker's view of the three click endpoints (issue 14, "Bad input"): for each
// platform a table of forged, replayed, malformed and foreign requests, each answered with its
// status (never 5xx) and recording nothing (no Decision, no WORKPLACE webhook); afterwards the
// recipient's own click — sent twice, byte for byte — records exactly one decision, which
// reaches WORKPLACE once.
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { SLACK_COMMENT_CALLBACK_ID } from '../../src/adapters/slack/index.ts';
import { fake } from '../helpers.ts';
import {
  BOT_SECRET,
  botMessagesTo,
  hex,
  lineTenant,
  lineWorksTenant,
  tamperLast,
} from './chat-helpers.ts';
import {
  buttonValues,
  decisionRows,
  emitWithActions,
  eventually,
  postedMessage,
  SIGNING_SECRET,
  slackSetup,
} from './slack-helpers.ts';

/** A request as it reaches the Worker. */
interface Forged {
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface Case {
  name: string;
  request: () => Promise<Forged>;
  status: number;
}

/** Just over the Worker's 2 MiB body limit. */
const HUGE = 'x'.repeat(2 * 1024 * 1024 + 1);

function send(r: Forged) {
  return exports.default.fetch(`https://renkei.test${r.path}`, {
    method: 'POST',
    headers: r.headers,
    body: r.body,
  });
}

function without(headers: Record<string, string>, ...names: string[]) {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !names.includes(k)));
}

async function hmacBase64(secret: string, body: string) {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(body)));
  return btoa(String.fromCharCode(...mac));
}

/** Sends every case, expecting its status; then nothing recorded and no WORKPLACE webhook. */
async function expectRefused(cases: Case[], tenant: string, documentId: string) {
  const got: Record<string, number> = {};
  for (const c of cases) got[c.name] = (await send(await c.request())).status;
  expect(got).toEqual(Object.fromEntries(cases.map((c) => [c.name, c.status])));
  expect(await decisionRows(tenant)).toEqual([]);
  expect(await fake(env.WORKPLACE_WEBHOOK_URL, `/__fake/requests?contains=${documentId}`)).toEqual(
    [],
  );
}

/** The legitimate request, sent twice as is: one decision, which WORKPLACE receives once. */
async function expectOneDecision(
  legit: Forged,
  tenant: string,
  documentId: string,
  channel: string,
) {
  expect((await send(legit)).status).toBe(200);
  expect((await send(legit)).status).toBe(200);
  const rows = await eventually(
    () => decisionRows(tenant),
    (r) => r[0]?.status === 'ACCEPTED',
  );
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ action: 'APPROVE', channel, status: 'ACCEPTED' });
  const received = await fake(env.WORKPLACE_WEBHOOK_URL, `/__fake/requests?contains=${documentId}`);
  expect(new Set(received.map((r: any) => r.headers['webhook-id'])).size).toBe(1);
  expect(received.filter((r: any) => r.status === 200)).toHaveLength(1);
}

describe('forged clicks on Slack', () => {
  it('refuses each forged, foreign or malformed interaction; the recipient still decides once', async () => {
    const s = await slackSetup(2);
    const documentId = `WF-${crypto.randomUUID()}`;
    const event = await emitWithActions(s, [s.members[1] as string], { documentId });
    const posted = await postedMessage(s, event.id, 1);
    const values = buttonValues(posted.blocks);
    const approve = values.decision_approve as string;
    const path = `/slack/interactivity/${s.tenant}`;
    const recipient = s.memberIds[1] as string;
    const block = (over: { user?: string; team?: string; value?: string; actionId?: string }) =>
      new URLSearchParams({
        payload: JSON.stringify({
          type: 'block_actions',
          user: { id: over.user ?? recipient, team_id: over.team ?? s.teamId },
          team: { id: over.team ?? s.teamId },
          trigger_id: `trig-${hex(8)}`,
          container: { type: 'message', channel_id: posted.channel, message_ts: posted.ts },
          channel: { id: posted.channel },
          message: { ts: posted.ts },
          actions: [
            {
              type: 'button',
              action_id: over.actionId ?? 'decision_approve',
              value: over.value ?? approve,
            },
          ],
        }),
      }).toString();
    const signed = async (
      rawBody: string,
      options: { secret?: string; timestamp?: number; path?: string } = {},
    ): Promise<Forged> => {
      const r = await fake(env.SLACK_API_BASE, '/__fake/interaction', {
        signingSecret: options.secret ?? SIGNING_SECRET,
        user: recipient,
        team: s.teamId,
        click: {
          actionId: 'decision_approve',
          value: approve,
          channel: posted.channel,
          ts: posted.ts,
        },
        rawBody,
        ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
      });
      return { path: options.path ?? path, headers: r.headers, body: r.body };
    };
    const now = Math.floor(Date.now() / 1000);
    const legitBody = block({});
    const tampered = `${approve.slice(0, -2)}${approve.endsWith('AA') ? 'AB' : 'AA'}`;
    const otherDelivery = approve.replace(/^rk1\.[0-9a-f]{32}/, `rk1.${hex(32)}`);
    const form = (payload: unknown) =>
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

    const cases: Case[] = [
      {
        name: 'unsigned',
        request: async () => ({
          ...(await signed(legitBody)),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
        status: 401,
      },
      {
        name: 'signature without timestamp',
        request: async () => {
          const r = await signed(legitBody);
          return { ...r, headers: without(r.headers, 'x-slack-request-timestamp') };
        },
        status: 401,
      },
      {
        name: 'wrong signing secret',
        request: () => signed(legitBody, { secret: 'not-the-secret' }),
        status: 401,
      },
      {
        name: 'garbage signature',
        request: async () => {
          const r = await signed(legitBody);
          return { ...r, headers: { ...r.headers, 'x-slack-signature': 'v0=zz' } };
        },
        status: 401,
      },
      {
        name: 'signature of another body',
        request: async () => ({
          ...(await signed(legitBody)),
          body: block({ user: s.memberIds[0] as string }),
        }),
        status: 401,
      },
      {
        name: 'stale timestamp (301 s old)',
        request: () => signed(legitBody, { timestamp: now - 301 }),
        status: 401,
      },
      {
        name: 'timestamp 301 s ahead',
        // Taken when the request is made (the cases before may have used seconds), rounded up:
        // it stays more than 300 s ahead of the server's clock for the request's first second.
        request: () => signed(legitBody, { timestamp: Math.ceil(Date.now() / 1000) + 301 }),
        status: 401,
      },
      {
        name: 'unknown tenant',
        request: () => signed(legitBody, { path: '/slack/interactivity/no-such-tenant' }),
        status: 401,
      },
      {
        name: 'absurd tenant id',
        request: () => signed(legitBody, { path: `/slack/interactivity/${'%00'.repeat(200)}` }),
        status: 401,
      },
      {
        name: 'body not a form',
        request: () => signed(JSON.stringify({ payload: {} })),
        status: 400,
      },
      { name: 'payload not JSON', request: () => signed('payload=%7Bnope'), status: 400 },
      { name: 'payload a JSON array', request: () => signed(form([1, 2])), status: 400 },
      { name: 'body not UTF-8', request: () => signed('\u00ff\u0000'), status: 400 },
      { name: 'empty body', request: () => signed(''), status: 400 },
      {
        name: 'missing user and team',
        request: () =>
          signed(
            form({
              type: 'block_actions',
              actions: [{ action_id: 'decision_approve', value: approve }],
            }),
          ),
        status: 400,
      },
      {
        name: 'missing actions',
        request: () =>
          signed(form({ type: 'block_actions', user: { id: recipient }, team: { id: s.teamId } })),
        status: 200,
      },
      {
        name: 'wrong content-type',
        request: async () => {
          const r = await signed(legitBody);
          return { ...r, headers: { ...r.headers, 'content-type': 'text/plain' } };
        },
        status: 415,
      },
      {
        name: 'JSON content-type',
        request: async () => {
          const r = await signed(legitBody);
          return { ...r, headers: { ...r.headers, 'content-type': 'application/json' } };
        },
        status: 415,
      },
      { name: 'body over 2 MiB', request: () => signed(`${legitBody}&pad=${HUGE}`), status: 413 },
      {
        name: 'a 1 MiB button value',
        request: () => signed(block({ value: `${approve}${'A'.repeat(1024 * 1024)}` })),
        status: 200,
      },
      {
        name: 'another workspace',
        request: () => signed(block({ team: 'T0OTHERTEAM' })),
        status: 200,
      },
      { name: 'tampered value', request: () => signed(block({ value: tampered })), status: 200 },
      {
        name: 'value of another delivery',
        request: () => signed(block({ value: otherDelivery })),
        status: 200,
      },
      {
        name: 'value under another action_id',
        request: () => signed(block({ value: values.decision_reject as string })),
        status: 200,
      },
      {
        name: 'not the recipient',
        request: () => signed(block({ user: s.memberIds[0] as string })),
        status: 200,
      },
      {
        name: 'modal submission by a non-recipient',
        request: () =>
          signed(
            form({
              type: 'view_submission',
              user: { id: s.memberIds[0], team_id: s.teamId },
              team: { id: s.teamId },
              view: {
                callback_id: SLACK_COMMENT_CALLBACK_ID,
                private_metadata: values.decision_reject,
                state: { values: {} },
              },
            }),
          ),
        status: 200,
      },
    ];
    await expectRefused(cases, s.tenant, documentId);
    await expectOneDecision(await signed(legitBody), s.tenant, documentId, 'SLACK');
  });
});

describe('forged postbacks on LINE', () => {
  it('refuses each forged, foreign or malformed webhook; the recipient still decides once', async () => {
    const t = await lineTenant();
    const documentId = `WF-${crypto.randomUUID()}`;
    await emitWithActions(t as never, [t.member], { documentId });
    const pushes = await eventually(
      () =>
        fake(
          env.LINE_API_BASE,
          `/__fake/requests?path=/v2/bot/message/push&contains=${t.lineUserId}`,
        ),
      (r) => r.length > 0,
    );
    const approve = pushes[0].json.messages[0].contents.footer.contents[0].action.data as string;
    const path = `/line/webhook/${t.tenant}`;
    const postback = (over: { userId?: unknown; data?: unknown; eventId?: string } = {}) =>
      JSON.stringify({
        destination: `U${hex(32)}`,
        events: [
          {
            type: 'postback',
            mode: 'active',
            timestamp: Date.now(),
            webhookEventId: over.eventId ?? `01J${hex(23).toUpperCase()}`,
            deliveryContext: { isRedelivery: false },
            replyToken: hex(32),
            source: { type: 'user', userId: 'userId' in over ? over.userId : t.lineUserId },
            postback: { data: 'data' in over ? over.data : approve },
          },
        ],
      });
    const signed = async (
      body: string,
      options: { secret?: string; path?: string } = {},
    ): Promise<Forged> => ({
      path: options.path ?? path,
      headers: {
        'content-type': 'application/json',
        'x-line-signature': await hmacBase64(options.secret ?? t.messagingSecret, body),
      },
      body,
    });
    const legitBody = postback();
    const tampered = tamperLast(approve);
    const cases: Case[] = [
      {
        name: 'unsigned',
        request: async () => ({
          path,
          headers: { 'content-type': 'application/json' },
          body: legitBody,
        }),
        status: 401,
      },
      {
        name: 'wrong channel secret',
        request: () => signed(legitBody, { secret: 'not-the-secret' }),
        status: 401,
      },
      {
        name: 'garbage signature',
        request: async () => ({
          ...(await signed(legitBody)),
          headers: { 'content-type': 'application/json', 'x-line-signature': '%%%' },
        }),
        status: 401,
      },
      {
        name: 'signature of another body',
        request: async () => ({
          ...(await signed(legitBody)),
          body: postback({ eventId: 'other' }),
        }),
        status: 401,
      },
      {
        name: 'unknown tenant',
        request: () => signed(legitBody, { path: '/line/webhook/no-such-tenant' }),
        status: 401,
      },
      { name: 'body not JSON', request: () => signed('{nope'), status: 400 },
      { name: 'body not UTF-8', request: () => signed('\u00ff\u0000'), status: 400 },
      { name: 'no events', request: () => signed('{}'), status: 400 },
      {
        name: 'events not a list',
        request: () => signed('{"events":{"type":"postback"}}'),
        status: 400,
      },
      {
        name: 'events of junk',
        request: () => signed('{"events":[null,1,"x",{"type":"postback"}]}'),
        status: 200,
      },
      {
        name: 'missing userId',
        request: () => signed(postback({ userId: undefined })),
        status: 200,
      },
      {
        name: 'malformed userId',
        request: () => signed(postback({ userId: 'Uabc' })),
        status: 200,
      },
      { name: 'missing data', request: () => signed(postback({ data: undefined })), status: 200 },
      {
        name: 'data not a string',
        request: () => signed(postback({ data: { value: approve } })),
        status: 200,
      },
      {
        name: 'wrong content-type',
        request: async () => {
          const r = await signed(legitBody);
          return {
            ...r,
            headers: { ...r.headers, 'content-type': 'application/x-www-form-urlencoded' },
          };
        },
        status: 415,
      },
      {
        name: 'body over 2 MiB',
        request: () => signed(`${legitBody.slice(0, -1)},"pad":"${HUGE}"}`),
        status: 413,
      },
      {
        name: 'a 1 MiB data',
        request: () => signed(postback({ data: `${approve}${'A'.repeat(1024 * 1024)}` })),
        status: 200,
      },
      { name: 'tampered data', request: () => signed(postback({ data: tampered })), status: 200 },
      {
        name: 'not the recipient',
        request: () => signed(postback({ userId: `U${hex(32)}` })),
        status: 200,
      },
    ];
    await expectRefused(cases, t.tenant, documentId);
    await expectOneDecision(await signed(legitBody), t.tenant, documentId, 'LINE');
  });
});

describe('forged callbacks on LINE WORKS', () => {
  it('refuses each forged, foreign or malformed callback; the recipient still decides once', async () => {
    const t = await lineWorksTenant();
    const documentId = `WF-${crypto.randomUUID()}`;
    await emitWithActions(t as never, [t.member], { documentId });
    const sent = await eventually(
      () => botMessagesTo(t.botId, t.member),
      (r) => r.length > 0,
    );
    const approve = sent[0].json.content.actions[0].postback as string;
    const path = `/line-works/callback/${t.tenant}`;
    const callback = (over: { userId?: string; domainId?: string; postback?: string } = {}) =>
      JSON.stringify({
        type: 'message',
        source: {
          userId: over.userId ?? t.resourceId,
          domainId: Number(over.domainId ?? t.domainId),
        },
        issuedTime: new Date().toISOString(),
        content: { type: 'text', text: '承認', postback: over.postback ?? approve },
      });
    const signed = async (
      body: string,
      options: { secret?: string; botId?: string; path?: string } = {},
    ): Promise<Forged> => {
      const r = await fake(env.LINE_WORKS_API_BASE, '/__fake/callback', {
        botSecret: options.secret ?? BOT_SECRET,
        botId: options.botId ?? t.botId,
        userId: t.resourceId,
        domainId: t.domainId,
        postback: approve,
        rawBody: body,
      });
      return { path: options.path ?? path, headers: r.headers, body: r.body };
    };
    const legitBody = callback();
    const cases: Case[] = [
      {
        name: 'unsigned',
        request: async () => {
          const r = await signed(legitBody);
          return { ...r, headers: without(r.headers, 'x-works-signature') };
        },
        status: 401,
      },
      {
        name: 'no bot id',
        request: async () => {
          const r = await signed(legitBody);
          return { ...r, headers: without(r.headers, 'x-works-botid') };
        },
        status: 401,
      },
      {
        name: 'another bot id',
        request: () => signed(legitBody, { botId: '999999' }),
        status: 401,
      },
      {
        name: 'wrong bot secret',
        request: () => signed(legitBody, { secret: 'not-the-secret' }),
        status: 401,
      },
      {
        name: 'signature of another body',
        request: async () => ({
          ...(await signed(legitBody)),
          body: callback({ userId: crypto.randomUUID() }),
        }),
        status: 401,
      },
      {
        name: 'unknown tenant',
        request: () => signed(legitBody, { path: '/line-works/callback/no-such-tenant' }),
        status: 401,
      },
      { name: 'body not JSON', request: () => signed('{nope'), status: 400 },
      { name: 'body a JSON array', request: () => signed('[]'), status: 400 },
      { name: 'body not UTF-8', request: () => signed('\u00ff\u0000'), status: 400 },
      { name: 'missing fields', request: () => signed('{}'), status: 200 },
      {
        name: 'missing postback',
        request: () =>
          signed(
            JSON.stringify({
              type: 'message',
              source: { userId: t.resourceId },
              content: { type: 'text', text: '承認' },
            }),
          ),
        status: 200,
      },
      {
        name: 'wrong content-type',
        request: async () => {
          const r = await signed(legitBody);
          return { ...r, headers: { ...r.headers, 'content-type': 'text/plain' } };
        },
        status: 415,
      },
      {
        name: 'body over 2 MiB',
        request: () => signed(`${legitBody.slice(0, -1)},"pad":"${HUGE}"}`),
        status: 413,
      },
      {
        name: 'a 1 MiB postback',
        request: () => signed(callback({ postback: `${approve}${'A'.repeat(1024 * 1024)}` })),
        status: 200,
      },
      {
        name: 'another domain',
        request: () => signed(callback({ domainId: '400000001' })),
        status: 200,
      },
      {
        name: 'tampered postback',
        request: () => signed(callback({ postback: tamperLast(approve) })),
        status: 200,
      },
      {
        name: 'not the recipient',
        request: () => signed(callback({ userId: crypto.randomUUID() })),
        status: 200,
      },
    ];
    await expectRefused(cases, t.tenant, documentId);
    await expectOneDecision(await signed(legitBody), t.tenant, documentId, 'LINE_WORKS');
  });
});
