#!/usr/bin/env node
/**
 * Fan-out: one event to N Slack members through a running `npm start` (wrangler dev + demo
 * fakes). Prints wall time until every delivery is terminal. Usage: node bench/fanout-slack.mjs [N]
 */
import { graphqlClient, mintToken, readDevVars } from '../scripts/local-client.mjs';

const N = Number(process.argv[2] ?? 1000);
const BASE = process.env.RENKEI_URL ?? 'http://localhost:8787';
const tenant = `bench-${Date.now()}`;
const { AUTH_JWT_SECRET: secret } = readDevVars();
const admin = await mintToken({ secret, role: 'admin', sub: 'bench-admin', tenant });
const service = await mintToken({ secret, role: 'service', sub: 'bench', tenant });

const gql = graphqlClient(BASE);

const ids = Array.from({ length: N }, (_, i) => `b${i}`);
for (let i = 0; i < N; i += 1000) {
  await gql(
    service,
    'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { message } } }',
    {
      u: ids.slice(i, i + 1000).map((userId) => ({ userId })),
    },
  );
}
await gql(
  admin,
  'mutation { configureSlack(input: { enabled: true, botToken: "xoxb-demo-renkei" }) { errors { message } } }',
);
await gql(
  admin,
  'mutation { setNotificationRules(rules: [{ type: APPROVAL_REQUESTED, channel: SLACK, enabled: true }]) { errors { message } } }',
);
process.stderr.write(`binding ${N} members…\n`);
for (let i = 0; i < N; i += 50) {
  await Promise.all(
    ids.slice(i, i + 50).map(async (userId, j) => {
      const t = await mintToken({ secret, role: 'user', sub: userId, tenant });
      await gql(
        t,
        'mutation ($m: String) { updateMyBindings(input: { slackMemberId: $m }) { errors { message } } }',
        {
          m: `UB${String(i + j).padStart(6, '0')}`,
        },
      );
    }),
  );
}
const started = performance.now();
const { emitWorkflowEvent: out } = await gql(
  service,
  `mutation ($r: [String!]!) { emitWorkflowEvent(input: { idempotencyKey: "bench", type: APPROVAL_REQUESTED,
    documentId: "B-1", title: "Bench", url: "https://workplace.example/b/1", recipients: $r }) { event { id } errors { message } } }`,
  { r: ids },
);
const emitted = performance.now();
let summary;
for (;;) {
  ({
    workflowEvent: { summary },
  } = await gql(
    admin,
    'query ($id: ID!) { workflowEvent(id: $id) { summary { queued sending retrying sent failed skipped } } }',
    { id: out.event.id },
  ));
  process.stderr.write(`\r${JSON.stringify(summary)}   `);
  if (summary.sent + summary.failed + summary.skipped >= N) break;
  await new Promise((r) => setTimeout(r, 250));
}
const done = performance.now();
console.log(`\n| recipients | emit (ms) | until all terminal (s) | deliveries/s | sent | failed |`);
console.log(`|---|---|---|---|---|---|`);
console.log(
  `| ${N} | ${(emitted - started).toFixed(0)} | ${((done - started) / 1000).toFixed(2)} | ${(N / ((done - started) / 1000)).toFixed(0)} | ${summary.sent} | ${summary.failed} |`,
);
