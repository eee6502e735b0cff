#!/usr/bin/env node
/**
 * Mints a Renkei bearer token the way WORKPLACE would, signed with AUTH_JWT_SECRET from
 * .dev.vars. Usage: npm run token -- <admin|user|service> [sub] [tenant]
 */
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';

/** Reads KEY=value lines of a .dev.vars file. */
export function readDevVars(path = '.dev.vars') {
  const vars = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
  }
  return vars;
}

/** An HS256 token with the claims ARCHITECTURE.md requires, valid for `hours`. */
export async function mintToken({
  secret,
  role,
  sub,
  tenant,
  issuer = 'workplace',
  audience = 'renkei',
  hours = 12,
}) {
  return new SignJWT({ tenant, role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${hours}h`)
    .sign(new TextEncoder().encode(secret));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [role = 'admin', sub = role === 'service' ? 'workplace' : `${role}-1`, tenant = 'demo'] =
    process.argv.slice(2);
  if (!['admin', 'user', 'service'].includes(role)) {
    console.error('usage: npm run token -- <admin|user|service> [sub] [tenant]');
    process.exit(2);
  }
  const { AUTH_JWT_SECRET } = readDevVars();
  console.log(await mintToken({ secret: AUTH_JWT_SECRET, role, sub, tenant }));
}
