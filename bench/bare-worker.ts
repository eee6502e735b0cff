/**
 * The floor: a Worker that does nothing but the provider HTTP calls Renkei makes for a Slack
 * DM (conversations.open, chat.postMessage with the same rendered payload), no D1.
 * - POST / {slackApiBase, token, members?, channels?} → {ms, sent}: the calls in this request,
 *   no queue. `members` are opened then posted to (a first DM); `channels` are DM ids already
 *   known (posted to only).
 * - POST /queued, the same body → {ms, sent}: one queue message per member or channel, sent as
 *   Renkei's emit sends them (batches of 100, all at once); the consumer makes each batch's
 *   calls at once, as Renkei's does, and the answer comes when the last batch is done. What this
 *   adds to the calls is what wrangler dev's local queue costs, with no work of Renkei's in it.
 */
import { DurableObject } from 'cloudflare:workers';
import { renderSlackMessage } from '../src/adapters/slack/index.ts';

interface Run {
  slackApiBase: string;
  token: string;
  members?: string[];
  channels?: string[];
}

/** One queued call: a first DM (`member`) or a post to a known DM channel (`channel`). */
interface BareMessage {
  run: string;
  slackApiBase: string;
  token: string;
  member?: string;
  channel?: string;
}

interface BareEnv {
  BARE_QUEUE: Queue<BareMessage>;
  TALLY: DurableObjectNamespace<Tally>;
}

const message = renderSlackMessage({
  type: 'APPROVAL_REQUESTED',
  locale: 'JA',
  documentId: 'B-1',
  title: 'Bench',
  url: 'https://workplace.example/b/1',
});

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

/** A first DM (open, then post) or a post to a known channel; true when the post was accepted. */
async function dm(slackApiBase: string, token: string, to: { member?: string; channel?: string }) {
  let channel = to.channel;
  if (to.member !== undefined) {
    const open = await post(`${slackApiBase}/conversations.open`, token, { users: to.member });
    channel = open.channel?.id;
  }
  const r = await post(`${slackApiBase}/chat.postMessage`, token, { channel, ...message });
  return r.ok;
}

/** Counts one /queued run's calls as its consumer batches finish; answers when all are done. */
export class Tally extends DurableObject {
  #done = 0;
  #sent = 0;
  #waiting: { total: number; resolve: (sent: number) => void }[] = [];

  add(done: number, sent: number) {
    this.#done += done;
    this.#sent += sent;
    this.#waiting = this.#waiting.filter((w) => {
      if (this.#done < w.total) return true;
      w.resolve(this.#sent);
      return false;
    });
  }

  until(total: number): Promise<number> {
    if (this.#done >= total) return Promise.resolve(this.#sent);
    return new Promise((resolve) => this.#waiting.push({ total, resolve }));
  }
}

export default {
  async fetch(request: Request, env: BareEnv): Promise<Response> {
    const run = (await request.json()) as Run;
    const started = Date.now();
    const targets = [
      ...(run.members ?? []).map((member) => ({ member })),
      ...(run.channels ?? []).map((channel) => ({ channel })),
    ];
    if (new URL(request.url).pathname === '/queued') {
      const id = crypto.randomUUID();
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < targets.length; i += 100) {
        sends.push(
          env.BARE_QUEUE.sendBatch(
            targets.slice(i, i + 100).map((t) => ({
              body: { run: id, slackApiBase: run.slackApiBase, token: run.token, ...t },
            })),
          ),
        );
      }
      await Promise.all(sends);
      const sent = targets.length === 0 ? 0 : await env.TALLY.getByName(id).until(targets.length);
      return Response.json({ ms: Date.now() - started, sent });
    }
    const results = await Promise.all(targets.map((t) => dm(run.slackApiBase, run.token, t)));
    return Response.json({ ms: Date.now() - started, sent: results.filter(Boolean).length });
  },

  async queue(batch: MessageBatch<BareMessage>, env: BareEnv): Promise<void> {
    const byRun = new Map<string, BareMessage[]>();
    for (const m of batch.messages)
      byRun.set(m.body.run, [...(byRun.get(m.body.run) ?? []), m.body]);
    for (const [id, bodies] of byRun) {
      const results = await Promise.all(bodies.map((b) => dm(b.slackApiBase, b.token, b)));
      await env.TALLY.getByName(id).add(bodies.length, results.filter(Boolean).length);
    }
  },
};
