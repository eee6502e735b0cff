// Integration: the bad-input corpus over raw HTTP, next to bad-input.test.ts (GraphQL inputs):
// LINE webhook bodies, LINE Login callback queries and /graphql transport edge cases. Each must
// get a clear error (never a 5xx, never a stack or an internal message), echo nothing unescaped,
// store nothing (D1 rows and the LineAuth webhook-event memory) and call no provider.
import { runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { signLineBody } from '../src/adapters/line/index.ts';
import { dumpDatabase, fake, gql, tenantD1, tenantId, token, tokens } from './helpers.ts';

const SQL = ["'; drop table users; --", '1 OR 1=1', '" union select * from integrations --'];
const SCRIPT = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
];
const INJECTIONS = [...SQL, ...SCRIPT];
/** Over the Worker's 2 MiB body limit. */
const OVERSIZED = 'x'.repeat(2_200_000);
/** What an error body must never carry. */
const LEAK = /Unexpected error|Internal error|\bat [\w$.<>]+ \(|\.ts:\d+|stack|SQLITE|D1_ERROR/i;

const hex = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, n);
const digits = () => String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999));
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const b64url = (text: string) =>
  btoa(text).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');

interface LineTenant {
  tenant: string;
  admin: string;
  member: string;
  memberToken: string;
  channelToken: string;
  loginChannelId: string;
  loginSecret: string;
  messagingSecret: string;
  /** The member's LINE userId, stored as PENDING_FRIEND: a valid follow would link them. */
  lineUserId: string;
}

/** A tenant with LINE configured against fresh fake channels and one member pending a follow. */
async function lineTenant(): Promise<LineTenant> {
  const tenant = tenantId('badhttp');
  const { admin, service } = await tokens(tenant);
  const s: LineTenant = {
    tenant,
    admin,
    member: `m-${tenant}`,
    memberToken: await token(tenant, 'user', `m-${tenant}`),
    channelToken: `line-token-${crypto.randomUUID()}`,
    loginChannelId: digits(),
    loginSecret: `login-secret-${hex(16)}`,
    messagingSecret: `messaging-secret-${hex(16)}`,
    lineUserId: `U${hex(32)}`,
  };
  await fake(env.LINE_API_BASE, '/__fake/state', {
    bots: {
      [s.channelToken]: { userId: `U${hex(32)}`, basicId: '@badinput', displayName: 'Acme' },
    },
    loginChannels: { [s.loginChannelId]: { secret: s.loginSecret } },
    users: { [s.lineUserId]: { displayName: 'Hanako', friend: false } },
  });
  const configured = await gql(
    'mutation ($i: ConfigureLineInput!) { configureLine(input: $i) { errors { code } } }',
    {
      i: {
        enabled: true,
        loginChannelId: s.loginChannelId,
        loginChannelSecret: s.loginSecret,
        messagingChannelSecret: s.messagingSecret,
        channelAccessToken: s.channelToken,
        friendUrl: 'https://line.me/R/ti/p/@badinput',
      },
    },
    admin,
  );
  expect(configured.data?.configureLine.errors).toEqual([]);
  const upserted = await gql(
    'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }',
    { u: [{ userId: s.member, locale: 'EN' }] },
    service,
  );
  expect(upserted.data?.upsertUsers.errors).toEqual([]);
  await (await tenantD1(s.tenant))
    .prepare(
      "update users set line_user_id = ?1, line_status = 'PENDING_FRIEND' where tenant_id = ?2 and user_id = ?3",
    )
    .bind(s.lineUserId, s.tenant, s.member)
    .run();
  return s;
}

interface Seen {
  seq: number;
  path: string;
  status: number;
}

/** The LINE fake's recorded requests that mention this tenant's identifiers, oldest first. */
async function lineRequests(s: LineTenant): Promise<Seen[]> {
  const bySeq = new Map<number, Seen>();
  for (const needle of [s.loginChannelId, s.channelToken, s.lineUserId]) {
    const found: Seen[] = await fake(
      env.LINE_API_BASE,
      `/__fake/requests?contains=${encodeURIComponent(needle)}`,
    );
    for (const r of found) bySeq.set(r.seq, { seq: r.seq, path: r.path, status: r.status });
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** The LineAuth object's remembered webhook event ids for a tenant. */
async function webhookMemory(tenant: string): Promise<unknown[]> {
  return runInDurableObject(env.LINE_AUTH.getByName(tenant), (_i, state) =>
    state.storage.sql.exec('select event_id from webhook_events order by event_id').toArray(),
  );
}

/** Reads a response body, stopping after `ms` (a stream a bad request left open is a problem). */
async function readBody(res: Response, ms = 10_000): Promise<string> {
  const timer = new Promise<string>((resolve) =>
    setTimeout(() => resolve('<<stream left open>>'), ms),
  );
  const text = await Promise.race([res.text(), timer]);
  if (text === '<<stream left open>>') await res.body?.cancel().catch(() => {});
  return text;
}

// ---------------------------------------------------------------------------------------------
// LINE webhook: POST /line/webhook/:tenant
// ---------------------------------------------------------------------------------------------

type Sign = 'valid' | 'none' | ((raw: string, s: LineTenant) => Promise<string> | string);

interface WebhookCase {
  name: string;
  /** The raw body (a string, bytes, or a stream without a length). */
  body: string | Uint8Array<ArrayBuffer> | (() => ReadableStream<Uint8Array>);
  sign?: Sign;
  method?: string;
  /** The path after /line/webhook (default `/<tenant>`). */
  path?: (s: LineTenant) => string;
  contentType?: string | null;
  /**
   * What LINE (or an attacker) gets back: a refusal with this status, or 200 `{ ok: true }` with
   * every event ignored (LINE expects a 200 for any delivery it signed, whatever its events).
   */
  expect: 400 | 401 | 404 | 413 | 415 | 'ignored';
}

/** A follow event that, signed properly, would link the member and send them a reply. */
function follow(s: LineTenant, over: Record<string, unknown> = {}) {
  return {
    destination: 'U0000000000000000000000000000b07',
    events: [
      {
        type: 'follow',
        mode: 'active',
        timestamp: 1_700_000_000_000,
        source: { type: 'user', userId: s.lineUserId },
        replyToken: 'reply-token-0000',
        follow: { isUnblocked: false },
        ...over,
      },
    ],
  };
}

function webhookCorpus(s: LineTenant): WebhookCase[] {
  const cases: WebhookCase[] = [];
  const good = JSON.stringify(follow(s));
  const forged = (name: string, sign: Sign) =>
    cases.push({ name: `signature: ${name}`, body: good, sign, expect: 401 });

  // Forged, missing, malformed signatures over a follow that would otherwise link the member.
  forged('missing', 'none');
  forged('empty', () => '');
  forged('not base64', () => 'not base64!');
  forged('only padding', () => '='.repeat(44));
  forged('spaces', () => '   ');
  for (const n of [0, 1, 16, 31, 33, 48, 64]) {
    forged(`${n} random bytes`, () => b64(crypto.getRandomValues(new Uint8Array(n))));
  }
  forged('32 zero bytes', () => b64(new Uint8Array(32)));
  forged('hex HMAC', async (raw) => {
    const sig = atob(await signLineBody(s.messagingSecret, raw));
    return Array.from(sig, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
  });
  forged('one character changed', async (raw) => {
    const sig = await signLineBody(s.messagingSecret, raw);
    return `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
  });
  forged('truncated', async (raw) => (await signLineBody(s.messagingSecret, raw)).slice(0, 40));
  forged(
    'extended',
    async (raw) => `${(await signLineBody(s.messagingSecret, raw)).slice(0, 43)}AAAA=`,
  );
  forged('twice, comma-joined', async (raw) => {
    const sig = await signLineBody(s.messagingSecret, raw);
    return `${sig}, ${sig}`;
  });
  forged('case-swapped', async (raw) =>
    Array.from(await signLineBody(s.messagingSecret, raw), (c) =>
      c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase(),
    ).join(''),
  );
  forged('wrong secret', (raw) => signLineBody('not-the-messaging-secret', raw));
  forged('the login channel secret', (raw) => signLineBody(s.loginSecret, raw));
  forged('the secret with a trailing space', (raw) => signLineBody(`${s.messagingSecret} `, raw));
  forged('over a different body', () =>
    signLineBody(s.messagingSecret, JSON.stringify(follow(s, { type: 'unfollow' }))),
  );
  forged('over the body plus a newline', (raw) => signLineBody(s.messagingSecret, `${raw}\n`));
  forged('over the body re-indented', (raw) =>
    signLineBody(s.messagingSecret, JSON.stringify(JSON.parse(raw), null, 2)),
  );
  forged('over the empty body', () => signLineBody(s.messagingSecret, ''));
  forged('huge', () => 'A'.repeat(100_000));
  for (const junk of INJECTIONS) forged(junk, () => junk);

  // Unknown or malformed tenants in the path, other methods and paths.
  const refusedPath = (name: string, path: (t: LineTenant) => string, status: 401 | 404) =>
    cases.push({ name: `path: ${name}`, body: good, path, expect: status });
  refusedPath('unknown tenant', () => `/nobody-${crypto.randomUUID()}`, 401);
  refusedPath('tenant in another case', (t) => `/${t.tenant.toUpperCase()}`, 401);
  refusedPath('tenant with a trailing space', (t) => `/${encodeURIComponent(`${t.tenant} `)}`, 401);
  refusedPath('huge tenant', () => `/${'t'.repeat(5000)}`, 401);
  refusedPath('dot-dot tenant', () => '/..%2F..%2Fgraphql', 401);
  for (const junk of INJECTIONS) refusedPath(junk, () => `/${encodeURIComponent(junk)}`, 401);
  refusedPath('no tenant', () => '/', 404);
  refusedPath('no slash', () => '', 404);
  refusedPath('extra segment', (t) => `/${t.tenant}/extra`, 404);
  for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
    cases.push({
      name: `method ${method}`,
      method,
      body: method === 'GET' ? '' : good,
      expect: 404,
    });
  }

  // Correctly signed, but not a webhook body at all.
  for (const body of [
    '',
    '{',
    '{"events":',
    '{"events":[}',
    "{'events':[]}",
    '{"events":[],}',
    'null',
    '[]',
    '"events"',
    '42',
    'true',
    '{}',
    '{"destination":"U0"}',
    '{"events":null}',
    '{"events":{}}',
    '{"events":"[]"}',
    '{"events":42}',
    '{"events":{"0":{"type":"follow"}}}',
    // TextDecoder drops one byte-order mark; a second one is not JSON.
    '\uFEFF\uFEFF{"events":[]}',
    `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    `{"events":${'['.repeat(50_000)}`,
  ]) {
    cases.push({ name: `signed body ${JSON.stringify(body).slice(0, 40)}`, body, expect: 400 });
  }
  cases.push({
    name: 'signed invalid UTF-8',
    body: new Uint8Array([0xff, 0xfe, 0xfd, 0x00]),
    expect: 400,
  });
  cases.push({
    name: 'signed form body',
    body: 'events=%5B%5D',
    contentType: 'application/x-www-form-urlencoded',
    expect: 415,
  });
  cases.push({
    name: 'signed multipart body',
    body: '--x\r\nContent-Disposition: form-data; name="events"\r\n\r\n[]\r\n--x--\r\n',
    contentType: 'multipart/form-data; boundary=x',
    expect: 415,
  });
  cases.push({
    name: 'signed XML',
    body: '<events/>',
    contentType: 'application/xml',
    expect: 415,
  });
  cases.push({
    name: 'signed text, no content type',
    body: 'events',
    contentType: null,
    // fetch sends a string as text/plain: not JSON by its type either.
    expect: 415,
  });

  // Forged signatures with odd content types: refused before the body is looked at.
  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', null]) {
    cases.push({
      name: `forged, content type ${contentType}`,
      body: good,
      sign: () => b64(crypto.getRandomValues(new Uint8Array(32))),
      contentType,
      expect: 401,
    });
  }

  // Correctly signed JSON whose events are not ones we act on: acknowledged, all ignored.
  const ignored = (name: string, events: unknown[]) =>
    cases.push({
      name: `events ${name}`,
      body: JSON.stringify({ destination: 'U0', events }),
      expect: 'ignored',
    });
  const ev = (over: Record<string, unknown>) => follow(s, over).events[0];
  ignored('[null]', [null]);
  ignored('of scalars', [1, 'follow', true, -0.5]);
  ignored('of arrays', [[], [ev({})]]);
  ignored('[{}]', [{}]);
  ignored(
    'many nulls',
    Array.from({ length: 5000 }, () => null),
  );
  for (const type of [
    'message',
    'join',
    'postback',
    'FOLLOW',
    ' follow',
    42,
    null,
    { a: 1 },
    ['follow'],
  ]) {
    ignored(`type ${JSON.stringify(type)}`, [ev({ type })]);
  }
  ignored('follow without source', [ev({ source: undefined })]);
  ignored('source null', [ev({ source: null })]);
  ignored('source a string', [ev({ source: s.lineUserId })]);
  ignored('source without userId', [ev({ source: { type: 'user' } })]);
  ignored('group source without userId', [
    ev({ source: { type: 'group', groupId: `C${hex(32)}` } }),
  ]);
  for (const userId of [
    42,
    null,
    true,
    {},
    [s.lineUserId],
    { $ne: null },
    '',
    s.lineUserId.toUpperCase(),
    s.lineUserId.slice(0, 32),
    `${s.lineUserId}0`,
    ` ${s.lineUserId}`,
    `${s.lineUserId}\u0000`,
    `${s.lineUserId}' OR '1'='1`,
    `U${'0'.repeat(1_500_000)}`,
    ...INJECTIONS,
  ]) {
    const label = JSON.stringify(userId)?.slice(0, 40) ?? String(userId);
    ignored(`follow userId ${label}`, [ev({ source: { type: 'user', userId } })]);
  }
  for (const userId of [`${s.lineUserId}%`, "' OR 1=1 --", '<script>alert(1)</script>']) {
    ignored(`unfollow userId ${userId.slice(0, 40)}`, [
      ev({ type: 'unfollow', replyToken: undefined, source: { type: 'user', userId } }),
    ]);
  }
  ignored('deeply nested userId', [
    ev({
      source: { type: 'user', userId: JSON.parse(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`) },
    }),
  ]);
  ignored('deeply nested event', [JSON.parse(`${'{"follow":'.repeat(5000)}1${'}'.repeat(5000)}`)]);
  ignored('junk ids on an event we ignore', [
    ev({
      type: 'message',
      webhookEventId: `'; drop table users; --${'x'.repeat(100_000)}`,
      replyToken: { a: 1 },
    }),
  ]);

  // Over the body limit, signed or not, with a length or streamed without one.
  cases.push({ name: 'oversized, signed', body: OVERSIZED, expect: 413 });
  cases.push({
    name: 'oversized, forged',
    body: OVERSIZED,
    sign: () => 'A'.repeat(44),
    expect: 413,
  });
  cases.push({
    name: 'oversized, streamed without a length',
    body: () =>
      new ReadableStream({
        start(controller) {
          for (let i = 0; i < 40; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
          controller.close();
        },
      }),
    sign: () => 'A'.repeat(44),
    expect: 413,
  });
  return cases;
}

describe('bad-input corpus: LINE webhook', () => {
  it('refuses or ignores every malformed delivery, never a 5xx, storing and sending nothing', async () => {
    const s = await lineTenant();
    const cases = webhookCorpus(s);
    expect(cases.length).toBeGreaterThanOrEqual(100);
    const before = { db: await dumpDatabase([s.tenant]), memory: await webhookMemory(s.tenant) };
    const requestsBefore = await lineRequests(s);
    const problems: string[] = [];
    for (const c of cases) {
      const raw = typeof c.body === 'string' ? c.body : '';
      const sign = c.sign ?? 'valid';
      const signature =
        sign === 'none'
          ? null
          : sign === 'valid'
            ? await signLineBody(
                s.messagingSecret,
                typeof c.body === 'function' ? '' : (c.body as string | Uint8Array<ArrayBuffer>),
              )
            : await sign(raw, s);
      const headers: Record<string, string> = {};
      if (c.contentType !== null) headers['content-type'] = c.contentType ?? 'application/json';
      if (signature !== null) headers['x-line-signature'] = signature;
      const method = c.method ?? 'POST';
      const body = typeof c.body === 'function' ? c.body() : c.body;
      const res = await exports.default.fetch(
        `https://renkei.test/line/webhook${c.path ? c.path(s) : `/${s.tenant}`}`,
        {
          method,
          headers,
          body: method === 'GET' ? undefined : body,
          ...(typeof c.body === 'function' ? { duplex: 'half' } : {}),
        } as RequestInit,
      );
      const text = await readBody(res);
      let json: { ok?: unknown; error?: unknown } | null = null;
      try {
        json = JSON.parse(text);
      } catch {
        // reported below
      }
      const want = c.expect === 'ignored' ? 200 : c.expect;
      if (res.status >= 500) problems.push(`${c.name}: HTTP ${res.status} ${text.slice(0, 120)}`);
      else if (res.status !== want) problems.push(`${c.name}: HTTP ${res.status}, wanted ${want}`);
      else if (
        c.expect === 'ignored' ? json?.ok !== true : typeof json?.error !== 'string' || !json.error
      )
        problems.push(`${c.name}: unclear answer ${text.slice(0, 120)}`);
      else if (LEAK.test(text)) problems.push(`${c.name}: leaks ${text.slice(0, 120)}`);
      else if (text.includes(s.messagingSecret) || text.includes(s.channelToken))
        problems.push(`${c.name}: echoes a secret`);
    }
    expect(problems).toEqual([]);
    expect(await dumpDatabase([s.tenant])).toBe(before.db);
    expect(await webhookMemory(s.tenant)).toEqual(before.memory);
    expect(await lineRequests(s)).toEqual(requestsBefore);

    // Control: the same follow, signed properly, does link the member (so the refusals above
    // were for the reasons tested, not a broken setup).
    const good = JSON.stringify(follow(s));
    const res = await exports.default.fetch(`https://renkei.test/line/webhook/${s.tenant}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-line-signature': await signLineBody(s.messagingSecret, good),
      },
      body: good,
    });
    expect(res.status).toBe(200);
    const me = await gql('{ me { bindings { line { status } } } }', {}, s.memberToken);
    expect(me.data?.me.bindings.line.status).toBe('LINKED');
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// LINE Login callback: GET /line/callback
// ---------------------------------------------------------------------------------------------

type Outcome = 'INVALID' | 'EXPIRED' | 'DENIED' | 'FAILED';

interface CallbackCase {
  name: string;
  /**
   * The raw query string (after `?`). `fresh` is a live login state of the member, used by at
   * most one case; `replayed` one already consumed.
   */
  query: (states: { fresh: string; replayed: string; tenant: string }) => string;
  /** Whether the case consumes a live state. */
  fresh?: boolean;
  expect: Outcome;
}

const COPY: Record<Outcome, string> = {
  INVALID: 'This link is not valid.',
  EXPIRED: 'This link has already been used or has expired (10 minutes).',
  DENIED: 'LINE Login was cancelled. Nothing was changed.',
  FAILED: 'LINE Login could not be confirmed. Nothing was changed.',
};

const STATUS: Record<Outcome, number> = { INVALID: 400, EXPIRED: 400, DENIED: 200, FAILED: 400 };

function callbackCorpus(): CallbackCase[] {
  const cases: CallbackCase[] = [];
  const q = (params: [string, string][]) => new URLSearchParams(params).toString();
  const add = (name: string, query: CallbackCase['query'], expectOutcome: Outcome, fresh = false) =>
    cases.push({ name, query, expect: expectOutcome, fresh });
  const forgedState = (tenant: string) => `${b64url(tenant)}.${'A'.repeat(43)}`;

  // Missing or malformed state: refused before anything else, whatever the code says.
  add('no query', () => '', 'INVALID');
  add('code only', () => q([['code', 'abc']]), 'INVALID');
  add(
    'empty state',
    () =>
      q([
        ['code', 'abc'],
        ['state', ''],
      ]),
    'INVALID',
  );
  add(
    'state without a dot',
    () =>
      q([
        ['code', 'abc'],
        ['state', 'nope'],
      ]),
    'INVALID',
  );
  add('state with a short secret', (t) => q([['state', `${b64url(t.tenant)}.abc`]]), 'INVALID');
  add(
    'state with two dots',
    (t) => q([['state', `${b64url(t.tenant)}.${'A'.repeat(43)}.x`]]),
    'INVALID',
  );
  add(
    'state over 300 characters',
    (t) => q([['state', `${b64url(t.tenant)}.${'A'.repeat(300)}`]]),
    'INVALID',
  );
  add(
    'huge state',
    () =>
      q([
        ['code', 'abc'],
        ['state', 'A'.repeat(100_000)],
      ]),
    'INVALID',
  );
  add('huge code, no state', () => q([['code', 'c'.repeat(100_000)]]), 'INVALID');
  add('state tenant not UTF-8', () => q([['state', `_w.${'A'.repeat(43)}`]]), 'INVALID');
  add('state tenant empty', () => q([['state', `.${'A'.repeat(43)}`]]), 'INVALID');
  add('broken percent-encoding', () => `code=%ZZ&state=%E0%A4%A`, 'INVALID');
  add('NUL bytes', () => 'code=%00&state=%00', 'INVALID');
  add('access_denied without state', () => q([['error', 'access_denied']]), 'INVALID');
  for (const junk of INJECTIONS) {
    add(
      `state ${junk}`,
      () =>
        q([
          ['code', 'abc'],
          ['state', junk],
        ]),
      'INVALID',
    );
    add(`code ${junk}, no state`, () => q([['code', junk]]), 'INVALID');
    add(
      `error_description ${junk}, bad state`,
      () =>
        q([
          ['error', 'access_denied'],
          ['error_description', junk],
          ['state', junk],
        ]),
      'INVALID',
    );
  }

  // Well-formed states nobody issued, or issued and used: no such login.
  add(
    'forged state for the tenant',
    (t) =>
      q([
        ['code', 'abc'],
        ['state', forgedState(t.tenant)],
      ]),
    'EXPIRED',
  );
  add(
    'forged state for an unknown tenant',
    () =>
      q([
        ['code', 'abc'],
        ['state', forgedState(`nobody-${crypto.randomUUID()}`)],
      ]),
    'EXPIRED',
  );
  for (const junk of SQL) {
    add(
      `forged state naming tenant ${junk}`,
      () =>
        q([
          ['code', 'abc'],
          ['state', forgedState(junk)],
        ]),
      'EXPIRED',
    );
  }
  add(
    'replayed state',
    (t) =>
      q([
        ['code', 'abc'],
        ['state', t.replayed],
      ]),
    'EXPIRED',
  );
  add(
    'replayed state, denied',
    (t) =>
      q([
        ['error', 'access_denied'],
        ['state', t.replayed],
      ]),
    'EXPIRED',
  );
  add(
    'live state with one character changed',
    (t) =>
      q([
        ['code', 'abc'],
        ['state', `${t.fresh.slice(0, -1)}${t.fresh.endsWith('A') ? 'B' : 'A'}`],
      ]),
    'EXPIRED',
  );
  add(
    'live state, tenant swapped',
    (t) =>
      q([
        ['code', 'abc'],
        ['state', `${b64url('other-tenant')}.${t.fresh.split('.')[1]}`],
      ]),
    'EXPIRED',
  );

  // Live states with a denial or a code LINE refuses: the login ends, nothing changes.
  add(
    'access_denied',
    (t) =>
      q([
        ['error', 'access_denied'],
        ['state', t.fresh],
      ]),
    'DENIED',
    true,
  );
  add(
    'access_denied with description',
    (t) =>
      q([
        ['error', 'access_denied'],
        ['error_description', 'The resource owner denied the request.'],
        ['state', t.fresh],
      ]),
    'DENIED',
    true,
  );
  add(
    'access_denied and a code',
    (t) =>
      q([
        ['error', 'access_denied'],
        ['code', 'abc'],
        ['state', t.fresh],
      ]),
    'DENIED',
    true,
  );
  add(
    'script in error and description',
    (t) =>
      q([
        ['error', SCRIPT[0] as string],
        ['error_description', SCRIPT[1] as string],
        ['state', t.fresh],
      ]),
    'DENIED',
    true,
  );
  add('live state, no code', (t) => q([['state', t.fresh]]), 'DENIED', true);
  add(
    'live state, empty code',
    (t) =>
      q([
        ['code', ''],
        ['state', t.fresh],
      ]),
    'DENIED',
    true,
  );
  for (const junk of INJECTIONS) {
    add(
      `live state, code ${junk}`,
      (t) =>
        q([
          ['code', junk],
          ['state', t.fresh],
        ]),
      'FAILED',
      true,
    );
  }
  add(
    'live state, huge code',
    (t) =>
      q([
        ['code', 'c'.repeat(20_000)],
        ['state', t.fresh],
      ]),
    'FAILED',
    true,
  );
  add(
    'duplicated code params',
    (t) =>
      q([
        ['code', 'abc'],
        ['code', 'def'],
        ['state', t.fresh],
      ]),
    'FAILED',
    true,
  );
  add(
    'duplicated state params, live first',
    (t) =>
      q([
        ['code', 'abc'],
        ['state', t.fresh],
        ['state', 'nope'],
      ]),
    'FAILED',
    true,
  );
  add(
    'duplicated state params, junk first',
    (t) =>
      q([
        ['code', 'abc'],
        ['state', 'nope'],
        ['state', t.fresh],
      ]),
    'INVALID',
  );
  return cases;
}

describe('bad-input corpus: LINE Login callback', () => {
  it('answers every malformed callback with a clear page, never a 5xx, echoing and storing nothing', async () => {
    const s = await lineTenant();
    const cases = callbackCorpus();
    expect(cases.length).toBeGreaterThanOrEqual(50);
    const start = async () => {
      const r = await gql(
        'mutation { startLineLogin { authorizeUrl errors { code } } }',
        {},
        s.memberToken,
      );
      expect(r.data?.startLineLogin.errors).toEqual([]);
      return new URL(r.data?.startLineLogin.authorizeUrl).searchParams.get('state') as string;
    };
    // A state used once (denied) before the corpus, and one live state per case that needs one.
    const replayed = await start();
    const first = await exports.default.fetch(
      `https://renkei.test/line/callback?error=access_denied&state=${encodeURIComponent(replayed)}`,
    );
    expect(first.status).toBe(200);
    await first.text();
    const live: string[] = [];
    for (const c of cases) if (c.fresh) live.push(await start());
    // An unused live state for the cases that only look like one.
    const spare = await start();

    const before = await dumpDatabase([s.tenant]);
    const problems: string[] = [];
    for (const c of cases) {
      const requestsBefore = await lineRequests(s);
      const fresh = c.fresh ? (live.shift() as string) : spare;
      const query = c.query({ fresh, replayed, tenant: s.tenant });
      const res = await exports.default.fetch(`https://renkei.test/line/callback?${query}`, {
        headers: { 'accept-language': 'en-US,en;q=0.9' },
      });
      const html = await res.text();
      const values = [...new URLSearchParams(query).values()].filter((v) => v.length >= 6);
      const seen = new Set(requestsBefore.map((r) => r.seq));
      const requests = (await lineRequests(s)).filter((r) => !seen.has(r.seq));
      const want = STATUS[c.expect];
      if (res.status >= 500) problems.push(`${c.name}: HTTP ${res.status}`);
      else if (res.status !== want) problems.push(`${c.name}: HTTP ${res.status}, wanted ${want}`);
      else if (!res.headers.get('content-type')?.startsWith('text/html'))
        problems.push(`${c.name}: ${res.headers.get('content-type')}`);
      else if (!html.includes(`data-status="${c.expect}"`) || !html.includes(COPY[c.expect]))
        problems.push(`${c.name}: not the ${c.expect} page: ${html.slice(0, 200)}`);
      else if (/<script|<img src=x|onerror=/i.test(html) || values.some((v) => html.includes(v)))
        problems.push(`${c.name}: echoes its input`);
      else if (LEAK.test(html)) problems.push(`${c.name}: leaks an internal message`);
      // Only a live state with a code reaches LINE: one token request, which LINE refuses.
      else if (
        c.expect === 'FAILED'
          ? requests.length !== 1 ||
            requests[0]?.path !== '/oauth2/v2.1/token' ||
            requests[0]?.status !== 400
          : requests.length !== 0
      )
        problems.push(`${c.name}: LINE saw ${JSON.stringify(requests)}`);
    }
    expect(problems).toEqual([]);
    expect(live).toEqual([]);
    expect(await dumpDatabase([s.tenant])).toBe(before);
    const me = await gql('{ me { bindings { line { status } } } }', {}, s.memberToken);
    expect(me.data?.me.bindings.line.status).toBe('PENDING_FRIEND');
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// /graphql transport edge cases (bad-input.test.ts covers the GraphQL documents and variables)
// ---------------------------------------------------------------------------------------------

interface GraphqlCase {
  name: string;
  method?: string;
  /** Query string for GET. */
  search?: string;
  body?: string | Uint8Array<ArrayBuffer>;
  /** Default application/json for bodies; null sends none. */
  contentType?: string | null;
  accept?: string;
}

const CONFIGURE_SLACK =
  'mutation ($input: ConfigureSlackInput!) { configureSlack(input: $input) { errors { code } } }';
const EMIT =
  'mutation ($input: WorkflowEventInput!) { emitWorkflowEvent(input: $input) { errors { code } } }';

function graphqlCorpus(): GraphqlCase[] {
  const cases: GraphqlCase[] = [];
  const post = (name: string, body: unknown, extra: Partial<GraphqlCase> = {}) =>
    cases.push({ name, body: typeof body === 'string' ? body : JSON.stringify(body), ...extra });
  const slack = { enabled: true, botToken: 'xoxb-valid-token-0000' };

  // Bodies that are JSON but not a GraphQL request.
  for (const body of [
    '42',
    '-1.5e300',
    'true',
    'false',
    '{}',
    '{"variables":{}}',
    '{"operationName":"A"}',
  ]) {
    post(`body ${body}`, body);
  }
  // A query that is not a string or not a document.
  for (const query of [
    '',
    '   ',
    '# only a comment',
    ['{ viewer { role } }'],
    { kind: 'Document' },
    true,
    0,
  ]) {
    post(`query ${JSON.stringify(query)}`, { query });
  }
  // Variables that are not an object.
  for (const variables of [[1], 42, true, '{"input":{}}']) {
    post(`variables ${JSON.stringify(variables)}`, { query: CONFIGURE_SLACK, variables });
  }
  post('variables deeply nested', {
    query: CONFIGURE_SLACK,
    variables: { input: JSON.parse(`${'{"enabled":'.repeat(2000)}true${'}'.repeat(2000)}`) },
  });
  post(
    'variables as JSON text nested in arrays',
    `{"query":${JSON.stringify(CONFIGURE_SLACK)},"variables":{"input":${'['.repeat(5000)}${']'.repeat(5000)}}}`,
  );
  post('extensions not an object', { query: '{ viewer { role } }', extensions: 'x' });
  post('operationName not a string', {
    query: 'query A { viewer { role } }',
    operationName: ['A'],
  });
  // Operation names that match nothing, or several operations and no name.
  post('operationName mismatch', { query: 'query A { viewer { role } }', operationName: 'B' });
  post('operationName of neither', {
    query:
      'query A { viewer { role } } mutation B { configureSlack(input: {enabled: false}) { errors { code } } }',
    operationName: 'C',
  });
  post('two operations, no name', {
    query:
      'query A { viewer { role } } mutation B { configureSlack(input: {enabled: false}) { errors { code } } }',
  });
  post('two operations, same name', {
    query: 'query A { viewer { role } } query A { viewer { tenantId } }',
    operationName: 'A',
  });
  post('anonymous and named', {
    query:
      '{ viewer { role } } mutation B { configureSlack(input: {enabled: false}) { errors { code } } }',
    operationName: 'B',
  });
  post('subscription without an event stream', {
    query: 'subscription { nope }',
  });
  // Batches (batching is off): a list of requests is refused whole.
  post('batch of one', [{ query: '{ viewer { role } }' }]);
  post('batch of two', [{ query: '{ viewer { role } }' }, { query: '{ viewer { tenantId } }' }]);
  post('batch of mutations', [
    { query: CONFIGURE_SLACK, variables: { input: slack } },
    { query: CONFIGURE_SLACK, variables: { input: slack } },
  ]);
  post('batch of junk', [1, 'x', null]);
  // Duplicate keys: the last one wins, and it is not a valid request.
  post('duplicate query keys', '{"query":"{ viewer { role } }","query":"mutation { nope }"}');
  post('byte-order mark', '\uFEFF{"query":"mutation { nope }"}');
  post('trailing garbage', '{"query":"{ viewer { role } }"} trailing');
  post('NaN literal', '{"query": NaN}');
  post('single quotes', "{'query': '{ viewer { role } }'}");
  post('invalid UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
  // Content types /graphql does not take, with a body that would otherwise run a mutation.
  const mutation = JSON.stringify({ query: CONFIGURE_SLACK, variables: { input: slack } });
  for (const contentType of [
    'text/plain',
    'text/plain; charset=utf-8',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/octet-stream',
    'application/json-patch+json',
    'application/jsonx',
    'application',
    '*/*',
    null,
  ]) {
    cases.push({ name: `content type ${contentType}`, body: mutation, contentType });
  }
  cases.push({
    name: 'application/graphql garbage',
    body: 'mutation {{{',
    contentType: 'application/graphql',
  });
  cases.push({
    name: 'form without query',
    body: 'variables=%7B%7D',
    contentType: 'application/x-www-form-urlencoded',
  });
  cases.push({
    name: 'form with broken variables',
    body: `query=${encodeURIComponent(CONFIGURE_SLACK)}&variables=%7B`,
    contentType: 'application/x-www-form-urlencoded',
  });
  // GET: mutations are refused, broken parameters too.
  const get = (name: string, params: Record<string, string> | string) =>
    cases.push({
      name: `GET ${name}`,
      method: 'GET',
      search: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
    });
  get('mutation', { query: CONFIGURE_SLACK, variables: JSON.stringify({ input: slack }) });
  get('anonymous mutation', {
    query: 'mutation { configureSlack(input: {enabled: false}) { errors { code } } }',
  });
  get('mutation picked by operationName', {
    query:
      'query A { viewer { role } } mutation B { configureSlack(input: {enabled: false}) { errors { code } } }',
    operationName: 'B',
  });
  get('emit by GET', {
    query: EMIT,
    variables: JSON.stringify({ input: { idempotencyKey: 'k' } }),
  });
  get('no query', {});
  get('empty query', { query: '' });
  get('broken query', { query: '{ viewer {' });
  get('variables not JSON', { query: '{ viewer { role } }', variables: '{' });
  get('variables an array', { query: CONFIGURE_SLACK, variables: '[1]' });
  get('extensions not JSON', { query: '{ viewer { role } }', extensions: 'x' });
  get('broken percent-encoding', 'query=%7B%ZZ');
  get(
    'duplicated query',
    'query=mutation%20%7B%20nope%20%7D&query=%7B%20viewer%20%7B%20role%20%7D%20%7D',
  );
  get('huge query', { query: `{ ${'viewer { role } '.repeat(5000)} }` });
  // Methods /graphql does not answer.
  for (const method of ['PUT', 'PATCH', 'DELETE']) {
    cases.push({ name: `method ${method}`, method, body: mutation });
  }
  // Malformed requests that ask for an event stream (they go to the tenant's DeliveryHub).
  for (const body of [
    '{',
    '[]',
    '{"query":42}',
    '{"query":"subscription { nope }"}',
    '{"query":"subscription {"}',
  ]) {
    post(`event stream ${body}`, body, { accept: 'text/event-stream' });
  }
  return cases;
}

/** Whether a GraphQL answer carries an error: top level, `error`, or a payload's `errors`. */
function hasError(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const b = body as {
    errors?: { message?: unknown }[];
    data?: Record<string, any> | null;
    error?: string;
  };
  if (typeof b.error === 'string' && b.error) return true;
  if (Array.isArray(b.errors) && b.errors.length > 0)
    return b.errors.every((e) => typeof e?.message === 'string' && e.message !== '');
  return Object.values(b.data ?? {}).some((v) => Array.isArray(v?.errors) && v.errors.length > 0);
}

/** The JSON documents of a response: the body, or each `data:` line of an event stream. */
function documents(text: string, contentType: string | null): unknown[] {
  try {
    if (!contentType?.includes('text/event-stream')) return [JSON.parse(text)];
    return text
      .split('\n')
      .filter((l) => l.startsWith('data:') && l.slice(5).trim() !== '')
      .map((l) => JSON.parse(l.slice(5)));
  } catch {
    return [];
  }
}

describe('bad-input corpus: /graphql transport', () => {
  it('answers every malformed request with a clear error, never a 5xx, storing nothing', async () => {
    const t = tenantId('badgql');
    const admin = await token(t, 'admin', 'admin-x');
    const cases = graphqlCorpus();
    expect(cases.length).toBeGreaterThanOrEqual(50);
    const before = await dumpDatabase([t]);
    const problems: string[] = [];
    for (const c of cases) {
      const method = c.method ?? (c.search === undefined ? 'POST' : 'GET');
      const headers: Record<string, string> = { authorization: `Bearer ${admin}` };
      if (c.accept) headers.accept = c.accept;
      if (method !== 'GET' && c.contentType !== null)
        headers['content-type'] = c.contentType ?? 'application/json';
      const body =
        method === 'GET'
          ? undefined
          : c.contentType === null && typeof c.body === 'string'
            ? new TextEncoder().encode(c.body)
            : c.body;
      const res = await exports.default.fetch(
        `https://renkei.test/graphql${c.search === undefined ? '' : `?${c.search}`}`,
        { method, headers, body },
      );
      const text = await readBody(res);
      const docs = documents(text, res.headers.get('content-type'));
      if (res.status >= 500) problems.push(`${c.name}: HTTP ${res.status} ${text.slice(0, 120)}`);
      else if (docs.length === 0 || !docs.some(hasError))
        problems.push(`${c.name}: HTTP ${res.status}, no error in ${text.slice(0, 160)}`);
      else if (LEAK.test(text)) problems.push(`${c.name}: leaks ${text.slice(0, 160)}`);
    }
    expect(problems).toEqual([]);
    expect(before).not.toMatch(/:\[\{/);
    expect(await dumpDatabase([t])).toBe(before);
  }, 120_000);
});
