/**
 * The floor: a Worker that does nothing but the provider HTTP calls Renkei makes for a Slack
 * DM (conversations.open, chat.postMessage with the same rendered payload), no D1, no queue.
 * POST / {slackApiBase, token, members?, channels?} → {ms, sent}: `members` are opened then
 * posted to (a first DM); `channels` are DM ids already known (posted to only).
 */
import { renderSlackMessage } from '../src/adapters/slack/index.ts';

interface Run {
  slackApiBase: string;
  token: string;
  members?: string[];
  channels?: string[];
}

async function post(url: string, token: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json; charset=utf-8',
    },
    body: JSON.stringify(body),
  });
  return (await res.json()) as { ok: boolean; channel?: { id: string } };
}

export default {
  async fetch(request: Request): Promise<Response> {
    const run = (await request.json()) as Run;
    const started = Date.now();
    const message = renderSlackMessage({
      type: 'APPROVAL_REQUESTED',
      locale: 'JA',
      documentId: 'B-1',
      title: 'Bench',
      url: 'https://workplace.example/b/1',
    });
    let sent = 0;
    const postTo = async (channel: string | undefined) => {
      const r = await post(`${run.slackApiBase}/chat.postMessage`, run.token, {
        channel,
        ...message,
      });
      if (r.ok) sent++;
    };
    await Promise.all([
      ...(run.members ?? []).map(async (memberId) => {
        const open = await post(`${run.slackApiBase}/conversations.open`, run.token, {
          users: memberId,
        });
        await postTo(open.channel?.id);
      }),
      ...(run.channels ?? []).map(postTo),
    ]);
    return Response.json({ ms: Date.now() - started, sent });
  },
};
