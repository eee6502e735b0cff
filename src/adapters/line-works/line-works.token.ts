import { importPKCS8, SignJWT } from 'jose';
import { describeNetworkFailure, fetchWithTimeout, isRetryableStatus, readJson } from '../http.ts';
import { readErrorBody, redact } from './line-works.errors.ts';
import type { LineWorksTokenResponse, LineWorksTokenResult } from './line-works.types.ts';

const PKCS8_BEGIN = '-----BEGIN PRIVATE KEY-----';
const PKCS8_END = '-----END PRIVATE KEY-----';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The samples' lifetime for the assertion; the token endpoint only needs it valid on arrival. */
const ASSERTION_TTL_SECONDS = 3600;
/** Used when the token response carries no usable `expires_in` (the shorter app setting). */
const DEFAULT_TOKEN_TTL_SECONDS = 3600;

export interface ServiceAccountJwtInput {
  clientId: string;
  serviceAccount: string;
  privateKeyPem: string;
  /** Milliseconds since the epoch; defaults to `Date.now()`. */
  now?: number;
}

/**
 * Signs the service-account assertion: RS256, `iss` = Client ID, `sub` = Service Account,
 * `iat`, `exp` = `iat` + 3600. https://developers.worksmobile.com/jp/docs/auth-jwt
 */
export async function signServiceAccountJwt(input: ServiceAccountJwtInput): Promise<string> {
  const key = await importPKCS8(normalizePem(input.privateKeyPem), 'RS256');
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(input.clientId)
    .setSubject(input.serviceAccount)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_TTL_SECONDS)
    .sign(key);
}

/**
 * Whether `pem` has the shape of an unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`),
 * which is what the LINE WORKS Developer Console issues. Does not parse the key.
 * https://developers.worksmobile.com/jp/docs/auth-jwt
 */
export function isPkcs8Pem(pem: string): boolean {
  const text = normalizePem(pem);
  if (!text.startsWith(PKCS8_BEGIN) || !text.endsWith(PKCS8_END)) return false;
  const body = text.slice(PKCS8_BEGIN.length, -PKCS8_END.length).replace(/\s+/g, '');
  return body.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(body);
}

export type PrivateKeyCheck = { ok: true } | { ok: false; reason: string };

/**
 * Settings-form validation of the service account's private key: a PKCS#8 PEM holding an RSA
 * key (≥ 2048 bits) that can sign RS256. The reason never echoes the key.
 * https://developers.worksmobile.com/jp/docs/auth-jwt
 */
export async function validatePrivateKey(pem: string): Promise<PrivateKeyCheck> {
  if (normalizePem(pem).startsWith('-----BEGIN RSA PRIVATE KEY-----')) {
    return {
      ok: false,
      reason:
        'The key is PKCS#1 (BEGIN RSA PRIVATE KEY); paste the PKCS#8 key (BEGIN PRIVATE KEY) ' +
        'issued by the LINE WORKS Developer Console',
    };
  }
  if (!isPkcs8Pem(pem)) {
    return { ok: false, reason: 'Expected a PKCS#8 PEM starting with -----BEGIN PRIVATE KEY-----' };
  }
  try {
    const key = await importPKCS8(normalizePem(pem), 'RS256');
    // A test signature also enforces jose's 2048-bit minimum for RS256.
    await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).sign(key);
    return { ok: true };
  } catch {
    return {
      ok: false,
      reason: 'The private key is not an RSA key usable for RS256 (2048 bits or more)',
    };
  }
}

export interface LineWorksTokenRequest {
  /** LINE_WORKS_AUTH_BASE, e.g. `https://auth.worksmobile.com`. */
  authBase: string;
  clientId: string;
  clientSecret: string;
  serviceAccount: string;
  privateKeyPem: string;
  /** e.g. `['bot']`, `['calendar']`, `['bot', 'bot.read']`. */
  scopes: string[];
  timeoutMs: number;
  /** Milliseconds since the epoch; defaults to `Date.now()`. */
  now?: number;
}

/**
 * Issues a service-account access token (JWT bearer grant). Token caching and single-flight
 * refresh belong to the caller (TokenVault). https://developers.worksmobile.com/jp/docs/auth-jwt
 */
export async function fetchLineWorksToken(
  request: LineWorksTokenRequest,
): Promise<LineWorksTokenResult> {
  let assertion: string;
  try {
    assertion = await signServiceAccountJwt(request);
  } catch {
    return {
      ok: false,
      retryable: false,
      reason: 'LINE WORKS private key could not sign the assertion (expected a PKCS#8 RSA key)',
    };
  }
  const secrets = [request.clientSecret, assertion];
  // The scope list is space-separated (unconfirmed in the docs; it is OAuth 2.0's rule).
  const form = new URLSearchParams({
    assertion,
    grant_type: JWT_BEARER,
    client_id: request.clientId,
    client_secret: request.clientSecret,
    scope: request.scopes.join(' '),
  });
  const outcome = await fetchWithTimeout(
    `${trimSlash(request.authBase)}/oauth2/v2.0/token`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    },
    request.timeoutMs,
  );
  if (!outcome.ok) {
    return {
      ok: false,
      retryable: true,
      reason: describeNetworkFailure('LINE WORKS token', outcome.failure),
    };
  }
  const { response } = outcome;
  const now = request.now ?? Date.now();
  if (response.ok) {
    const body = (await readJson(response)) as LineWorksTokenResponse | undefined;
    if (!body || typeof body.access_token !== 'string' || body.access_token === '') {
      return {
        ok: false,
        retryable: true,
        reason: 'LINE WORKS token: response had no access_token',
      };
    }
    const ttl = Number(body.expires_in);
    const seconds = Number.isFinite(ttl) && ttl > 0 ? ttl : DEFAULT_TOKEN_TTL_SECONDS;
    return {
      ok: true,
      accessToken: body.access_token,
      expiresAt: now + seconds * 1000,
      scope: typeof body.scope === 'string' ? body.scope : request.scopes.join(' '),
    };
  }
  const error = await readErrorBody(response);
  const retryable = isRetryableStatus(response.status);
  const detail = [error.code, error.description].filter(Boolean).join(': ');
  return {
    ok: false,
    retryable,
    status: response.status,
    reason: redact(
      `LINE WORKS token endpoint answered ${response.status}${detail ? ` (${detail})` : ''}` +
        (retryable ? '' : '; check Client ID, Client Secret, Service Account, key and scopes'),
      secrets,
    ),
  };
}

/** Trims what admins paste around a PEM and tolerates CRLF or escaped `\n` line breaks. */
function normalizePem(pem: string): string {
  return pem.replace(/\\n/g, '\n').replace(/\r\n?/g, '\n').trim();
}

function trimSlash(base: string): string {
  return base.replace(/\/+$/, '');
}
