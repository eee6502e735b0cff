/**
 * The bot callback: `X-WORKS-Signature` = base64(HMAC-SHA256(Bot Secret, raw body)) checked
 * before parsing (no timestamp; a failed callback is never resent), and the message event a
 * button template's `message` action sends.
 * https://developers.worksmobile.com/jp/docs/bot-callback
 * https://developers.worksmobile.com/jp/docs/bot-callback-message
 */

/** Verifies the signature with `crypto.subtle.verify` (constant time); missing → false. */
export async function verifyLineWorksSignature(
  botSecret: string,
  rawBody: ArrayBuffer,
  signatureHeader: string | null | undefined,
): Promise<boolean> {
  if (!botSecret || !signatureHeader) return false;
  const text = signatureHeader.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) return false;
  const bin = atob(text);
  const mac = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) mac[i] = bin.charCodeAt(i);
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(botSecret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  return crypto.subtle.verify('HMAC', key, mac, rawBody);
}

/** A click on a decision button: a message event with a postback. */
export interface LineWorksPostback {
  /** The clicker's permanent resource id. */
  userId: string;
  domainId: string;
  postback: string;
}

/**
 * Reads a callback body: the postback of a `message` event, `'ignored'` for any other event
 * (text typed by the member, stickers, joins), null when the body is not JSON (answer 400).
 */
export function parseLineWorksCallback(rawBody: ArrayBuffer): LineWorksPostback | 'ignored' | null {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(rawBody));
  } catch {
    return null;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  const source = (b.source ?? {}) as Record<string, unknown>;
  const content = (b.content ?? {}) as Record<string, unknown>;
  if (b.type !== 'message' || typeof content !== 'object' || content === null) return 'ignored';
  const postback = content.postback;
  const userId = source.userId;
  if (typeof postback !== 'string' || postback === '' || typeof userId !== 'string' || !userId) {
    return 'ignored';
  }
  const domainId = source.domainId;
  return {
    userId,
    domainId: typeof domainId === 'string' || typeof domainId === 'number' ? `${domainId}` : '',
    postback,
  };
}
