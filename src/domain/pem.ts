/** PEM checks for the keys admins paste (LINE WORKS service-account private key). */
import { base64ToBytes } from './crypto.ts';

const PKCS8 = /^-----BEGIN PRIVATE KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PRIVATE KEY-----$/;

/**
 * Why `pem` is not a usable PKCS#8 RSA private key, or null when it is. The LINE WORKS
 * console hands out PKCS#8 (`BEGIN PRIVATE KEY`); a PKCS#1 key gets a hint to convert it.
 * https://developers.worksmobile.com/jp/docs/auth-jwt
 */
export async function pkcs8Problem(pem: string): Promise<string | null> {
  const text = pem.trim();
  if (text.includes('BEGIN RSA PRIVATE KEY')) {
    return 'This is a PKCS#1 key; convert it with `openssl pkcs8 -topk8 -nocrypt` and paste the PKCS#8 PEM';
  }
  const m = PKCS8.exec(text);
  if (!m?.[1]) return 'Must be a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY----- …)';
  try {
    await crypto.subtle.importKey(
      'pkcs8',
      base64ToBytes(m[1].replace(/\s+/g, '')),
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    return null;
  } catch {
    return 'The PEM does not hold a valid RSA private key';
  }
}
