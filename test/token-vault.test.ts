// Integration: the TokenVault Durable Object over its real binding, against the fake LINE WORKS
// token endpoint: cache, single-flight refresh, drop on 401.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { TokenVault } from '../src/workers/token-vault.ts';
import { fake, rsaKeyPair, tenantId } from './helpers.ts';

const vaults = () => env.TOKEN_VAULT as unknown as DurableObjectNamespace<TokenVault>;

async function app() {
  const { privatePem, publicPem } = await rsaKeyPair();
  const clientId = `vault-${crypto.randomUUID()}`;
  const creds = {
    clientId,
    clientSecret: `s-${crypto.randomUUID()}`,
    serviceAccount: `sa.serviceaccount@${clientId}.example`,
    privateKey: privatePem,
  };
  await fake(env.LINE_WORKS_AUTH_BASE, '/__fake/state', {
    apps: {
      [clientId]: {
        clientSecret: creds.clientSecret,
        serviceAccount: creds.serviceAccount,
        publicKeyPem: publicPem,
        domainId: '300000001',
      },
    },
  });
  const requests = async () =>
    (
      await fake(
        env.LINE_WORKS_AUTH_BASE,
        `/__fake/requests?path=/oauth2/v2.0/token&contains=${clientId}`,
      )
    ).length;
  return { creds, requests };
}

describe('TokenVault', () => {
  it('issues one token for many concurrent callers and serves it from the cache', async () => {
    const { creds, requests } = await app();
    const vault = vaults().getByName(`${tenantId('tv')}:LINE_WORKS`);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => vault.lineWorks(creds, ['bot'])),
    );
    const tokens = new Set(results.map((r) => (r.ok ? r.token : r.reason)));
    expect(tokens.size).toBe(1);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await requests()).toBe(1);
    // Another scope is another token.
    const calendar = await vault.lineWorks(creds, ['calendar']);
    expect(calendar.ok && !tokens.has(calendar.token)).toBe(true);
    expect(await requests()).toBe(2);
  });

  it('drops a refused token only when it is still the cached one', async () => {
    const { creds, requests } = await app();
    const vault = vaults().getByName(`${tenantId('tv')}:LINE_WORKS`);
    const first = await vault.lineWorks(creds, ['bot']);
    if (!first.ok) throw new Error(first.reason);
    await vault.dropLineWorks(creds.clientId, ['bot'], first.token);
    const second = await vault.lineWorks(creds, ['bot']);
    if (!second.ok) throw new Error(second.reason);
    expect(second.token).not.toBe(first.token);
    // A late 401 for the old token does not throw the new one away.
    await vault.dropLineWorks(creds.clientId, ['bot'], first.token);
    const third = await vault.lineWorks(creds, ['bot']);
    expect(third).toEqual({ ok: true, token: second.token });
    expect(await requests()).toBe(2);
  });

  it('reports a refused client without its secret', async () => {
    const { creds } = await app();
    const vault = vaults().getByName(`${tenantId('tv')}:LINE_WORKS`);
    const refused = await vault.lineWorks({ ...creds, clientSecret: 'wrong-secret' }, ['bot']);
    expect(refused).toMatchObject({ ok: false, retryable: false });
    expect(JSON.stringify(refused)).not.toContain('wrong-secret');
  });
});
