/**
 * The link behind a digest's "and N more": Renkei's page listing every notification folded
 * into it. The URL carries an HMAC (a key derived from SECRETS_KEY) over the tenant and the
 * digest id, so it can be opened from the chat without a token and names nothing else.
 */
import { base64ToBytes, base64UrlToBytes, bytesToBase64Url } from '../../lib/base64.ts';

const keys = new Map<string, Promise<CryptoKey>>();

async function linkKey(secretsKey: string): Promise<CryptoKey> {
  let key = keys.get(secretsKey);
  if (!key) {
    key = (async () => {
      const master = await crypto.subtle.importKey(
        'raw',
        base64ToBytes(secretsKey),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      );
      // A key of its own, so a link signature is never a signature usable elsewhere.
      const derived = await crypto.subtle.sign(
        'HMAC',
        master,
        new TextEncoder().encode('renkei digest list link v1'),
      );
      return crypto.subtle.importKey('raw', derived, { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
        'verify',
      ]);
    })();
    keys.set(secretsKey, key);
  }
  return key;
}

const payload = (tenantId: string, digestId: string) =>
  new TextEncoder().encode(`${tenantId}\n${digestId}`);

/** `{base}/digests/{digestId}?t={tenant}&s={signature}`. */
export async function digestListUrl(
  baseUrl: string,
  secretsKey: string,
  tenantId: string,
  digestId: string,
): Promise<string> {
  const sig = new Uint8Array(
    await crypto.subtle.sign('HMAC', await linkKey(secretsKey), payload(tenantId, digestId)),
  );
  const url = new URL(`/digests/${digestId}`, baseUrl);
  url.searchParams.set('t', tenantId);
  url.searchParams.set('s', bytesToBase64Url(sig));
  return url.toString();
}

/** Whether `signature` is the link's (constant-time, through WebCrypto's verify). */
export async function verifyDigestLink(
  secretsKey: string,
  tenantId: string,
  digestId: string,
  signature: string,
): Promise<boolean> {
  let sig: Uint8Array<ArrayBuffer>;
  try {
    sig = base64UrlToBytes(signature);
  } catch {
    return false;
  }
  return crypto.subtle.verify('HMAC', await linkKey(secretsKey), sig, payload(tenantId, digestId));
}
