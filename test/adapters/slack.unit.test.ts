// Unit: the Slack adapter against the fake Slack Web API on 127.0.0.1 (test/fakes/slack.ts).
// Every test uses its own bot token and member id, so files sharing the fake do not collide.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/adapters/http.ts';
import type { SlackTarget } from '../../src/adapters/slack/index.ts';
import { slackAdapter, slackAuthTest } from '../../src/adapters/slack/index.ts';
import type { Notification } from '../../src/adapters/types.ts';
import { fake as fakeAt, type FakeRequest as Recorded } from '../helpers.ts';

const base = env.SLACK_API_BASE;
const fake = <T = unknown>(path: string, body?: unknown) => fakeAt<T>(base, path, body);

function requests(token: string, method?: string): Promise<Recorded[]> {
  const q = new URLSearchParams({ contains: token, ...(method ? { path: `/${method}` } : {}) });
  return fake<Recorded[]>(`/__fake/requests?${q}`);
}

function script(token: string, method: string, responses: unknown[]): Promise<unknown> {
  return fake('/__fake/script', { match: { path: `/${method}`, contains: token }, responses });
}

/** A bot token the fake knows, in a workspace of its own. */
async function workspace(): Promise<{ token: string; teamId: string }> {
  const id = crypto.randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase();
  const token = `xoxb-test-${id}`;
  const teamId = `T${id}`;
  await fake('/__fake/state', {
    tokens: {
      [token]: { team: `Team ${id}`, team_id: teamId, user_id: `U${id}B`, bot_id: `B${id}` },
    },
    // The adapter makes the calls it is asked for; pacing them is RateGate's (other tests).
    teamLimits: { [teamId]: { perChannelPerSecond: 0 } },
  });
  return { token, teamId };
}

function memberId(): string {
  return `U${crypto.randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
}

const message: Notification = {
  type: 'APPROVAL_REQUESTED',
  locale: 'JA',
  documentId: 'doc-42',
  title: '出張申請 (大阪)',
  url: 'https://workplace.example/wf/documents/42?tab=approval&x=1',
  actorName: '山田 太郎',
  comment: '宿泊費 <確認> & 承認お願いします <!channel>',
};

function send(token: string, target: SlackTarget, timeoutMs = 5_000, msg = message) {
  return slackAdapter.send({
    base,
    credentials: { botToken: token },
    target,
    message: msg,
    deliveryId: crypto.randomUUID(),
    timeoutMs,
  });
}

describe('slackAuthTest', () => {
  it('returns the workspace and bot of a valid token', async () => {
    const { token, teamId } = await workspace();
    const r = await slackAuthTest(base, token, 5_000);
    expect(r).toEqual({
      ok: true,
      teamId,
      teamName: `Team ${teamId.slice(1)}`,
      botUserId: `${teamId.replace('T', 'U')}B`,
      botId: teamId.replace('T', 'B'),
    });
    const [req] = await requests(token, 'auth.test');
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/api/auth.test');
    expect(req?.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('reports a rejected token as permanent and an unreachable Slack as retryable', async () => {
    const bad = await slackAuthTest(base, `xoxe.xoxb-unknown-${crypto.randomUUID()}`, 5_000);
    expect(bad).toEqual({
      ok: false,
      code: 'invalid_auth',
      error: 'invalid_auth (the bot token was rejected)',
      retryable: false,
    });

    const { token } = await workspace();
    await script(token, 'auth.test', [{ hang: true }]);
    const slow = await slackAuthTest(base, token, 300);
    expect(slow).toMatchObject({ ok: false, code: 'timeout', retryable: true });
    if (!slow.ok) expect(slow.error).not.toContain(token);
  });
});

describe('slackAdapter.send', () => {
  it('opens the DM, posts blocks with a fallback and reports what it learned', async () => {
    const { token } = await workspace();
    const member = memberId();
    const r = await send(token, { memberId: member });

    const [open] = await requests(token, 'conversations.open');
    expect(open?.headers.authorization).toBe(`Bearer ${token}`);
    expect(open?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(open?.json).toEqual({ users: member });

    const posts = await requests(token, 'chat.postMessage');
    expect(posts).toHaveLength(1);
    const post = posts[0] as Recorded;
    expect(post.headers.authorization).toBe(`Bearer ${token}`);
    expect(post.headers['content-type']).toBe('application/json; charset=utf-8');
    const channel = post.json.channel as string;
    expect(channel).toMatch(/^D[0-9A-F]{10}$/);

    expect(r).toEqual({
      kind: 'sent',
      providerMessageId: expect.stringMatching(new RegExp(`^${channel}:\\d+\\.\\d{6}$`)),
      // Where the message lives, for chat.update (decision feedback).
      learned: { dmChannelId: channel, messageChannel: channel, messageTs: expect.any(String) },
    });

    expect(post.json.text).toBe(
      [
        '承認依頼: 出張申請 (大阪)',
        '承認依頼が届いています。内容を確認してください。',
        '申請者: 山田 太郎',
        'コメント: 宿泊費 &lt;確認&gt; &amp; 承認お願いします &lt;!channel&gt;',
        '<https://workplace.example/wf/documents/42?tab=approval&x=1|文書を開く>',
      ].join('\n'),
    );
    expect(post.json.blocks).toEqual([
      {
        type: 'header',
        text: { type: 'plain_text', text: '承認依頼: 出張申請 (大阪)', emoji: true },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: [
            '承認依頼が届いています。内容を確認してください。',
            '*申請者:* 山田 太郎',
            '*コメント:*',
            '>宿泊費 &lt;確認&gt; &amp; 承認お願いします &lt;!channel&gt;',
          ].join('\n'),
        },
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: '文書を開く', emoji: true },
            url: 'https://workplace.example/wf/documents/42?tab=approval&x=1',
            action_id: 'open_document',
            style: 'primary',
          },
        ],
      },
    ]);
  });

  it('posts straight to a cached DM channel', async () => {
    const { token } = await workspace();
    const member = memberId();
    const first = await send(token, { memberId: member });
    const dmChannelId = first.learned?.dmChannelId as string;

    const second = await send(token, { memberId: member, dmChannelId }, 5_000, {
      ...message,
      locale: 'EN',
      type: 'REMINDER',
      actorName: null,
      comment: null,
    });
    expect(second).toMatchObject({ kind: 'sent' });
    // No DM channel learned (it was cached); only where the message lives.
    expect(second.learned).toEqual({
      messageChannel: expect.stringMatching(/^D/),
      messageTs: expect.stringMatching(/^\d+\.\d{6}$/),
    });
    expect(await requests(token, 'conversations.open')).toHaveLength(1);
    const posts = await requests(token, 'chat.postMessage');
    expect(posts).toHaveLength(2);
    expect(posts[1]?.json.channel).toBe(dmChannelId);
    expect(posts[1]?.json.blocks[0].text.text).toBe('Reminder: 出張申請 (大阪)');
  });

  it('fails the integration when the token is rejected, revoked or lacks a scope', async () => {
    const unknown = await send(`xoxb-unknown-${crypto.randomUUID()}`, { memberId: memberId() });
    expect(unknown).toEqual({
      kind: 'failed',
      scope: 'integration',
      reason: 'Slack: invalid_auth (the bot token was rejected)',
    });

    const { token } = await workspace();
    await fake('/__fake/state', { tokens: { [token]: { error: 'token_revoked' } } });
    expect(await send(token, { memberId: memberId() })).toMatchObject({
      kind: 'failed',
      scope: 'integration',
      reason: expect.stringContaining('token_revoked'),
    });

    const other = await workspace();
    await script(other.token, 'conversations.open', [
      { json: { ok: false, error: 'missing_scope', needed: 'im:write', provided: 'chat:write' } },
    ]);
    const scoped = await send(other.token, { memberId: memberId() });
    expect(scoped).toEqual({
      kind: 'failed',
      scope: 'integration',
      reason: 'Slack: missing_scope (the app needs im:write; add it and reinstall the app)',
    });
  });

  it('fails the recipient for an unknown member or a stale cached channel', async () => {
    const { token } = await workspace();
    const member = memberId();
    const state = await fake<{ unknownMembers: string[] }>('/__fake/state');
    await fake('/__fake/state', { unknownMembers: [...state.unknownMembers, member] });
    expect(await send(token, { memberId: member })).toEqual({
      kind: 'failed',
      scope: 'recipient',
      reason: 'Slack: user_not_found (no member with this Slack id in the workspace)',
    });

    const stale = await send(token, { memberId: memberId(), dmChannelId: 'D0STALE000' });
    expect(stale).toMatchObject({ kind: 'failed', scope: 'recipient' });
    expect(stale.kind === 'failed' && stale.reason).toContain('channel_not_found');
    expect(stale.kind === 'failed' && stale.reason).toContain('D0STALE000');
    expect(stale.learned).toBeUndefined();
    expect(await requests(token, 'conversations.open')).toHaveLength(1);
  });

  it('retries after Retry-After on 429 and keeps the learned channel', async () => {
    const { token } = await workspace();
    await script(token, 'chat.postMessage', [
      { status: 429, headers: { 'retry-after': '7' }, json: { ok: false, error: 'ratelimited' } },
    ]);
    const r = await send(token, { memberId: memberId() });
    expect(r).toMatchObject({ kind: 'retry', afterSeconds: 7 });
    expect(r.learned?.dmChannelId).toMatch(/^D/);
  });

  it('retries on 5xx, internal_error, timeouts and resets', async () => {
    const { token } = await workspace();
    const member = memberId();
    const opened = await send(token, { memberId: member });
    const target = { memberId: member, dmChannelId: opened.learned?.dmChannelId as string };

    await script(token, 'chat.postMessage', [
      { status: 500, body: 'oops' },
      { json: { ok: false, error: 'internal_error' } },
      { hang: true },
      { reset: true },
    ]);
    const s500 = await send(token, target);
    expect(s500).toEqual({ kind: 'retry', reason: expect.stringContaining('HTTP 500') });
    expect(await send(token, target)).toEqual({
      kind: 'retry',
      reason: 'Slack: internal_error (Slack had an internal error)',
    });
    const started = Date.now();
    const hung = await send(token, target, 300);
    expect(hung).toEqual({
      kind: 'retry',
      reason: 'Slack: request timed out (no response within 300 ms)',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await send(token, target)).toMatchObject({ kind: 'retry' });
    expect(await send(token, target)).toMatchObject({ kind: 'sent' });
  });

  it('does not retry fatal_error blindly and fails bad payloads on the message', async () => {
    const { token } = await workspace();
    await script(token, 'chat.postMessage', [
      { json: { ok: false, error: 'fatal_error' } },
      { json: { ok: false, error: 'invalid_blocks' } },
      { json: { ok: false, error: 'something_new' } },
    ]);
    const member = memberId();
    const fatal = await send(token, { memberId: member });
    expect(fatal).toMatchObject({ kind: 'failed', scope: 'message' });
    expect(fatal.kind === 'failed' && fatal.reason).toContain('may have been posted');
    const target = { memberId: member, dmChannelId: fatal.learned?.dmChannelId as string };
    expect(await send(token, target)).toMatchObject({ kind: 'failed', scope: 'message' });
    expect(await send(token, target)).toEqual({
      kind: 'failed',
      scope: 'message',
      reason: 'Slack: something_new',
    });
  });

  it('keeps a long comment within the 3,000-character section limit', async () => {
    const { token } = await workspace();
    const r = await send(token, { memberId: memberId() }, 5_000, {
      ...message,
      comment: `${'&'.repeat(2_000)}${'承'.repeat(5_000)}`,
    });
    expect(r).toMatchObject({ kind: 'sent' });
    const [post] = await requests(token, 'chat.postMessage');
    const section = post?.json.blocks[1].text.text as string;
    expect(section.length).toBeLessThanOrEqual(3_000);
    expect(section.endsWith('…')).toBe(true);
    expect(section).not.toMatch(/&(?:a|am|amp)?…$/);
    expect(String(post?.json.text).length).toBeLessThanOrEqual(3_000);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-28T00:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sat, 28 Nov 2026 00:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('Fri, 27 Nov 2026 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
