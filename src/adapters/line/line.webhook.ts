import { bytesToBase64, parseBase64 } from '../../lib/base64.ts';

/**
 * Verifies `x-line-signature` = base64(HMAC-SHA256(channel secret, raw body)) before the body
 * is parsed; a missing or malformed header is a failure. `crypto.subtle.verify` compares the
 * MAC in constant time.
 * https://developers.line.biz/en/docs/messaging-api/receiving-messages/#verify-signature
 */
export async function verifyLineSignature(
  channelSecret: string,
  rawBody: ArrayBuffer | ArrayBufferView<ArrayBuffer> | string,
  signatureHeader: string | null | undefined,
): Promise<boolean> {
  if (!channelSecret || !signatureHeader) return false;
  const signature = parseBase64(signatureHeader.trim());
  if (signature?.byteLength !== 32) return false;
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(channelSecret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const data = typeof rawBody === 'string' ? new TextEncoder().encode(rawBody) : rawBody;
  return crypto.subtle.verify('HMAC', key, signature, data);
}

/** base64(HMAC-SHA256(secret, body)): what LINE puts in `x-line-signature` (used by tests). */
export async function signLineBody(
  channelSecret: string,
  rawBody: ArrayBuffer | ArrayBufferView<ArrayBuffer> | string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(channelSecret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const data = typeof rawBody === 'string' ? new TextEncoder().encode(rawBody) : rawBody;
  return bytesToBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, data)));
}
