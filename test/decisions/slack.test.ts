// Integration: decision buttons on Slack, signed clicks through exports.default.fetch(), the
// rules (recipient, team, first wins, closed), the comment modal and chat.update feedback, with
// the Slack fake signing what Slack would send.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../src/domain/ids.ts';
import { fake, gql, tenantD1 } from '../helpers.ts';
import {
  auditActions,
  buttonValues,
  decisionRows,
  emitWithActions,
  eventually,
  postedMessage,
  SIGNING_SECRET,
  slackClick,
  slackSetup,
  slackSubmit,
} from './slack-helpers.ts';

const VALUE = /^rk1\.[0-9a-f]{32}\.[AJR]\.[A-Za-z0-9_-]{22}$/;

async function ephemerals(channel: string) {
  return fake(env.SLACK_API_BASE, `/__fake/requests?path=chat.postEphemeral&contains=${channel}`);
}

async function message(channel: string, ts: string) {
  return fake(env.SLACK_API_BASE, `/__fake/message?channel=${channel}&ts=${ts}`);
}

describe('decisions on Slack', () => {
  it('renders 承認 / 却下 / 差し戻し buttons and records an APPROVE click once', async () => {
    const s = await slackSetup(2);
    const event = await emitWithActions(s, [s.members[1] as string]);
    expect(event.actions).toEqual(['APPROVE', 'REJECT', 'RETURN']);
    expect(event.open).toBe(true);
    const posted = await postedMessage(s, event.id, 1);
    const actions = posted.blocks.find((b) => b.type === 'actions');
    expect(actions.elements).toEqual([
      {
        type: 'button',
        text: { type: 'plain_text', text: '承認', emoji: true },
        action_id: 'decision_approve',
        value: expect.stringMatching(VALUE),
        style: 'primary',
      },
      {
        type: 'button',
        text: { type: 'plain_text', text: '却下', emoji: true },
        action_id: 'decision_reject',
        value: expect.stringMatching(VALUE),
        style: 'danger',
      },
      {
        type: 'button',
        text: { type: 'plain_text', text: '差し戻し', emoji: true },
        action_id: 'decision_return',
        value: expect.stringMatching(VALUE),
      },
      {
        type: 'button',
        text: { type: 'plain_text', text: '文書を開く', emoji: true },
        url: 'https://workplace.example/wf/0042',
        action_id: 'open_document',
      },
    ]);
    const values = buttonValues(posted.blocks);
    expect(values.decision_approve).toContain(posted.deliveryId);

    const click = {
      user: s.memberIds[1] as string,
      actionId: 'decision_approve',
      value: values.decision_approve as string,
      channel: posted.channel,
      ts: posted.ts,
    };
    const res = await slackClick(s, click);
    expect(res.status).toBe(200);
    const rows = await decisionRows(s.tenant);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      event_id: fromGlobalId(event.id)?.rowId,
      delivery_id: posted.deliveryId,
      action: 'APPROVE',
      channel: 'SLACK',
      comment: null,
    });

    // The message loses its buttons and says the decision was received.
    const edited = await eventually(
      () => message(posted.channel, posted.ts),
      (m) => m.edits > 0,
    );
    expect(edited.edits).toBeGreaterThan(0);
    expect(JSON.stringify(edited.blocks)).not.toContain('decision_approve');
    expect(JSON.stringify(edited.blocks)).toMatch(
      /「承認」を受け付けました|「承認」が WORKPLACE に反映されました/,
    );

    // The same button again, another button, a replay of the very same request: no new row.
    expect((await slackClick(s, click)).status).toBe(200);
    const again = await slackClick(s, {
      ...click,
      actionId: 'decision_reject',
      value: values.decision_reject as string,
    });
    expect(again.status).toBe(200);
    expect(await decisionRows(s.tenant)).toHaveLength(1);
    const told = await eventually(
      () => ephemerals(posted.channel),
      (r) => r.length >= 1,
    );
    expect(told[0].json).toMatchObject({
      channel: posted.channel,
      user: s.memberIds[1],
      text: expect.stringContaining('回答済み'),
    });
  });

  it('refuses forged and foreign clicks with nothing recorded; the member can still decide', async () => {
    const s = await slackSetup(2);
    const event = await emitWithActions(s, [s.members[1] as string]);
    const posted = await postedMessage(s, event.id, 1);
    const values = buttonValues(posted.blocks);
    const click = {
      user: s.memberIds[1] as string,
      actionId: 'decision_approve',
      value: values.decision_approve as string,
      channel: posted.channel,
      ts: posted.ts,
    };
    // Unsigned, wrongly signed, stale, unknown tenant: 401 before anything is read.
    const unsigned = await env.DB.prepare('select 1').first();
    expect(unsigned).toBeTruthy();
    const { exports } = await import('cloudflare:workers');
    const bare = await exports.default.fetch(
      `https://renkei.test/slack/interactivity/${s.tenant}`,
      { method: 'POST', body: 'payload=%7B%7D' },
    );
    expect(bare.status).toBe(401);
    expect((await slackClick(s, click, { secret: 'not-the-secret' })).status).toBe(401);
    expect(
      (await slackClick(s, click, { timestamp: Math.floor(Date.now() / 1000) - 301 })).status,
    ).toBe(401);
    expect((await slackClick(s, click, { tenant: 'no-such-tenant' })).status).toBe(401);
    // Signed but not an interaction payload: 400, never 5xx.
    expect((await slackClick(s, click, { rawBody: 'payload=not-json' })).status).toBe(400);
    expect((await slackClick(s, click, { rawBody: '\u00ff\u0000' })).status).toBe(400);
    // Another member, another workspace, a tampered value, a value under another action_id.
    expect((await slackClick(s, { ...click, user: s.memberIds[0] as string })).status).toBe(200);
    expect((await slackClick(s, { ...click, team: 'T0OTHER' })).status).toBe(200);
    const tampered = `${click.value.slice(0, -2)}${click.value.endsWith('AA') ? 'AB' : 'AA'}`;
    expect((await slackClick(s, { ...click, value: tampered })).status).toBe(200);
    expect(
      (await slackClick(s, { ...click, value: values.decision_reject as string })).status,
    ).toBe(200);
    expect((await decisionRows(s.tenant)).map((r) => r.action)).toEqual([]);
    // The two clicks by the wrong person are audited; altered values name no button at all.
    const refused = await auditActions(s.tenant, 'decision.refused');
    expect(refused.map((r) => JSON.parse(r.detail).reason)).toEqual([
      'the clicking user is not the recipient',
      'the clicking user is not the recipient',
    ]);
    const told = await eventually(
      () => ephemerals(posted.channel),
      (r) => r.length >= 4,
    );
    expect(told.map((r: any) => r.json.text)).toContain(
      'この申請に回答できるのは宛先の方だけです。',
    );

    // The member's own click still works.
    expect((await slackClick(s, click)).status).toBe(200);
    expect(await decisionRows(s.tenant)).toHaveLength(1);
  });

  it('REJECT opens the comment modal; the submission records the decision with the comment', async () => {
    const s = await slackSetup(1);
    const event = await emitWithActions(s, [s.members[0] as string]);
    const posted = await postedMessage(s, event.id, 0);
    const values = buttonValues(posted.blocks);
    const res = await slackClick(s, {
      user: s.memberIds[0] as string,
      actionId: 'decision_reject',
      value: values.decision_reject as string,
      channel: posted.channel,
      ts: posted.ts,
    });
    expect(res.status).toBe(200);
    expect(await decisionRows(s.tenant)).toEqual([]);
    const opened = await fake(
      env.SLACK_API_BASE,
      `/__fake/requests?path=views.open&contains=${values.decision_reject}`,
    );
    expect(opened).toHaveLength(1);
    expect(opened[0].status).toBe(200);
    // Member 0 is EN in pipeline.setup().
    expect(opened[0].json.view).toMatchObject({
      type: 'modal',
      callback_id: 'renkei_decision_comment',
      private_metadata: values.decision_reject,
      title: { type: 'plain_text', text: 'Reject: Comment' },
      blocks: [
        {
          type: 'input',
          block_id: 'comment',
          optional: true,
          element: { type: 'plain_text_input', action_id: 'comment', multiline: true },
        },
      ],
    });
    const submitted = await slackSubmit(
      s,
      s.memberIds[0] as string,
      '金額の根拠を添付してください',
    );
    expect(submitted.status).toBe(200);
    expect(await submitted.text()).toBe('');
    const rows = await decisionRows(s.tenant);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'REJECT', comment: '金額の根拠を添付してください' });
    // A second submission (double submit) is refused in the modal, nothing new recorded.
    const twice = await slackSubmit(s, s.memberIds[0] as string, 'again');
    expect(await twice.json()).toMatchObject({
      response_action: 'errors',
      errors: { comment: expect.stringContaining('You already answered "Reject"') },
    });
    expect(await decisionRows(s.tenant)).toHaveLength(1);
  });

  it('a later event for the document closes the earlier one: buttons removed, clicks "closed"', async () => {
    const s = await slackSetup(1);
    const first = await emitWithActions(s, [s.members[0] as string]);
    const posted = await postedMessage(s, first.id, 0);
    const values = buttonValues(posted.blocks);
    await emitWithActions(s, [s.members[0] as string], { type: 'WITHDRAWN', actions: [] });
    const r = await gql(
      'query ($id: ID!) { workflowEvent(id: $id) { open actions } }',
      { id: first.id },
      s.admin,
    );
    expect(r.data?.workflowEvent).toEqual({
      open: false,
      actions: ['APPROVE', 'REJECT', 'RETURN'],
    });
    const edited = await eventually(
      () => message(posted.channel, posted.ts),
      (m) => m.edits > 0,
    );
    expect(JSON.stringify(edited.blocks)).not.toContain('decision_');
    expect(JSON.stringify(edited.blocks)).toContain('This request is already closed.');
    const res = await slackClick(s, {
      user: s.memberIds[0] as string,
      actionId: 'decision_approve',
      value: values.decision_approve as string,
      channel: posted.channel,
      ts: posted.ts,
    });
    expect(res.status).toBe(200);
    expect(await decisionRows(s.tenant)).toEqual([]);
    const told = await eventually(
      () => ephemerals(posted.channel),
      (x) => x.length > 0,
    );
    expect(told[0].json.text).toBe('This request is already closed.');
  });

  it('a request and its withdrawal recorded in the same millisecond leave nothing open', async () => {
    const s = await slackSetup(1);
    const first = await emitWithActions(s, [s.members[0] as string]);
    const withdrawn = await emitWithActions(s, [s.members[0] as string], {
      type: 'WITHDRAWN',
      actions: [],
    });
    // Arrived together: one clock reading for both.
    const d1 = await tenantD1(s.tenant);
    await d1
      .prepare(
        'update workflow_events set created_at = (select created_at from workflow_events where id = ?) where id = ?',
      )
      .bind(fromGlobalId(first.id)?.rowId, fromGlobalId(withdrawn.id)?.rowId)
      .run();
    const open = async (id: string) =>
      (await gql('query ($id: ID!) { workflowEvent(id: $id) { open } }', { id }, s.admin)).data
        ?.workflowEvent.open;
    expect(await open(first.id)).toBe(false);
  });

  it('offers no buttons without a signing secret; interactivityUrl and the secret are shown safely', async () => {
    const s = await slackSetup(1);
    const r = await gql(
      '{ integrations { slack { interactivityUrl signingSecret { configured hint } } } }',
      {},
      s.admin,
    );
    expect(r.data?.integrations.slack).toEqual({
      interactivityUrl: `https://renkei.test/slack/interactivity/${s.tenant}`,
      signingSecret: { configured: true, hint: SIGNING_SECRET.slice(-4) },
    });
    await gql(
      'mutation { configureSlack(input: { enabled: true, signingSecret: "" }) { errors { code } } }',
      {},
      s.admin,
    );
    const event = await emitWithActions(s, [s.members[0] as string]);
    const posted = await postedMessage(s, event.id, 0);
    expect(buttonValues(posted.blocks)).toEqual({});
  });
});
