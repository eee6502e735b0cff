#!/usr/bin/env node
/**
 * `npm run test:dev`: documents that do not parse or validate, POSTed to a real `wrangler dev`
 * (its esbuild bundle and dev mode are what turned a syntax error into a 500 with a stack):
 * each must get a 4xx or a 200 with a coded GraphQL error, and nothing internal.
 */
import assert from 'node:assert/strict';
import { startScratchWorker } from '../../scripts/local-stack.mjs';

const LEAK = /originalError|stack|\bat [\w$.<>]+ \(|\.[jt]s:\d+|SQLITE|D1_ERROR/i;
const DOCUMENTS = [
  ['unterminated selection', '{ viewer { tenantId ', 'GRAPHQL_PARSE_FAILED'],
  ['stray brace', '{ viewer { tenantId } } }', 'GRAPHQL_PARSE_FAILED'],
  ['bad string', '{ node(id: "abc) { id } }', 'GRAPHQL_PARSE_FAILED'],
  ['over the token limit', `{ ${'viewer { role } '.repeat(7000)} }`, 'GRAPHQL_PARSE_FAILED'],
  ['unknown field', '{ nope }', 'GRAPHQL_VALIDATION_FAILED'],
  ['too deep', `{ ${'node(id: "x") { '.repeat(12)}id${' }'.repeat(12)} }`, 'QUERY_TOO_DEEP'],
];

async function main() {
  const dev = await startScratchWorker({ label: 'dev-errors' });
  const problems = [];
  try {
    for (const [name, query, code] of DOCUMENTS) {
      for (const accept of ['application/json', 'application/graphql-response+json']) {
        const res = await fetch(`${dev.base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept },
          body: JSON.stringify({ query }),
        });
        const text = await res.text();
        const got = JSON.parse(text).errors?.[0]?.extensions?.code;
        if (res.status >= 500 || LEAK.test(text) || got !== code) {
          problems.push(`${name} (${accept}): HTTP ${res.status} ${text.slice(0, 200)}`);
        }
      }
    }
  } finally {
    dev.stop();
  }
  assert.deepEqual(problems, []);
  process.stdout.write(`dev-server GraphQL errors: ${DOCUMENTS.length * 2} requests, all coded\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
