// Unit: the Google Chat adapter against the fake incoming-webhook server on 127.0.0.1
// (test/fakes/google-chat.ts). Every test posts to a space of its own; the fake's `webhooks`
// mode is left alone because other files share it.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  googleChatAdapter,
  googleChatThreadKey,
  parseGoogleChatWebhook,
} from '../../src/adapters/google-chat/index.ts';
import type { Notification } from '../../src/adapters/types.ts';
import { fake as fakeAt, type FakeRequest as Recorded } from '../helpers.ts';

const origin = env.GOOGLE_CHAT_WEBHOOK_ORIGIN;
const fake = <T = unknown>(path: string, body?: unknown) => fakeAt<T>(origin, path, body);

/** A webhook of its own: unique space, key and token. */
function webhook() {
  const id = crypto.randomUUID().replace(/-/g, '');
  const space = `AAAA${id.slice(0, 11)}`;
  const key = `AIza${id.slice(0, 20)}`;
  const token = `${id.slice(12)}%3D`;
  return {
    space,
    key,
    token,
    url: `${origin}/v1/spaces/${space}/messages?key=${key}&token=${token}`,
  };
}

const requests = (space: string) =>
  fake<Recorded[]>(`/__fake/requests?path=${encodeURIComponent(`/v1/spaces/${space}/`)}`);

const script = (space: string, responses: unknown[]) =>
  fake('/__fake/script', { match: { path: `/v1/spaces/${space}/` }, responses });

const message: Notification = {
  type: 'RETURNED',
  locale: 'JA',
  documentId: 'WF-2026/0042',
  title: '備品購入申請',
  url: 'https://workplace.example/wf/documents/42',
  actorName: '佐藤 花子',
  comment: '見積書を添付してください。\n<users/all> & よろしく',
};

function send(webhookUrl: string, timeoutMs = 5_000, msg = message) {
  return googleChatAdapter.send({
    base: origin,
    credentials: { webhookUrl },
    target: { documentId: msg.documentId },
    message: msg,
    deliveryId: crypto.randomUUID(),
    timeoutMs,
  });
}

describe('parseGoogleChatWebhook', () => {
  const prod = 'https://chat.googleapis.com';
  it('accepts a webhook URL of the configured origin and returns its space', () => {
    expect(
      parseGoogleChatWebhook(`${prod}/v1/spaces/AAAAbc_-12/messages?key=k&token=t%3D`, prod),
    ).toEqual({ ok: true, space: 'AAAAbc_-12' });
  });

  it('refuses other origins, paths and URLs without key and token', () => {
    const refused = [
      'https://chat.googleapis.com.evil.example/v1/spaces/A/messages?key=k&token=t',
      'http://chat.googleapis.com/v1/spaces/A/messages?key=k&token=t',
      'https://user:pw@chat.googleapis.com/v1/spaces/A/messages?key=k&token=t',
      'https://chat.googleapis.com/v1/spaces/A/members?key=k&token=t',
      'https://chat.googleapis.com/v1/spaces/A/../../v1/other/messages?key=k&token=t',
      'https://chat.googleapis.com/v1/spaces/A/messages?key=k',
      'https://chat.googleapis.com/v1/spaces/A/messages?token=t&key=',
      'not a url',
    ];
    for (const url of refused) {
      const r = parseGoogleChatWebhook(url, prod);
      expect(r.ok, url).toBe(false);
      if (!r.ok) expect(r.reason).not.toContain('token=t');
    }
  });
});

describe('googleChatAdapter.send', () => {
  it('posts text and a card into the document thread and returns the message name', async () => {
    const hook = webhook();
    const r = await send(hook.url);
    expect(r).toEqual({
      kind: 'sent',
      providerMessageId: expect.stringMatching(new RegExp(`^spaces/${hook.space}/messages/`)),
    });

    const [req] = await requests(hook.space);
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/v1/spaces/${hook.space}/messages`);
    expect(req?.query).toEqual({
      key: hook.key,
      token: hook.token.replace('%3D', '='),
      messageReplyOption: 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD',
    });
    expect(req?.headers['content-type']).toBe('application/json; charset=UTF-8');
    expect(req?.json).toEqual({
      text: [
        '*差し戻し: 備品購入申請*',
        '申請が差し戻されました。内容を修正して再申請してください。',
        '差し戻し者: 佐藤 花子',
        'コメント: 見積書を添付してください。\n＜users/all＞ & よろしく',
        '<https://workplace.example/wf/documents/42|文書を開く>',
      ].join('\n'),
      cardsV2: [
        {
          cardId: 'renkei-notification',
          card: {
            header: { title: '差し戻し: 備品購入申請', subtitle: 'WORKPLACE ワークフロー' },
            sections: [
              {
                widgets: [
                  {
                    textParagraph: {
                      text: '申請が差し戻されました。内容を修正して再申請してください。',
                    },
                  },
                  { textParagraph: { text: '<b>差し戻し者</b>: 佐藤 花子' } },
                  {
                    textParagraph: {
                      text: '<b>コメント</b><br>見積書を添付してください。<br>&lt;users/all&gt; &amp; よろしく',
                    },
                  },
                  {
                    buttonList: {
                      buttons: [
                        {
                          text: '文書を開く',
                          onClick: {
                            openLink: { url: 'https://workplace.example/wf/documents/42' },
                          },
                        },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        },
      ],
      thread: { threadKey: 'doc-WF-2026_2f_0042' },
    });
    expect(googleChatThreadKey(message.documentId)).toBe('doc-WF-2026_2f_0042');
  });

  it('keeps key and token byte for byte and replaces reply options the URL carried', async () => {
    const hook = webhook();
    const url = `${hook.url}&threadKey=theirs&messageReplyOption=REPLY_MESSAGE_OR_FAIL`;
    expect(await send(url)).toMatchObject({ kind: 'sent' });
    const second = await send(url, 5_000, { ...message, type: 'COMMENTED', locale: 'EN' });
    expect(second).toMatchObject({ kind: 'sent' });

    const reqs = await requests(hook.space);
    expect(reqs).toHaveLength(2);
    for (const req of reqs) {
      expect(req.query).toEqual({
        key: hook.key,
        token: hook.token.replace('%3D', '='),
        messageReplyOption: 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD',
      });
      expect(req.json.thread).toEqual({ threadKey: 'doc-WF-2026_2f_0042' });
    }
    const state = await fake<{ threads: Record<string, Record<string, string>> }>('/__fake/state');
    expect(Object.keys(state.threads[hook.space] ?? {})).toEqual(['doc-WF-2026_2f_0042']);
  });

  it('refuses a URL outside the webhook origin without a request', async () => {
    const hook = webhook();
    const elsewhere = `http://127.0.0.1:9/v1/spaces/${hook.space}/messages?key=k&token=t`;
    const r = await send(elsewhere);
    expect(r).toMatchObject({ kind: 'failed', scope: 'recipient' });
    expect(r.kind === 'failed' && r.reason).not.toContain('token=t');
    expect(await send(`${origin}/v1/other/messages?key=k&token=t`)).toMatchObject({
      kind: 'failed',
      scope: 'recipient',
    });
    expect(await requests(hook.space)).toHaveLength(0);
  });

  it('fails the recipient on a deleted space (404) or a refused webhook (403)', async () => {
    const hook = webhook();
    const state = await fake<{ deletedSpaces: string[] }>('/__fake/state');
    await fake('/__fake/state', { deletedSpaces: [...state.deletedSpaces, hook.space] });
    const gone = await send(hook.url);
    expect(gone).toMatchObject({ kind: 'failed', scope: 'recipient' });
    expect(gone.kind === 'failed' && gone.reason).toContain('HTTP 404');

    const other = webhook();
    await script(other.space, [
      {
        status: 403,
        json: {
          error: {
            code: 403,
            message: `The caller does not have permission (token ${other.token})`,
            status: 'PERMISSION_DENIED',
          },
        },
      },
    ]);
    const denied = await send(other.url);
    expect(denied).toMatchObject({ kind: 'failed', scope: 'recipient' });
    expect(denied.kind === 'failed' && denied.reason).toContain('HTTP 403');
    expect(denied.kind === 'failed' && denied.reason).not.toContain(other.token);
  });

  it('tells a bad webhook from a bad payload on 400', async () => {
    const hook = webhook();
    await script(hook.space, [
      {
        status: 400,
        json: { error: { code: 400, message: 'API key not valid. Please pass a valid API key.' } },
      },
      {
        status: 400,
        json: { error: { code: 400, message: 'Invalid JSON payload received. Unknown name "x"' } },
      },
    ]);
    expect(await send(hook.url)).toMatchObject({ kind: 'failed', scope: 'recipient' });
    expect(await send(hook.url)).toMatchObject({ kind: 'failed', scope: 'message' });
  });

  it('retries 429, 5xx and timeouts with the backoff left to the consumer', async () => {
    const hook = webhook();
    await script(hook.space, [
      {
        status: 429,
        json: { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).' } },
      },
      {
        status: 503,
        json: { error: { code: 503, message: 'The service is currently unavailable.' } },
      },
      { hang: true },
      { acceptThenDrop: true },
    ]);
    const limited = await send(hook.url);
    expect(limited).toMatchObject({ kind: 'retry' });
    expect(limited.kind === 'retry' && limited.afterSeconds).toBeUndefined();
    expect(await send(hook.url)).toMatchObject({ kind: 'retry' });
    expect(await send(hook.url, 300)).toEqual({
      kind: 'retry',
      reason: 'Google Chat: request timed out (no response within 300 ms)',
    });
    const dropped = await send(hook.url);
    expect(dropped).toMatchObject({ kind: 'retry' });
    expect(dropped.kind === 'retry' && dropped.reason).not.toContain(hook.token);
    expect(await send(hook.url)).toMatchObject({ kind: 'sent' });
  });

  it('cuts a huge comment so the message stays within 32,000 bytes', async () => {
    const hook = webhook();
    const r = await send(hook.url, 5_000, {
      ...message,
      locale: 'KO',
      comment: `${'<&>'.repeat(3_000)}${'결재'.repeat(10_000)}`,
    });
    expect(r).toMatchObject({ kind: 'sent' });
    const [req] = await requests(hook.space);
    const bytes = new TextEncoder().encode(req?.body ?? '').byteLength;
    expect(bytes).toBeLessThanOrEqual(32_000);
    expect(bytes).toBeGreaterThan(25_000);
    expect(req?.json.text).toContain('…');
  });
});
