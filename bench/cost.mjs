#!/usr/bin/env node
/**
 * What one delivery costs on Cloudflare, measured on local workerd (issue 13 §3):
 *
 *   npm run bench:cost                    # 1,000 Slack members, first contact and repeat
 *   npm run bench:cost -- --members 500
 *
 * Starts its own stack (provider fakes + `wrangler dev` with `D1_METER=rows`, fresh state),
 * emits one event to N Slack members twice (cold: conversations.open + post; warm: post only),
 * and sums what D1 reported (statements, rows read, rows written: the emit's Server-Timing plus
 * every consumer `queue part` log line), the queue operations (one write per message sent or
 * re-queued, one read per message handed to the consumer, one delete per ack), the Durable
 * Object calls, and the CPU time of each process (/proc). Prints the measurement and the price
 * of a million deliveries at the list prices below. A watchdog ends everything after 15 minutes.
 */
import { parseArgs } from 'node:util';
import { cpuDelta } from './cpu.mjs';
import {
  benchStack,
  partsSince,
  progress,
  slackLimitsHigh,
  table,
  tenantWithMembers,
} from './lib.mjs';

const { values: opts } = parseArgs({
  options: { members: { type: 'string', default: '1000' } },
});
const n = Number(opts.members);

/**
 * Workers Paid list prices (USD, beyond the monthly inclusions), 2026:
 * https://developers.cloudflare.com/workers/platform/pricing/ ,
 * https://developers.cloudflare.com/d1/platform/pricing/ ,
 * https://developers.cloudflare.com/queues/platform/pricing/ ,
 * https://developers.cloudflare.com/durable-objects/platform/pricing/
 */
export const PRICES = {
  workerRequest: 0.3 / 1e6,
  cpuMs: 0.02 / 1e6,
  d1RowRead: 0.001 / 1e6,
  d1RowWritten: 1.0 / 1e6,
  queueOperation: 0.4 / 1e6,
  objectRequest: 0.15 / 1e6,
};

const { stack, gql, cpu, stop } = await benchStack({
  persistTo: '.wrangler/bench-cost',
  vars: { D1_METER: 'rows' },
  watchdog: { label: 'cost bench', minutes: 15 },
});

/** Emits one APPROVAL_REQUESTED event; returns its id and the D1 rows of the emit request. */
async function emit(t, recipients, key) {
  const res = await fetch(`${stack.base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${t.service}` },
    body: JSON.stringify({
      query: `mutation ($k: String!, $r: [String!]!) { emitWorkflowEvent(input: { idempotencyKey: $k,
        type: APPROVAL_REQUESTED, documentId: "C-1", title: "Cost", url: "https://workplace.example/c/1",
        recipients: $r }) { event { id } errors { message } } }`,
      variables: { k: key, r: recipients },
    }),
  });
  const body = await res.json();
  const out = body.data?.emitWorkflowEvent;
  if (!out || out.errors.length) throw new Error(JSON.stringify(body));
  const timing = res.headers.get('server-timing') ?? '';
  const num = (re) => Number(timing.match(re)?.[1] ?? 0);
  return {
    eventId: out.event.id,
    d1: {
      statements: num(/(\d+) statements/),
      rowsRead: num(/(\d+) rows read/),
      rowsWritten: num(/(\d+) rows written/),
    },
  };
}

/** Waits (polling every 500 ms, to keep the poller's own work small) until all are terminal. */
async function settle(t, eventId, label) {
  for (;;) {
    const { workflowEvent } = await gql(
      t.admin,
      'query ($id: ID!) { workflowEvent(id: $id) { summary { sent failed skipped } } }',
      { id: eventId },
    );
    const s = workflowEvent.summary;
    progress(`  ${label}: ${s.sent + s.failed + s.skipped}/${n} terminal`);
    if (s.sent + s.failed + s.skipped >= n) return s;
    await new Promise((r) => setTimeout(r, 500));
  }
}

const sum = (rows, key) => rows.reduce((total, r) => total + (r[key] ?? 0), 0);
const per = (value) => (value / n).toFixed(2);
const dollars = (value) => `$${value.toFixed(2)}`;

try {
  await slackLimitsHigh(stack.fakes.slackApiBase);
  const t = await tenantWithMembers(stack, gql, n, { tag: 'cost' });
  const measured = [];
  const priced = [];
  for (const round of ['cold', 'warm']) {
    const offset = stack.output().length;
    const before = cpu.snapshot();
    const started = performance.now();
    const { eventId, d1: emitD1 } = await emit(t, t.ids, `cost-${round}-${Date.now()}`);
    const s = await settle(t, eventId, round);
    const seconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 1500)); // the last part's log line
    const spent = cpuDelta(before, cpu.snapshot());
    const parts = partsSince(stack, offset);
    const statements = emitD1.statements + sum(parts, 'statements');
    const rowsRead = emitD1.rowsRead + sum(parts, 'rowsRead');
    const rowsWritten = emitD1.rowsWritten + sum(parts, 'rowsWritten');
    const queueWrites = n + sum(parts, 'requeued');
    const queueReads = sum(parts, 'messages');
    const queueDeletes = sum(parts, 'acked');
    const queueOps = queueWrites + queueReads + queueDeletes;
    const objectCalls = sum(parts, 'objectCalls');
    const invocations = 1 + parts.length; // the emit request + one consumer invocation per part
    const label = round === 'cold' ? 'first contact (open + post)' : 'repeat (post only)';
    measured.push([
      label,
      `${s.sent}/${n}`,
      seconds.toFixed(2),
      parts.length,
      per(statements),
      `${per(rowsRead)} (emit ${per(emitD1.rowsRead)})`,
      `${per(rowsWritten)} (emit ${per(emitD1.rowsWritten)})`,
      `${per(queueOps)} (${per(queueWrites)} w, ${per(queueReads)} r, ${per(queueDeletes)} d)`,
      per(objectCalls),
      per(spent.workerd),
      `${Math.round(spent.wrangler)} / ${Math.round(spent.fakes)} / ${Math.round(spent.bench)}`,
      parts.length ? (sum(parts, 'ms') / parts.length).toFixed(0) : '-',
    ]);
    const million = 1e6 / n;
    const cost = {
      requests: invocations * million * PRICES.workerRequest,
      cpu: spent.workerd * million * PRICES.cpuMs,
      read: rowsRead * million * PRICES.d1RowRead,
      written: rowsWritten * million * PRICES.d1RowWritten,
      queue: queueOps * million * PRICES.queueOperation,
      objects: objectCalls * million * PRICES.objectRequest,
    };
    const total = Object.values(cost).reduce((a, b) => a + b, 0);
    priced.push([
      label,
      dollars(cost.requests),
      dollars(cost.cpu),
      dollars(cost.read),
      dollars(cost.written),
      dollars(cost.queue),
      dollars(cost.objects),
      `**${dollars(total)}**`,
    ]);
  }
  progress('');
  table(
    `What a delivery costs: one event to ${n} Slack members, measured on local workerd (D1_METER=rows)`,
    [
      'round',
      'sent',
      'until all terminal (s)',
      'consumer parts',
      'D1 statements / delivery',
      'D1 rows read / delivery',
      'D1 rows written / delivery',
      'queue ops / delivery',
      'DO calls / delivery',
      'workerd CPU ms / delivery',
      'CPU ms: wrangler / fakes / bench',
      'ms per part (wall)',
    ],
    measured,
  );
  table(
    'Price of 1,000,000 such deliveries (Workers Paid list prices beyond the inclusions; DO duration and storage not included)',
    ['round', 'requests', 'CPU', 'D1 read', 'D1 written', 'Queues', 'DO requests', 'total'],
    priced,
  );
} finally {
  stop();
}
