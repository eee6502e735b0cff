/**
 * LINE and LINE WORKS for the benchmarks: configures a bench tenant (bench/lib.mjs
 * `tenantWithMembers`) against the demo provider fakes that scripts/local-stack.mjs starts, and
 * links its members to LINE through the real LINE Login flow (startLineLogin → the fake's authorize
 * page → /line/callback), so that pushes to them are SENT.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mintToken } from '../scripts/local-client.mjs';
import { demoSeed } from '../test/fakes/index.ts';
import { pool } from './lib.mjs';

/**
 * @typedef {{ tenant: string, admin: string, service: string, ids: string[] }} BenchTenant
 * @typedef {(bearer: string, query: string, variables?: Record<string, unknown>) => Promise<any>} Gql
 * @typedef {{ base: string, devVars: Record<string, string>, fakes: Record<string, string> }} Stack
 * @typedef {{ code?: string, message: string, field?: string[] | null }} UserError
 * @typedef {{ type: string, channel: string, enabled: boolean }} Rule
 */

/** Parallel GraphQL / HTTP calls while linking (the fake's authorize step itself is sequential). */
const LINK_CONCURRENCY = 16;

/** The demo official account's add-friend link (its basic id is `demoSeed.line.basicId`). */
const DEMO_FRIEND_URL = `https://line.me/R/ti/p/${demoSeed.line.basicId}`;

/**
 * Runs one GraphQL operation and returns `data[field]`; throws with `what` on a GraphQL error or
 * a non-empty `errors` array in the payload.
 * @param {Gql} gql
 * @param {string} bearer
 * @param {string} what
 * @param {string} field
 * @param {string} query
 * @param {Record<string, unknown>} [variables]
 */
async function call(gql, bearer, what, field, query, variables = {}) {
  let data;
  try {
    data = await gql(bearer, query, variables);
  } catch (err) {
    throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (data?.errors) throw new Error(`${what}: ${JSON.stringify(data.errors)}`);
  const payload = data?.[field];
  if (payload === undefined || payload === null) {
    throw new Error(`${what}: no ${field} in the response (${JSON.stringify(data)})`);
  }
  /** @type {UserError[] | undefined} */
  const errors = payload.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    throw new Error(`${what}: ${errors.map((e) => `${e.code ?? ''} ${e.message}`).join('; ')}`);
  }
  return payload;
}

/**
 * Checks the stored credentials against the fake; throws unless `ok`.
 * @param {Gql} gql
 * @param {BenchTenant} t
 * @param {'LINE' | 'LINE_WORKS' | 'LINE_WORKS_CALENDAR'} kind
 */
async function verify(gql, t, kind) {
  const out = await call(
    gql,
    t.admin,
    `verifyIntegration(${kind}) for ${t.tenant}`,
    'verifyIntegration',
    `mutation ($k: IntegrationKind!) { verifyIntegration(kind: $k) {
      ok errors { code message field } integration { status lastError } } }`,
    { k: kind },
  );
  if (!out.ok) {
    throw new Error(
      `verifyIntegration(${kind}) for ${t.tenant} is not ok: ${out.integration?.lastError ?? JSON.stringify(out)}`,
    );
  }
}

/**
 * Turns on APPROVAL_REQUESTED for `channel` and keeps every rule already on. setNotificationRules
 * only sets the cells it is given, but the union is sent anyway (so a replacing implementation
 * would keep them too) and the outcome is checked.
 * @param {Gql} gql
 * @param {BenchTenant} t
 * @param {'LINE' | 'LINE_WORKS'} channel
 */
async function enableApprovalRule(gql, t, channel) {
  const what = `setNotificationRules(APPROVAL_REQUESTED × ${channel}) for ${t.tenant}`;
  /** @type {Rule[]} */
  let current;
  try {
    ({ notificationRules: current } = await gql(
      t.admin,
      '{ notificationRules { type channel enabled } }',
    ));
  } catch (err) {
    throw new Error(`${what}: reading the rules: ${err instanceof Error ? err.message : err}`);
  }
  const key = (/** @type {Rule} */ r) => `${r.type}/${r.channel}`;
  const wanted = current.filter((r) => r.enabled);
  if (!wanted.some((r) => key(r) === `APPROVAL_REQUESTED/${channel}`)) {
    wanted.push({ type: 'APPROVAL_REQUESTED', channel, enabled: true });
  }
  /** @type {{ rules: Rule[] }} */
  const { rules } = await call(
    gql,
    t.admin,
    what,
    'setNotificationRules',
    `mutation ($r: [NotificationRuleInput!]!) { setNotificationRules(rules: $r) {
      rules { type channel enabled } errors { code message field } } }`,
    { r: wanted.map(({ type, channel: c }) => ({ type, channel: c, enabled: true })) },
  );
  const on = new Set(rules.filter((r) => r.enabled).map(key));
  const missing = wanted.filter((r) => !on.has(key(r)));
  if (missing.length > 0) {
    throw new Error(`${what}: rules not on afterwards: ${missing.map(key).join(', ')}`);
  }
}

/**
 * Configures and enables LINE for the tenant with the demo channels the fakes are seeded with
 * (Login channel, Messaging channel secret, long-lived channel access token, friend URL),
 * verifies it and turns on APPROVAL_REQUESTED × LINE, keeping the other rules.
 * @param {Stack} _stack
 * @param {Gql} gql
 * @param {BenchTenant} t
 */
export async function configureLine(_stack, gql, t) {
  const line = demoSeed.line;
  await call(
    gql,
    t.admin,
    `configureLine for ${t.tenant}`,
    'configureLine',
    'mutation ($i: ConfigureLineInput!) { configureLine(input: $i) { errors { code message field } } }',
    {
      i: {
        enabled: true,
        loginChannelId: line.loginChannelId,
        loginChannelSecret: line.loginChannelSecret,
        messagingChannelSecret: line.messagingChannelSecret,
        channelAccessToken: line.channelToken,
        friendUrl: DEMO_FRIEND_URL,
      },
    },
  );
  await verify(gql, t, 'LINE');
  await enableApprovalRule(gql, t, 'LINE');
}

/**
 * The LINE user id a bench member is linked to: `U` + 32 hex, stable for tenant + member.
 * @param {string} tenant
 * @param {string} memberId
 */
export function lineUserIdFor(tenant, memberId) {
  return `U${createHash('sha256').update(`${tenant}\n${memberId}`).digest('hex').slice(0, 32)}`;
}

/**
 * POSTs to a fake's control API and discards the answer (POST /__fake/state answers with the
 * whole state, which grows with every login and push).
 * @param {string} base
 * @param {string} path
 * @param {unknown} body
 */
async function fakeControl(base, path, body) {
  const res = await fetch(new URL(path, new URL(base).origin), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`fake ${base} ${path}: HTTP ${res.status}`);
}

/**
 * Links each member in `ids` to its own LINE user (`lineUserIdFor`) as a friend of the official
 * account, through the member's LINE Login: `startLineLogin`, the fake's authorize page (told
 * which LINE user logs in and to add the friend on the bot prompt), then `/line/callback` on the
 * stack, which must answer LINKED. Members are linked in parallel except for the authorize step,
 * which runs one member at a time (the fake's `authorize` state is global). Returns memberId →
 * LINE user id; throws when a member does not end up LINKED.
 * @param {Stack} stack
 * @param {Gql} gql
 * @param {BenchTenant} t
 * @param {string[]} ids
 * @param {{ onProgress?: (text: string) => void }} [options] e.g. bench/lib.mjs `progress`
 * @returns {Promise<Map<string, string>>}
 */
export async function linkLine(stack, gql, t, ids, { onProgress } = {}) {
  const lineApi = stack.fakes.lineApiBase;
  const secret = stack.devVars.AUTH_JWT_SECRET;
  const total = ids.length;
  /** @type {Record<string, number>} */
  const done = { started: 0, authorized: 0, linked: 0 };
  const step = (/** @type {'started' | 'authorized' | 'linked'} */ stage) => {
    const n = ++done[stage];
    if (onProgress && (n % 50 === 0 || n === total)) {
      onProgress(`  linking LINE (${t.tenant}): ${stage} ${n}/${total}`);
    }
  };

  const lineIds = ids.map((memberId) => lineUserIdFor(t.tenant, memberId));
  // The fake's authorize step, one member at a time; everything else runs in parallel.
  let authorizing = Promise.resolve();
  /** @param {() => Promise<string>} fn */
  const oneAtATime = (fn) => {
    const run = authorizing.then(fn);
    authorizing = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };

  await pool(
    ids,
    LINK_CONCURRENCY,
    async (/** @type {string} */ memberId, /** @type {number} */ i) => {
      const who = `member ${memberId} of ${t.tenant}`;
      // 1. The member starts their login (state, nonce, PKCE verifier kept by the service).
      const token = await mintToken({ secret, role: 'user', sub: memberId, tenant: t.tenant });
      const { authorizeUrl } = await call(
        gql,
        token,
        `startLineLogin for ${who}`,
        'startLineLogin',
        'mutation { startLineLogin { authorizeUrl errors { code message } } }',
      );
      if (!authorizeUrl) throw new Error(`startLineLogin for ${who}: no authorizeUrl`);
      step('started');

      // 2. The fake logs in as the member's LINE user, who adds the friend on the bot prompt.
      const callbackUrl = await oneAtATime(async () => {
        await fakeControl(lineApi, '/__fake/state?replace=1', {
          authorize: { userId: lineIds[i], addFriend: true },
        });
        const res = await fetch(authorizeUrl, { redirect: 'manual' });
        await res.arrayBuffer();
        const location = res.headers.get('location');
        if (res.status !== 302 || !location) {
          throw new Error(`LINE authorize for ${who}: HTTP ${res.status} (${authorizeUrl})`);
        }
        const back = new URL(location);
        if (back.searchParams.has('error') || !back.searchParams.get('code')) {
          throw new Error(`LINE authorize for ${who}: ${location}`);
        }
        // The callback is PUBLIC_BASE_URL/line/callback: call it on this stack.
        return new URL(`${back.pathname}${back.search}`, stack.base).toString();
      });
      step('authorized');

      // 3. The callback: code exchange, ID token, friendship status → LINKED.
      const res = await fetch(callbackUrl, { redirect: 'manual' });
      const html = await res.text();
      const status = /data-status="([A-Z_]+)"/.exec(html)?.[1] ?? 'unknown';
      if (res.status !== 200 || status !== 'LINKED') {
        throw new Error(
          `LINE link of ${who} (LINE user ${lineIds[i]}) ended ${status}, HTTP ${res.status}`,
        );
      }
      step('linked');
    },
  );
  return new Map(ids.map((memberId, i) => [memberId, lineIds[i]]));
}

/**
 * Configures and enables LINE WORKS for the tenant with the demo app and its pre-registered bot
 * (private key from `demoSeed.lineWorks.privateKeyPath`, which the fakes write on start),
 * optionally with `rateLimitPerMinute` = `perMinute` and the absence calendar on the messenger
 * credentials (`calendar`; false leaves the calendar as it is), verifies, and turns on
 * APPROVAL_REQUESTED × LINE_WORKS keeping the other rules. Members are messaged under their
 * WORKPLACE user id; when the fake only knows a list of users, the tenant's members are added.
 * @param {Stack} stack
 * @param {Gql} gql
 * @param {BenchTenant} t
 * @param {{ perMinute?: number, calendar?: boolean }} [options]
 */
export async function configureLineWorks(stack, gql, t, { perMinute, calendar = false } = {}) {
  const lw = demoSeed.lineWorks;
  const keyFile = new URL(`../${lw.privateKeyPath}`, import.meta.url);
  let privateKey;
  try {
    privateKey = readFileSync(keyFile, 'utf8');
  } catch (err) {
    throw new Error(
      `configureLineWorks: cannot read the demo LINE WORKS key ${keyFile.pathname} (the fakes write it on start): ${err instanceof Error ? err.message : err}`,
    );
  }
  /** @type {Record<string, unknown>} */
  const input = {
    enabled: true,
    domainId: lw.domainId,
    adminEmail: lw.adminEmail,
    clientId: lw.clientId,
    clientSecret: lw.clientSecret,
    serviceAccount: lw.serviceAccount,
    privateKey,
    botId: lw.botId,
  };
  if (perMinute !== undefined) input.rateLimitPerMinute = perMinute;
  const out = await call(
    gql,
    t.admin,
    `configureLineWorks for ${t.tenant}`,
    'configureLineWorks',
    `mutation ($i: ConfigureLineWorksInput!) { configureLineWorks(input: $i) {
      integration { botId rateLimitPerMinute } errors { code message field } } }`,
    { i: input },
  );
  if (perMinute !== undefined && out.integration?.rateLimitPerMinute !== perMinute) {
    throw new Error(
      `configureLineWorks for ${t.tenant}: rateLimitPerMinute is ${out.integration?.rateLimitPerMinute}, not ${perMinute}`,
    );
  }
  await verify(gql, t, 'LINE_WORKS');
  if (calendar) {
    await call(
      gql,
      t.admin,
      `configureLineWorksCalendar for ${t.tenant}`,
      'configureLineWorksCalendar',
      `mutation { configureLineWorksCalendar(input: { enabled: true, useMessengerCredentials: true }) {
        errors { code message field } } }`,
    );
    await verify(gql, t, 'LINE_WORKS_CALENDAR');
  }
  await enableApprovalRule(gql, t, 'LINE_WORKS');

  // The demo fake accepts any user (`users: null`); a list of known users must hold the members.
  const api = stack.fakes.lineWorksApiBase;
  const res = await fetch(new URL('/__fake/state', new URL(api).origin));
  if (!res.ok) throw new Error(`LINE WORKS fake state: HTTP ${res.status}`);
  const { users } = await res.json();
  if (Array.isArray(users)) {
    const missing = t.ids.filter((id) => !users.includes(id));
    if (missing.length > 0) {
      await fakeControl(api, '/__fake/state?replace=1', { users: [...users, ...missing] });
    }
  }
}
