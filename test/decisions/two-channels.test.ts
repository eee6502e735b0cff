// Integration: one member gets the same approval request on Slack and on LINE and answers in
// both; one decision per (event, member) holds across channels (DECISIONS.md, "Once"): the first
// click is the decision and reaches WORKPLACE once, the second is answered where it was made.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { formatDecidedAt } from '../../src/adapters/messages.ts';
import { toGlobalId } from '../../src/domain/ids.ts';
import { fake } from '../helpers.ts';
import { addLine, linePostback, lineRequests } from './chat-helpers.ts';
import {
  auditActions,
  buttonValues,
  decisionRows,
  emitWithActions,
  eventually,
  postedMessage,
  slackClick,
  slackSetup,
} from './slack-helpers.ts';

describe('one member, two channels', () => {
  it('APPROVE on Slack, then REJECT on LINE: one decision, one webhook, LINE told "already answered"', async () => {
    const s = await slackSetup(1);
    // Member 0 is EN in pipeline.setup().
    const member = s.members[0] as string;
    const line = { tenant: s.tenant, ...(await addLine(s, member)) };
    const documentId = `WF-${crypto.randomUUID()}`;
    const event = await emitWithActions(s, [member], { documentId });
    const posted = await postedMessage(s, event.id, 0);
    const pushes = await eventually(
      () => lineRequests('/v2/bot/message/push', line.lineUserId),
      (r) => r.length > 0,
    );
    expect(pushes).toHaveLength(1);
    const reject = pushes[0].json.messages[0].contents.footer.contents[1].action.data as string;
    expect(reject).toMatch(/\.J\./);

    const approved = await slackClick(s, {
      user: s.memberIds[0] as string,
      actionId: 'decision_approve',
      value: buttonValues(posted.blocks).decision_approve as string,
      channel: posted.channel,
      ts: posted.ts,
    });
    expect(approved.status).toBe(200);
    const [first, ...others] = await decisionRows(s.tenant);
    expect(others).toEqual([]);
    expect(first).toMatchObject({
      delivery_id: posted.deliveryId,
      action: 'APPROVE',
      channel: 'SLACK',
    });

    expect((await linePostback(line, line.lineUserId, reject)).status).toBe(200);
    const after = await decisionRows(s.tenant);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({
      id: first?.id,
      delivery_id: posted.deliveryId,
      action: 'APPROVE',
      channel: 'SLACK',
      comment: null,
      decided_at: first?.decided_at,
    });
    // The LINE click is answered in LINE, by its reply token, with what was decided and when.
    const replies = await eventually(
      () => lineRequests('/v2/bot/message/reply', line.channelToken),
      (r) => r.length > 0,
    );
    expect(replies.map((r: any) => r.json.messages)).toEqual([
      [
        {
          type: 'text',
          text: `You already answered "Approve" at ${formatDecidedAt(first?.decided_at)}.`,
        },
      ],
    ]);

    // WORKPLACE hears the Slack APPROVE, and only that: no second webhook comes.
    const rows = await eventually(
      () => decisionRows(s.tenant),
      (r) => r[0]?.status === 'ACCEPTED',
    );
    expect(rows.map((r) => [r.id, r.status])).toEqual([[first?.id, 'ACCEPTED']]);
    const received = await eventually(
      () => fake(env.WORKPLACE_WEBHOOK_URL, `/__fake/requests?contains=${documentId}`),
      (r) => r.length > 1,
      3_000,
    );
    expect(received).toHaveLength(1);
    expect(received[0].status).toBe(200);
    const decisionId = toGlobalId('Decision', first?.id);
    expect(received[0].headers['webhook-id']).toBe(decisionId);
    expect(received[0].json.data).toMatchObject({
      decisionId,
      documentId,
      userId: member,
      action: 'APPROVE',
      channel: 'SLACK',
    });

    // Nothing else: the verdict shows on the Slack message only; LINE got the request and the
    // one reply, Slack no ephemeral; no refusal was audited.
    const edited = await eventually(
      () => fake(env.SLACK_API_BASE, `/__fake/message?channel=${posted.channel}&ts=${posted.ts}`),
      (m) => JSON.stringify(m.blocks).includes('WORKPLACE accepted'),
    );
    expect(JSON.stringify(edited.blocks)).toContain('WORKPLACE accepted your \\"Approve\\".');
    expect(await lineRequests('/v2/bot/message/push', line.lineUserId)).toHaveLength(1);
    expect(await lineRequests('/v2/bot/message/reply', line.channelToken)).toHaveLength(1);
    expect(
      await fake(
        env.SLACK_API_BASE,
        `/__fake/requests?path=chat.postEphemeral&contains=${posted.channel}`,
      ),
    ).toEqual([]);
    expect(await auditActions(s.tenant, 'decision.refused')).toEqual([]);
  });
});
