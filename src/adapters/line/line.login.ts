import { errors, jwtVerify } from 'jose';
import { bytesToBase64Url } from '../../lib/base64.ts';
import { fetchWithTimeout, readJson } from '../http.ts';
import { lineFailure, noResponse } from './line.errors.ts';
import type {
  LineFriendshipResult,
  LineIdTokenResult,
  LineLoginTokenResult,
} from './line.types.ts';

const DEFAULT_TIMEOUT_MS = 10_000;
const ID_TOKEN_ISSUER = 'https://access.line.me';
/** 64 random bytes → an 86-character verifier (RFC 7636 allows 43–128). */
const VERIFIER_BYTES = 64;

export interface AuthorizeUrlInput {
  /** LINE_ACCESS_BASE, e.g. `https://access.line.me`. */
  accessBase: string;
  /** The LINE Login channel id. */
  channelId: string;
  redirectUri: string;
  state: string;
  nonce: string;
  codeChallenge: string;
}

/**
 * The LINE Login authorize URL: `scope=profile%20openid`, `bot_prompt=aggressive` (offers the
 * linked official account as a friend) and PKCE S256.
 * https://developers.line.biz/en/docs/line-login/integrate-line-login/
 */
export function buildAuthorizeUrl(input: AuthorizeUrlInput): string {
  // Built by hand: URLSearchParams would encode the scope's space as `+`.
  const params: [string, string][] = [
    ['response_type', 'code'],
    ['client_id', input.channelId],
    ['redirect_uri', input.redirectUri],
    ['state', input.state],
    ['scope', 'profile openid'],
    ['nonce', input.nonce],
    ['bot_prompt', 'aggressive'],
    ['code_challenge', input.codeChallenge],
    ['code_challenge_method', 'S256'],
  ];
  const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return `${input.accessBase.replace(/\/+$/, '')}/oauth2/v2.1/authorize?${query}`;
}

/**
 * A PKCE pair: a random verifier of unreserved characters and its S256 challenge,
 * base64url(SHA-256(verifier)). https://developers.line.biz/en/docs/line-login/integrate-pkce/
 */
export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = bytesToBase64Url(crypto.getRandomValues(new Uint8Array(VERIFIER_BYTES)));
  return { verifier, challenge: await pkceChallenge(verifier) };
}

/** base64url(SHA-256(verifier)) without padding. */
export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return bytesToBase64Url(new Uint8Array(digest));
}

export interface ExchangeLoginCodeRequest {
  /** LINE_API_BASE, e.g. `https://api.line.me`. */
  apiBase: string;
  code: string;
  redirectUri: string;
  channelId: string;
  channelSecret: string;
  codeVerifier: string;
  timeoutMs?: number;
  /** Milliseconds since the epoch; defaults to `Date.now()`. */
  now?: number;
}

/**
 * Exchanges the callback's `code` for tokens: `POST /oauth2/v2.1/token`
 * `grant_type=authorization_code` with the PKCE verifier.
 * https://developers.line.biz/en/reference/line-login/#issue-access-token
 */
export async function exchangeLoginCode(
  request: ExchangeLoginCodeRequest,
): Promise<LineLoginTokenResult> {
  const what = 'LINE Login token';
  const outcome = await fetchWithTimeout(
    `${request.apiBase.replace(/\/+$/, '')}/oauth2/v2.1/token`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: request.code,
        redirect_uri: request.redirectUri,
        client_id: request.channelId,
        client_secret: request.channelSecret,
        code_verifier: request.codeVerifier,
      }).toString(),
    },
    request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
  if (!outcome.ok) return noResponse(what, outcome.failure);
  const { response } = outcome;
  if (!response.ok) return lineFailure(response, what);
  const body = (await readJson(response)) as Record<string, unknown> | undefined;
  if (!body || typeof body.access_token !== 'string' || typeof body.id_token !== 'string') {
    return {
      ok: false,
      status: response.status,
      retryable: false,
      reason: `${what}: response lacks access_token or id_token (is openid in the scope?)`,
    };
  }
  const ttl = Number(body.expires_in);
  return {
    ok: true,
    accessToken: body.access_token,
    idToken: body.id_token,
    expiresAt: (request.now ?? Date.now()) + (Number.isFinite(ttl) && ttl > 0 ? ttl : 0) * 1000,
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    ...(typeof body.scope === 'string' ? { scope: body.scope } : {}),
  };
}

export interface VerifyLineIdTokenInput {
  idToken: string;
  /** The LINE Login channel id (the token's `aud`). */
  channelId: string;
  /** The LINE Login channel secret (the HS256 key). */
  channelSecret: string;
  /** The nonce stored with the login state. */
  nonce: string;
  /** Milliseconds since the epoch; defaults to now. */
  now?: number;
}

/**
 * Verifies a web-login ID token locally: HS256 only, signed with the channel secret,
 * `iss` = `https://access.line.me`, `aud` = channel id, `exp`, and `nonce`.
 * https://developers.line.biz/en/docs/line-login/verify-id-token/
 */
export async function verifyLineIdToken(input: VerifyLineIdTokenInput): Promise<LineIdTokenResult> {
  try {
    const { payload } = await jwtVerify(
      input.idToken,
      new TextEncoder().encode(input.channelSecret),
      {
        algorithms: ['HS256'],
        issuer: ID_TOKEN_ISSUER,
        audience: input.channelId,
        requiredClaims: ['exp', 'sub'],
        ...(input.now !== undefined ? { currentDate: new Date(input.now) } : {}),
      },
    );
    if (payload.nonce !== input.nonce) return { ok: false, reason: 'ID token nonce mismatch' };
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      return { ok: false, reason: 'ID token has no subject' };
    }
    return {
      ok: true,
      lineUserId: payload.sub,
      displayName: typeof payload.name === 'string' ? payload.name : null,
    };
  } catch (error) {
    return { ok: false, reason: `ID token rejected: ${idTokenError(error)}` };
  }
}

export interface FriendshipRequest {
  apiBase: string;
  /** The user's LINE Login access token. */
  accessToken: string;
  timeoutMs?: number;
}

/**
 * Whether the user has added the linked official account as a friend:
 * `GET /friendship/v1/status` → `friendFlag`.
 * https://developers.line.biz/en/reference/line-login/#get-friendship-status
 */
export async function getFriendship(request: FriendshipRequest): Promise<LineFriendshipResult> {
  const what = 'LINE friendship';
  const outcome = await fetchWithTimeout(
    `${request.apiBase.replace(/\/+$/, '')}/friendship/v1/status`,
    { headers: { authorization: `Bearer ${request.accessToken}` } },
    request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
  if (!outcome.ok) return noResponse(what, outcome.failure);
  const { response } = outcome;
  if (!response.ok) return lineFailure(response, what);
  const body = (await readJson(response)) as { friendFlag?: unknown } | undefined;
  if (typeof body?.friendFlag !== 'boolean') {
    return { ok: false, status: response.status, retryable: true, reason: `${what}: bad response` };
  }
  return { ok: true, friendFlag: body.friendFlag };
}

function idTokenError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} invalid`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed (HS256 only)';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature invalid';
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return 'malformed';
  return 'invalid';
}
