/**
 * Caller identity: `Authorization: Bearer <JWT>` verified with jose, algorithm pinned
 * (ARCHITECTURE.md, "Auth"). HS256 with AUTH_JWT_SECRET, or RS256/ES256 from AUTH_JWKS_URL.
 */
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';

export type Role = 'admin' | 'user' | 'service';

export interface Principal {
  tenantId: string;
  /** `sub`: the WORKPLACE user id, or the service's name. */
  subject: string;
  role: Role;
}

export interface AuthConfig {
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
  AUTH_JWT_SECRET?: string;
  AUTH_JWKS_URL?: string;
}

/** Why a token was refused; safe to show the caller (never echoes the token). */
export class AuthError extends Error {
  override name = 'AuthError';
}

const ROLES: readonly Role[] = ['admin', 'user', 'service'];
const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/** Verifies the bearer token of an Authorization header value and returns its principal. */
export async function authenticate(
  config: AuthConfig,
  authorization: string | null | undefined,
): Promise<Principal> {
  if (!authorization) throw new AuthError('Missing Authorization: Bearer token');
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match?.[1]) throw new AuthError('Authorization header must be "Bearer <token>"');
  const token = match[1];
  const options = {
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    requiredClaims: ['exp', 'sub'],
  };
  let payload: JWTPayload;
  try {
    if (config.AUTH_JWKS_URL) {
      let jwks = jwksCache.get(config.AUTH_JWKS_URL);
      if (!jwks) {
        jwks = createRemoteJWKSet(new URL(config.AUTH_JWKS_URL));
        jwksCache.set(config.AUTH_JWKS_URL, jwks);
      }
      ({ payload } = await jwtVerify(token, jwks, { ...options, algorithms: ['RS256', 'ES256'] }));
    } else {
      if (!config.AUTH_JWT_SECRET) throw new AuthError('Authentication is not configured');
      const key = new TextEncoder().encode(config.AUTH_JWT_SECRET);
      ({ payload } = await jwtVerify(token, key, { ...options, algorithms: ['HS256'] }));
    }
  } catch (err) {
    if (err instanceof AuthError) throw err;
    throw new AuthError(describeJoseError(err));
  }
  const tenant = payload.tenant;
  const role = payload.role;
  // An empty subject would read as "no member" wherever a member's own rows are narrowed.
  if (typeof payload.sub !== 'string' || payload.sub.trim() === '') {
    throw new AuthError('Token has no subject (sub)');
  }
  if (typeof tenant !== 'string' || tenant === '') throw new AuthError('Token has no tenant claim');
  if (typeof role !== 'string' || !ROLES.includes(role as Role)) {
    throw new AuthError('Token role must be admin, user or service');
  }
  return { tenantId: tenant, subject: payload.sub, role: role as Role };
}

function describeJoseError(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'Token expired';
  if (err instanceof errors.JWTClaimValidationFailed)
    return `Token claim "${err.claim}" is invalid`;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'Token algorithm not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'Token signature is invalid';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid)
    return 'Token is malformed';
  return 'Token could not be verified';
}
