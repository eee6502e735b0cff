// Integration: the TokenVault Durable Object over its real binding, against the fake LINE WORKS
// and LINE token endpoints: cache, single-flight refresh, drop on 401, and tokens that belong to
// the exact credentials that issued them. Every test uses the same Client ID (and the LINE test
// the same channel id): only the fingerprint of the credentials tells their tokens apart.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { LineWorksAppCredentials } from '../src/domain/tokens.ts';
import type { TokenVault } from '../src/workers/token-vault.ts';
import { fake, rsaKeyPair, tenantId } from './helpers.ts';

const vaults = () => env.TOKEN_VAULT as unknown as DurableObjectNamespace<TokenVault>;
const CLIENT_ID = 'renkei-token-vault-test';
const SERVICE_ACCOUNT = `sa.serviceaccount@${CLIENT_ID}.example`;
const TOKEN_PATH = '/oauth2/v2.0/token';

/**
 * Registers CLIENT_ID in the fake with a new key pair and secret (replacing the last one, so
 * the previous key and secret are refused from now on) and returns the matching credentials.
 */
async function rotate(): Promise<LineWorksAppCredentials> {
  const { privatePem, publicPem } = await rsaKeyPair();
  const creds = {
    clientId: CLIENT_ID,
    clientSecret: `s-${crypto.randomUUID()}`,
    serviceAccount: SERVICE_ACCOUNT,
    privateKey: privatePem,
  };
  await fake(env.LINE_WORKS_AUTH_BASE, '/__fake/state', {
    apps: {
      [CLIENT_ID]: {
        clientSecret: creds.clientSecret,
        serviceAccount: SERVICE_ACCOUNT,
        publicKeyPem: publicPem,
        domainId: '300000001',
      },
    },
  });
  return creds;
}

/** Token requests for CLIENT_ID from now on: `count()` tells how many were made since. */
async function tokenRequests(base = env.LINE_WORKS_AUTH_BASE, path = TOKEN_PATH, id = CLIENT_ID) {
  const list = async () =>
    fake<{ seq: number }[]>(base, `/__fake/requests?path=${path}&contains=${id}`);
  const before = await list();
  const since = before.at(-1)?.seq ?? 0;
  return { count: async () => (await list()).filter((r) => r.seq > since).length };
}

const vault = () => vaults().getByName(`${tenantId('tv')}:LINE_WORKS`);

describe('TokenVault', () => {
  it('issues one token for many concurrent callers and serves it from the cache', async () => {
    const creds = await rotate();
    const requests = await tokenRequests();
    const v = vault();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => v.lineWorks(creds, ['bot'])),
    );
    const tokens = new Set(results.map((r) => (r.ok ? r.token : r.reason)));
    expect(tokens.size).toBe(1);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await requests.count()).toBe(1);
    // Later callers get the cached token without a request.
    expect(await v.lineWorks(creds, ['bot'])).toEqual(results[0]);
    expect(await requests.count()).toBe(1);
    // Another scope is another token.
    const calendar = await v.lineWorks(creds, ['calendar']);
    expect(calendar.ok && !tokens.has(calendar.token)).toBe(true);
    expect(await requests.count()).toBe(2);
    expect(await v.stats()).toEqual({ issued: 2, cached: 2 });
  });

  it('drops a refused token only when it is still the cached one', async () => {
    const creds = await rotate();
    const requests = await tokenRequests();
    const v = vault();
    const first = await v.lineWorks(creds, ['bot']);
    if (!first.ok) throw new Error(first.reason);
    await v.dropLineWorks(creds, ['bot'], first.token);
    const second = await v.lineWorks(creds, ['bot']);
    if (!second.ok) throw new Error(second.reason);
    expect(second.token).not.toBe(first.token);
    // A late 401 for the old token does not throw the new one away.
    await v.dropLineWorks(creds, ['bot'], first.token);
    const third = await v.lineWorks(creds, ['bot']);
    expect(third).toEqual({ ok: true, token: second.token });
    expect(await requests.count()).toBe(2);
  });

  it('never answers changed credentials with a token of the old ones', async () => {
    const v = vault();
    const old = await rotate();
    const first = await v.lineWorks(old, ['bot']);
    if (!first.ok) throw new Error(first.reason);

    // The admin rotates the key and secret: the fake now refuses the old ones.
    const rotated = await rotate();
    const requests = await tokenRequests();
    const second = await v.lineWorks(rotated, ['bot']);
    if (!second.ok) throw new Error(second.reason);
    expect(second.token).not.toBe(first.token);
    expect(await requests.count()).toBe(1);

    // Only the private key differs: another identity, asked about anew, and refused.
    const otherKey = { ...rotated, privateKey: old.privateKey };
    expect(await v.lineWorks(otherKey, ['bot'])).toMatchObject({ ok: false, retryable: false });
    // Only the client secret differs.
    const otherSecret = { ...rotated, clientSecret: old.clientSecret };
    expect(await v.lineWorks(otherSecret, ['bot'])).toMatchObject({ ok: false });
    // Only the service account differs.
    const otherAccount = { ...rotated, serviceAccount: `x.${SERVICE_ACCOUNT}` };
    expect(await v.lineWorks(otherAccount, ['bot'])).toMatchObject({ ok: false });
    expect(await requests.count()).toBe(4);
    // The current credentials still get their cached token.
    expect(await v.lineWorks(rotated, ['bot'])).toEqual(second);
    expect(await requests.count()).toBe(4);
    // Once the save dropped the cache, the old credentials are refused too.
    await v.forget();
    expect(await v.lineWorks(old, ['bot'])).toMatchObject({ ok: false, retryable: false });
  });

  it('issues anew when asked for a fresh token, and forgets everything on request', async () => {
    const creds = await rotate();
    const requests = await tokenRequests();
    const v = vault();
    const cached = await v.lineWorks(creds, ['bot']);
    const fresh = await v.lineWorks(creds, ['bot'], { fresh: true });
    expect(fresh.ok && cached.ok && fresh.token !== cached.token).toBe(true);
    expect(await requests.count()).toBe(2);
    // The fresh token is the one cached now.
    expect(await v.lineWorks(creds, ['bot'])).toEqual(fresh);
    await v.forget();
    expect((await v.stats()).cached).toBe(0);
    const after = await v.lineWorks(creds, ['bot']);
    expect(after.ok && fresh.ok && after.token !== fresh.token).toBe(true);
    expect(await requests.count()).toBe(3);
  });

  it('reports a refused client without its secret, even right after a good token', async () => {
    const creds = await rotate();
    const v = vault();
    expect(await v.lineWorks(creds, ['bot'])).toMatchObject({ ok: true });
    const refused = await v.lineWorks({ ...creds, clientSecret: 'wrong-secret' }, ['bot']);
    expect(refused).toMatchObject({ ok: false, retryable: false });
    expect(JSON.stringify(refused)).not.toContain('wrong-secret');
  });

  it('keys LINE stateless tokens by channel id and secret', async () => {
    const channelId = '1999000001';
    const v = vaults().getByName(`${tenantId('tv')}:LINE`);
    const setSecret = (secret: string) =>
      fake(env.LINE_API_BASE, '/__fake/state', {
        statelessChannels: { [channelId]: { secret } },
      });
    const oldSecret = `old-${crypto.randomUUID()}`;
    await setSecret(oldSecret);
    const first = await v.lineChannel(channelId, oldSecret);
    if (!first.ok) throw new Error(first.reason);
    expect(await v.lineChannel(channelId, oldSecret)).toEqual(first);

    const newSecret = `new-${crypto.randomUUID()}`;
    await setSecret(newSecret);
    const requests = await tokenRequests(env.LINE_API_BASE, '/oauth2/v3/token', channelId);
    const second = await v.lineChannel(channelId, newSecret);
    expect(second.ok && second.token !== first.token).toBe(true);
    expect(await requests.count()).toBe(1);
    await v.forget();
    const stale = await v.lineChannel(channelId, oldSecret);
    expect(stale).toMatchObject({ ok: false, retryable: false });
    expect(await requests.count()).toBe(2);
    const third = await v.lineChannel(channelId, newSecret);
    expect(third.ok && second.ok && third.token !== second.token).toBe(true);
    if (third.ok) await v.dropLineChannel(channelId, newSecret, third.token);
    const fourth = await v.lineChannel(channelId, newSecret);
    expect(fourth.ok && third.ok && fourth.token !== third.token).toBe(true);
  });
});
