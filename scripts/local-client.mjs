/** What the local scripts (npm start, npm run token, bench/) share: dev secrets, tokens, GraphQL. */
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

/** A GraphQL caller for a running Renkei at `base`; throws on any GraphQL error. */
export function graphqlClient(base) {
  return async function gql(bearer, query, variables = {}) {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await res.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
}
