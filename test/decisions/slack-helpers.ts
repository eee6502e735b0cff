/** Decision tests on Slack: a tenant with a signing secret and a verified team, clicks. */
import { env, exports } from 'cloudflare:workers';
import { expect } from 'vitest';
import { fromGlobalId } from '../../src/domain/ids.ts';
import { fake, gql, tenantD1 } from '../helpers.ts';
import { type Setup, setup, waitFor } from '../pipeline.ts';

export const SIGNING_SECRET = 'slack-signing-secret-0123456789abcdef';

export interface SlackDecisionSetup extends Setup {
  teamId: string;
  memberIds: string[];
}

/** pipeline.setup() plus the signing secret and verifyIntegration (which learns the team id). */
export async function slackSetup(memberCount = 2): Promise<SlackDecisionSetup> {
  const s = await setup(memberCount);
  const saved = await gql(
    `mutation ($s: String) { configureSlack(input: { enabled: true, signingSecret: $s }) {
      errors { code message } } }`,
    { s: SIGNING_SECRET },
    s.admin,
  );
  expect(saved.data?.configureSlack.errors).toEqual([]);
  const verified = await gql('mutation { verifyIntegration(kind: SLACK) { ok } }', {}, s.admin);
  expect(verified.data?.verifyIntegration.ok).toBe(true);
  const memberIds = s.members.map(
    (_m, i) => `U${s.tenant.replace(/[^a-z0-9]/gi, '').toUpperCase()}${i}`,
  );
  return { ...s, teamId: `T${s.tenant}`, memberIds };
}

export async function emitWithActions(
  s: Setup,
  recipients: string[],
  input: Record<string, unknown> = {},
) {
  const r = await gql(
    `mutation ($input: WorkflowEventInput!) { emitWorkflowEvent(input: $input) {
      event { id actions open } errors { code message } } }`,
    {
      input: {
        idempotencyKey: crypto.randomUUID(),
        type: 'APPROVAL_REQUESTED',
        documentId: 'WF-2026-0042',
        title: '出張申請 (大阪)',
        url: 'https://workplace.example/wf/0042',
        actorName: '山田 太郎',
        recipients,
        actions: ['APPROVE', 'REJECT', 'RETURN'],
        ...input,
      },
    },
    s.service,
  );
  expect(r.data?.emitWorkflowEvent.errors).toEqual([]);
  return r.data?.emitWorkflowEvent.event as { id: string; actions: string[]; open: boolean };
}

/** The Slack message a member got for an event, as posted (channel, ts, blocks). */
export async function postedMessage(s: Setup, eventId: string, memberIndex: number) {
  await waitFor(s, eventId, (e) => e.summary.sent >= 1 && e.summary.queued === 0);
  const d1 = await tenantD1(s.tenant);
  const row = await d1
    .prepare(
      `select d.id, d.message_channel as channel, d.message_ts as ts from deliveries d
       join users u on u.id = d.user_row_id
       where d.tenant_id = ? and d.event_id = ? and d.channel = 'SLACK' and u.user_id = ?`,
    )
    .bind(s.tenant, fromGlobalId(eventId)?.rowId ?? eventId, s.members[memberIndex])
    .first<{ id: string; channel: string; ts: string }>();
  if (!row?.ts) {
    const all = await d1
      .prepare('select * from deliveries where tenant_id = ?')
      .bind(s.tenant)
      .all();
    throw new Error(`no Slack message recorded: ${JSON.stringify(all.results)}`);
  }
  const posted = await fake(
    env.SLACK_API_BASE,
    `/__fake/message?channel=${row.channel}&ts=${row.ts}`,
  );
  return {
    ...row,
    deliveryId: row.id,
    blocks: posted.blocks as any[],
    text: posted.text as string,
  };
}

/** The decision buttons of a posted message: action_id → value. */
export function buttonValues(blocks: any[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const b of blocks) {
    if (b.type !== 'actions') continue;
    for (const e of b.elements) if (e.value) out[e.action_id] = e.value;
  }
  return out;
}

/** A click as Slack sends it (signed by the fake), through the Worker's fetch. */
export async function slackClick(
  s: SlackDecisionSetup,
  click: {
    user: string;
    team?: string;
    actionId: string;
    value: string;
    channel: string;
    ts: string;
  },
  options: { secret?: string; timestamp?: number; tenant?: string; rawBody?: string } = {},
) {
  const signed = await fake(env.SLACK_API_BASE, '/__fake/interaction', {
    signingSecret: options.secret ?? SIGNING_SECRET,
    user: click.user,
    team: click.team ?? s.teamId,
    click: { actionId: click.actionId, value: click.value, channel: click.channel, ts: click.ts },
    ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
    ...(options.rawBody !== undefined ? { rawBody: options.rawBody } : {}),
  });
  return exports.default.fetch(
    `https://renkei.test/slack/interactivity/${options.tenant ?? s.tenant}`,
    { method: 'POST', headers: signed.headers, body: signed.body },
  );
}

/** The modal submitted as Slack sends it (the last view the fake opened for the user). */
export async function slackSubmit(s: SlackDecisionSetup, user: string, comment: string | null) {
  const signed = await fake(env.SLACK_API_BASE, '/__fake/interaction', {
    signingSecret: SIGNING_SECRET,
    user,
    team: s.teamId,
    submit: { comment },
  });
  return exports.default.fetch(`https://renkei.test/slack/interactivity/${s.tenant}`, {
    method: 'POST',
    headers: signed.headers,
    body: signed.body,
  });
}

export async function decisionRows(tenant: string) {
  const d1 = await tenantD1(tenant);
  const { results } = await d1
    .prepare('select * from decisions where tenant_id = ? order by decided_at')
    .bind(tenant)
    .all<Record<string, any>>();
  return results;
}

export async function auditActions(tenant: string, action: string) {
  const d1 = await tenantD1(tenant);
  const { results } = await d1
    .prepare('select * from audit_log where tenant_id = ? and action = ?')
    .bind(tenant, action)
    .all<Record<string, any>>();
  return results;
}

/** Polls `read` until `done` holds or `ms` pass. */
export async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 15_000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 150));
  }
}
