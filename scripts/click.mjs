#!/usr/bin/env node
/**
 * Clicks a decision button of the latest message in the local demo (`npm start`), the way the
 * platform would: the demo fakes build and sign the request (Slack signing secret, LINE channel
 * secret, LINE WORKS Bot Secret) and send it to Renkei.
 *
 *   node scripts/click.mjs slack approve|reject|return ["comment for the modal"]
 *   node scripts/click.mjs line  approve|reject|return
 *   node scripts/click.mjs line-works approve|reject|return
 *
 * Slack: REJECT / RETURN open the comment modal first (views.open); the script then submits it
 * with the comment, as the member would. Afterwards see the edited message in
 * GET http://127.0.0.1:8790/__fake/state (messages) and the decision in GraphiQL (`decisions`).
 */
const [platform = 'slack', action = 'approve', comment = ''] = process.argv.slice(2);
const base = process.env.RENKEI_URL ?? `http://localhost:${process.env.PORT ?? 8787}`;
const tenant = process.env.TENANT ?? 'demo';
const slackControl = process.env.SLACK_FAKE ?? 'http://127.0.0.1:8790';
const lineControl = process.env.LINE_FAKE ?? 'http://127.0.0.1:8792';
const lineWorksControl = process.env.LINE_WORKS_FAKE ?? 'http://127.0.0.1:8795';
const LETTER = { approve: 'A', reject: 'J', return: 'R' };
if (!LETTER[action] || !['slack', 'line', 'line-works'].includes(platform)) {
  console.error(
    'usage: node scripts/click.mjs slack|line|line-works approve|reject|return ["comment"]',
  );
  process.exit(2);
}
const post = async (url, body) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
};
const buttonOf = (values) => values.find((v) => v.split('.')[2] === LETTER[action]);

if (platform === 'slack') {
  const state = await (await fetch(`${slackControl}/__fake/state`)).json();
  // The newest posted message that still has decision buttons.
  const found = Object.entries(state.messages)
    .map(([key, m]) => {
      const [channel, ts] = key.split(':');
      const buttons = (m.blocks ?? [])
        .filter((b) => b.type === 'actions')
        .flatMap((b) => b.elements)
        .filter((e) => e.action_id?.startsWith('decision_'));
      return { channel, ts, buttons };
    })
    .filter((m) => m.buttons.length > 0)
    .sort((a, b) => Number(b.ts) - Number(a.ts))[0];
  if (!found)
    throw new Error(
      'no Slack message with decision buttons yet (emitWorkflowEvent with actions first)',
    );
  const button = found.buttons.find((e) => e.value === buttonOf(found.buttons.map((x) => x.value)));
  const who = state.channels[found.channel];
  const clicked = await post(`${slackControl}/__fake/interaction`, {
    signingSecret: process.env.SLACK_SIGNING_SECRET ?? 'demo-slack-signing-secret',
    url: `${base}/slack/interactivity/${encodeURIComponent(tenant)}`,
    user: who.user,
    team: who.team_id,
    click: {
      actionId: button.action_id,
      value: button.value,
      channel: found.channel,
      ts: found.ts,
    },
  });
  console.log(`clicked ${button.action_id} as ${who.user} → ${clicked.status}`);
  if (action !== 'approve') {
    await new Promise((r) => setTimeout(r, 300));
    const submitted = await post(`${slackControl}/__fake/interaction`, {
      signingSecret: process.env.SLACK_SIGNING_SECRET ?? 'demo-slack-signing-secret',
      url: `${base}/slack/interactivity/${encodeURIComponent(tenant)}`,
      user: who.user,
      team: who.team_id,
      submit: { comment },
    });
    console.log(`submitted the comment modal → ${submitted.status} ${submitted.body}`);
  }
} else if (platform === 'line-works') {
  // The newest bot message with decision buttons (button_template message actions).
  const state = await (await fetch(`${lineWorksControl}/__fake/state`)).json();
  const sent = (await (await fetch(`${lineWorksControl}/__fake/requests`)).json())
    .filter((r) => /^\/v1\.0\/bots\/[^/]+\/users\/[^/]+\/messages$/.test(r.path))
    .reverse()
    .map((r) => {
      const [, , , botId, , loginId] = r.path.split('/');
      const postbacks = (r.json?.content?.actions ?? [])
        .filter((a) => a.type === 'message' && a.postback)
        .map((a) => a.postback);
      return { botId, loginId: decodeURIComponent(loginId), postbacks };
    })
    .find((m) => m.postbacks.length > 0);
  if (!sent) throw new Error('no LINE WORKS bot message with decision buttons yet');
  // Callbacks name the clicker by their resource id, as LINE WORKS does.
  const [domainId, member] =
    Object.entries(state.directory ?? {})
      .map(([d, list]) => [
        d,
        list.find((u) => u.email === sent.loginId || u.userId === sent.loginId),
      ])
      .find(([, u]) => u) ?? [];
  if (!member) throw new Error(`${sent.loginId} is not in the LINE WORKS directory`);
  const clicked = await post(`${lineWorksControl}/__fake/callback`, {
    botSecret: process.env.LINE_WORKS_BOT_SECRET ?? 'demo-line-works-bot-secret',
    botId: sent.botId,
    userId: member.userId,
    domainId,
    postback: buttonOf(sent.postbacks),
    text: action,
    url: `${base}/line-works/callback/${encodeURIComponent(tenant)}`,
  });
  console.log(`clicked ${action} as ${sent.loginId} (${member.userId}) → ${clicked.status}`);
} else {
  const pushes = await (
    await fetch(`${lineControl}/__fake/requests?path=/v2/bot/message/push`)
  ).json();
  const latest = pushes
    .reverse()
    .map((p) => ({
      to: p.json?.to,
      data: (p.json?.messages?.[0]?.contents?.footer?.contents ?? [])
        .map((c) => c.action)
        .filter((a) => a?.type === 'postback')
        .map((a) => a.data),
    }))
    .find((p) => p.data.length > 0);
  if (!latest) throw new Error('no LINE push with decision buttons yet');
  const clicked = await post(`${lineControl}/__fake/postback`, {
    channelSecret: process.env.LINE_CHANNEL_SECRET ?? 'demo-messaging-secret',
    url: `${base}/line/webhook/${encodeURIComponent(tenant)}`,
    userId: latest.to,
    data: buttonOf(latest.data),
  });
  console.log(`tapped ${action} as ${latest.to} → ${clicked.status}`);
}
