// Integration, whole loop: a signed click → Decision → the WORKPLACE fake receives a signed
// webhook → ACCEPTED or REFUSED → the member sees it in the chat where they clicked (Slack:
// chat.update of the original message; LINE WORKS: a bot message).
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { fake, gql } from '../helpers.ts';
import {
  buttonValues,
  decisionRows,
  emitWithActions,
  eventually,
  postedMessage,
  slackClick,
  slackSetup,
} from './slack-helpers.ts';

const WORKPLACE = () => env.WORKPLACE_WEBHOOK_URL;

async function message(channel: string, ts: string) {
  return fake(env.SLACK_API_BASE, `/__fake/message?channel=${channel}&ts=${ts}`);
}

describe('click → WORKPLACE → chat', () => {
  it('APPROVE reaches WORKPLACE signed; ACCEPTED shows on the Slack message', async () => {
    const s = await slackSetup(1);
    const documentId = `WF-${crypto.randomUUID()}`;
    const event = await emitWithActions(s, [s.members[0] as string], { documentId });
    const posted = await postedMessage(s, event.id, 0);
    const values = buttonValues(posted.blocks);
    const res = await slackClick(s, {
      user: s.memberIds[0] as string,
      actionId: 'decision_approve',
      value: values.decision_approve as string,
      channel: posted.channel,
      ts: posted.ts,
    });
    expect(res.status).toBe(200);
    const received = await eventually(
      () => fake(WORKPLACE(), `/__fake/requests?contains=${documentId}`),
      (r) => r.some((x: any) => x.status === 200),
    );
    const ok = received.find((x: any) => x.status === 200);
    expect(ok.headers['webhook-signature']).toMatch(/^v1,/);
    expect(ok.json).toMatchObject({
      type: 'workflow.decision',
      data: { documentId, action: 'APPROVE', channel: 'SLACK', userId: s.members[0] },
    });
    const rows = await eventually(
      () => decisionRows(s.tenant),
      (r) => r[0]?.status === 'ACCEPTED',
    );
    expect(rows[0]?.status).toBe('ACCEPTED');
    // Member 0 is EN.
    const edited = await eventually(
      () => message(posted.channel, posted.ts),
      (m) => JSON.stringify(m.blocks).includes('WORKPLACE accepted'),
    );
    expect(JSON.stringify(edited.blocks)).toContain('WORKPLACE accepted your \\"Approve\\".');
    expect(JSON.stringify(edited.blocks)).not.toContain('decision_approve');
    const r = await gql(
      `query ($id: ID!) { workflowEvent(id: $id) { decisions { edges { node { action status channel } } } } }`,
      { id: event.id },
      s.admin,
    );
    expect(r.data?.workflowEvent.decisions.edges).toEqual([
      { node: { action: 'APPROVE', status: 'ACCEPTED', channel: 'SLACK' } },
    ]);
  });

  it("REFUSED carries WORKPLACE's reason to the Slack message", async () => {
    const s = await slackSetup(1);
    const documentId = `WF-${crypto.randomUUID()}`;
    await fake(WORKPLACE(), '/__fake/state', {
      closedDocuments: { [documentId]: 'already approved by 田中' },
    });
    const event = await emitWithActions(s, [s.members[0] as string], { documentId });
    const posted = await postedMessage(s, event.id, 0);
    const values = buttonValues(posted.blocks);
    await slackClick(s, {
      user: s.memberIds[0] as string,
      actionId: 'decision_approve',
      value: values.decision_approve as string,
      channel: posted.channel,
      ts: posted.ts,
    });
    const rows = await eventually(
      () => decisionRows(s.tenant),
      (r) => r[0]?.status === 'REFUSED',
    );
    expect(rows[0]).toMatchObject({ status: 'REFUSED', reason: 'already approved by 田中' });
    const edited = await eventually(
      () => message(posted.channel, posted.ts),
      (m) => JSON.stringify(m.blocks).includes('refused'),
    );
    expect(JSON.stringify(edited.blocks)).toContain(
      'WORKPLACE refused your \\"Approve\\": already approved by 田中',
    );
  });
});
