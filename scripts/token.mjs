#!/usr/bin/env node
/**
 * Mints a Renkei bearer token the way WORKPLACE would, signed with AUTH_JWT_SECRET from
 * .dev.vars. Usage: npm run token -- <admin|user|service> [sub] [tenant]
 */
import { mintToken, readDevVars } from './local-client.mjs';

const [role = 'admin', sub = role === 'service' ? 'workplace' : `${role}-1`, tenant = 'demo'] =
  process.argv.slice(2);
if (!['admin', 'user', 'service'].includes(role)) {
  console.error('usage: npm run token -- <admin|user|service> [sub] [tenant]');
  process.exit(2);
}
const { AUTH_JWT_SECRET } = readDevVars();
console.log(await mintToken({ secret: AUTH_JWT_SECRET, role, sub, tenant }));
