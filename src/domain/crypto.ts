/**
 * Secrets at rest: AES-256-GCM under SECRETS_KEY, a fresh 96-bit IV per value, and the
 * value's place (tenant, owner, name) as additional data so a ciphertext copied to another
 * row or tenant does not decrypt.
 */
import { base64ToBytes, bytesToBase64 } from '../lib/base64.ts';

export interface SealedSecret {
  /** base64(iv ‖ ciphertext ‖ tag) */
  c: string;
  /** Last 4 characters at most: what the contract lets admins see. */
  hint: string;
  updatedAt: string;
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function importKey(secretsKey: string): Promise<CryptoKey> {
  let key = keyCache.get(secretsKey);
  if (!key) {
    const raw = base64ToBytes(secretsKey);
    if (raw.byteLength !== 32) throw new Error('SECRETS_KEY must be 32 bytes, base64-encoded');
    key = crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    keyCache.set(secretsKey, key);
  }
  return key;
}

/** Encrypts `plaintext`, bound to `place` (e.g. `tenant/SLACK/botToken`). */
export async function seal(secretsKey: string, place: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await importKey(secretsKey);
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(place) },
      key,
      new TextEncoder().encode(plaintext),
    ),
  );
  const out = new Uint8Array(iv.byteLength + ct.byteLength);
  out.set(iv);
  out.set(ct, iv.byteLength);
  return bytesToBase64(out);
}

/** Decrypts what `seal` produced for the same place. Throws on tampering or a wrong place. */
export async function unseal(secretsKey: string, place: string, sealed: string): Promise<string> {
  const bytes = base64ToBytes(sealed);
  const key = await importKey(secretsKey);
  const pt = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: bytes.subarray(0, 12), additionalData: new TextEncoder().encode(place) },
    key,
    bytes.subarray(12),
  );
  return new TextDecoder().decode(pt);
}

/** The hint shown for a secret: its last 4 characters, or fewer for short values. */
export function secretHint(plaintext: string): string {
  return plaintext.length >= 12
    ? plaintext.slice(-4)
    : plaintext.length >= 6
      ? plaintext.slice(-2)
      : '';
}

export async function sealSecret(
  secretsKey: string,
  place: string,
  plaintext: string,
  at: string,
): Promise<SealedSecret> {
  return {
    c: await seal(secretsKey, place, plaintext),
    hint: secretHint(plaintext),
    updatedAt: at,
  };
}
