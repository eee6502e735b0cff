/**
 * The floor of the fan-out: a bare Worker (bench/bare-worker.ts, its own `wrangler dev`) making
 * only the Slack calls Renkei makes for N DMs, against the same fake. `run(rep)` measures one
 * repetition — cold (conversations.open + chat.postMessage to members never seen) and warm
 * (posts to DM channels opened beforehand) — each as ten invocations of 100, all at once and one
 * after another; the floor is the faster of the two. The DM channels are also what Apprise
 * posts to (the baselines).
 */
import { spawnWrangler } from '../scripts/local-stack.mjs';
import { pool } from './lib.mjs';

const BARE_PORT = 8789;
const TOKEN = 'xoxb-demo-renkei';

export async function startFloor(slackBase, n) {
  // DM channel ids opened beforehand, as Renkei's warm path has them cached.
  const channels = await pool(
    Array.from({ length: n }, (_, i) => `UAPP${String(i).padStart(6, '0')}`),
    16,
    async (u) => {
      const r = await fetch(`${slackBase}/conversations.open`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json; charset=utf-8',
        },
        body: JSON.stringify({ users: u }),
      });
      return (await r.json()).channel.id;
    },
  );
  const bare = spawnWrangler(
    [
      '--config',
      'bench/bare-wrangler.toml',
      '--port',
      String(BARE_PORT),
      '--ip',
      '127.0.0.1',
      '--persist-to',
      '.wrangler/bench-bare',
    ],
    { quiet: true },
  );
  const call = (body, path = '/') =>
    fetch(`http://127.0.0.1:${BARE_PORT}${path}`, {
      method: 'POST',
      body: JSON.stringify({ slackApiBase: slackBase, token: TOKEN, ...body }),
    }).then((r) => r.json());
  try {
    for (let i = 0; ; i++) {
      try {
        await call({ members: [] });
        break;
      } catch (err) {
        if (i >= 240) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } catch (err) {
    bare.stop();
    throw err;
  }

  /**
   * One repetition: { cold, warm } seconds (the faster of the two direct ways each), the same
   * calls through the bare worker's local queue ({ coldQueued, warmQueued }, not part of the
   * floor), and a table row per way.
   */
  async function run(rep) {
    const members = Array.from(
      { length: n },
      (_, i) => `UBARE${rep}X${String(i).padStart(6, '0')}`,
    );
    const parts = n / 100;
    const out = { rows: [] };
    // Ten invocations of 100, as Queues would hand Renkei's consumer ten batches: all at once
    // (production Queues runs consumer invocations concurrently), or one after another (what
    // wrangler dev's local queue does: it hands a consumer its next batch when the last ends).
    for (const [label, key, body] of [
      ['cold: open + post', 'cold', (k) => ({ members: members.slice(k * 100, k * 100 + 100) })],
      [
        'warm: post to known DM',
        'warm',
        (k) => ({ channels: channels.slice(k * 100, k * 100 + 100) }),
      ],
    ]) {
      // All N calls from the bare worker's queue consumer: one request sends them as queue
      // messages and is answered when the consumer's last batch is done.
      const started = performance.now();
      const queued = await call(key === 'cold' ? { members } : { channels }, '/queued');
      const queuedSeconds = (performance.now() - started) / 1000;
      out[`${key}Queued`] = queuedSeconds;
      out.rows.push([
        `bare worker, ${label}, through its local queue (${parts} batches of 100)`,
        queued.sent,
        queuedSeconds.toFixed(2),
        Math.round(queued.sent / queuedSeconds),
      ]);
      for (const concurrent of [true, false]) {
        const started = performance.now();
        let sent = 0;
        if (concurrent) {
          const runs = await Promise.all(Array.from({ length: parts }, (_, k) => call(body(k))));
          sent = runs.reduce((a, r) => a + r.sent, 0);
        } else {
          for (let k = 0; k < parts; k++) sent += (await call(body(k))).sent;
        }
        const seconds = (performance.now() - started) / 1000;
        out[key] = Math.min(out[key] ?? Number.POSITIVE_INFINITY, seconds);
        out.rows.push([
          `bare worker, ${label}, ${parts} × 100 ${concurrent ? 'concurrently' : 'one after another'}`,
          sent,
          seconds.toFixed(2),
          Math.round(sent / seconds),
        ]);
      }
    }
    return out;
  }

  return { channels, run, stop: () => bare.stop() };
}
