/**
 * Base64 (RFC 4648 §4) and base64url (§5, unpadded) over bytes and UTF-8 text, with the
 * runtime's `btoa` / `atob`: sealed secrets, webhook signatures, global ids, cursors, LINE Login
 * state and PKCE, data: URLs. A leaf: adapters, domain and workers all use it.
 * https://www.rfc-editor.org/rfc/rfc4648
 */

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Bytes as padded base64. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  // In pieces: String.fromCharCode with a whole large array would exceed the argument limit.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Base64 (padded or not) as bytes; throws on characters outside the alphabet. */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const out = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Base64 as bytes, or null for anything but the base64 alphabet and its padding (no whitespace,
 * no base64url characters, nothing `atob` refuses): for a value from outside, like a signature.
 */
export function parseBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!BASE64.test(text)) return null;
  try {
    return base64ToBytes(text);
  } catch {
    return null;
  }
}

/** Bytes as unpadded base64url. */
export function bytesToBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Base64url (unpadded or padded) as bytes; throws on what `atob` refuses. */
export function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return base64ToBytes(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
}

/** UTF-8 text as padded base64 (e.g. an SVG for a `data:` URL). */
export function textToBase64(text: string): string {
  return bytesToBase64(new TextEncoder().encode(text));
}

/** UTF-8 text as unpadded base64url. */
export function textToBase64Url(text: string): string {
  return bytesToBase64Url(new TextEncoder().encode(text));
}
