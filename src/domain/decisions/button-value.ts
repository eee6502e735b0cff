/**
 * The opaque value of a decision button (DECISIONS.md, "Button payload"): it names the delivery
 * and the action and carries a MAC over both and the tenant, so a value edited on its way back
 * (another delivery, another action, another tenant) is recognised and refused. It is never
 * trusted alone: the signed request and the clicking user still decide.
 *
 * Layout: `rk1.<deliveryId>.<A|J|R>.<mac>` — 32 hex, one letter, 22 base64url characters
 * (128 bits of HMAC-SHA256): about 61 characters, well under LINE's 300.
 */
import type { DecisionAction } from '../../adapters/types.ts';
import { base64ToBytes, bytesToBase64Url as base64Url } from '../../lib/base64.ts';

const VERSION = 'rk1';
/** LINE postback data limit; every platform's value is at most this long. */
export const BUTTON_VALUE_MAX = 300;
const MAC_CHARS = 22;
const LETTER: Readonly<Record<DecisionAction, string>> = { APPROVE: 'A', REJECT: 'J', RETURN: 'R' };
const ACTION_OF: Readonly<Record<string, DecisionAction>> = {
  A: 'APPROVE',
  J: 'REJECT',
  R: 'RETURN',
};
const SHAPE = /^rk1\.([0-9a-f]{32})\.([AJR])\.([A-Za-z0-9_-]{22})$/;

const keys = new Map<string, Promise<CryptoKey>>();

/** An HMAC key of its own, derived from SECRETS_KEY (never the sealing key itself). */
function macKey(secretsKey: string): Promise<CryptoKey> {
  let key = keys.get(secretsKey);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey('raw', base64ToBytes(secretsKey), 'HKDF', false, [
        'deriveKey',
      ]);
      return crypto.subtle.deriveKey(
        {
          name: 'HKDF',
          hash: 'SHA-256',
          salt: new Uint8Array(0),
          info: new TextEncoder().encode('renkei decision button v1'),
        },
        base,
        { name: 'HMAC', hash: 'SHA-256', length: 256 },
        false,
        ['sign', 'verify'],
      );
    })();
    keys.set(secretsKey, key);
  }
  return key;
}

async function mac(secretsKey: string, tenantId: string, deliveryId: string, letter: string) {
  const data = new TextEncoder().encode(`${VERSION}|${tenantId}|${deliveryId}|${letter}`);
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', await macKey(secretsKey), data));
  return base64Url(sig).slice(0, MAC_CHARS);
}

/** The button value for one delivery and action. */
export async function encodeButtonValue(
  secretsKey: string,
  tenantId: string,
  deliveryId: string,
  action: DecisionAction,
): Promise<string> {
  const letter = LETTER[action];
  return `${VERSION}.${deliveryId}.${letter}.${await mac(secretsKey, tenantId, deliveryId, letter)}`;
}

/** The delivery and action a value names, or null when it is malformed or was altered. */
export async function decodeButtonValue(
  secretsKey: string,
  tenantId: string,
  value: unknown,
): Promise<{ deliveryId: string; action: DecisionAction } | null> {
  if (typeof value !== 'string' || value.length > BUTTON_VALUE_MAX) return null;
  const m = SHAPE.exec(value);
  if (!m) return null;
  const [, deliveryId = '', letter = '', given = ''] = m;
  const expected = await mac(secretsKey, tenantId, deliveryId, letter);
  if (!constantTimeEqual(expected, given)) return null;
  const action = ACTION_OF[letter];
  return action ? { deliveryId, action } : null;
}

/** Compares two strings without an early exit (the MAC must not leak by timing). */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
