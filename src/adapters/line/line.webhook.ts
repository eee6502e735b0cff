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
  const signature = decodeBase64(signatureHeader.trim());
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
  return encodeBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, data)));
}

function encodeBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  try {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}
