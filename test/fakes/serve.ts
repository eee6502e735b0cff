/**
 * Starts every provider fake and keeps them running until SIGINT / SIGTERM (used by the local
 * demo `npm start` and by benchmarks).
 *
 *   node test/fakes/serve.ts [--port-base N] [--host 127.0.0.1] [--no-seed]
 *
 * stdout: exactly one JSON line with the FakeBases, e.g.
 *   {"slackApiBase":"http://127.0.0.1:4101/api","googleChatOrigin":"http://127.0.0.1:4102",...}
 * With --port-base N the servers listen on N..N+6 in the order slackApiBase, googleChatOrigin,
 * lineApiBase, lineAccessBase, lineWorksAuthBase, lineWorksApiBase, workplaceWebhookUrl;
 * otherwise on ephemeral ports. The line also carries `workplaceWebhookSecret`, the secret the
 * fake WORKPLACE verifies decision webhooks with (WORKPLACE_WEBHOOK_SECRET for Renkei).
 *
 * The fakes are pre-seeded with the demo credentials of `demoSeed` (./index.ts) — Slack token
 * `xoxb-demo-renkei`, LINE channel token `line-demo-channel-token`, LINE Login channel
 * `1650000000` / `demo-login-secret`, LINE WORKS app `demo-client-id` / `demo-client-secret` —
 * and `POST /__fake/reset` returns to that seeded state.
 *
 * LINE WORKS key pair: the app's RSA private key (PKCS#8 PEM) is kept in
 * `.wrangler/demo-line-works-key.pem` under the repo root; it is generated on first start and
 * reused afterwards, and its path is printed on stderr. Paste it as the integration's
 * "Private Key" in the demo (or read the file from a demo script).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { demoSeed, demoState, FAKE_WORKPLACE_SECRET, type FakeBases, startFakes } from './index.ts';

const { values } = parseArgs({
  options: {
    'port-base': { type: 'string' },
    host: { type: 'string' },
    'no-seed': { type: 'boolean' },
  },
});

function demoKeyPair(): { privateKeyPem: string; publicKeyPem: string; file: string } {
  const file = path.resolve(import.meta.dirname, '../..', demoSeed.lineWorks.privateKeyPath);
  if (existsSync(file)) {
    try {
      const privateKeyPem = readFileSync(file, 'utf8');
      const publicKeyPem = createPublicKey(createPrivateKey(privateKeyPem))
        .export({ type: 'spki', format: 'pem' })
        .toString();
      return { privateKeyPem, publicKeyPem, file };
    } catch {
      // unreadable: generate a new one below
    }
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, privateKeyPem, { mode: 0o600 });
  return { privateKeyPem, publicKeyPem, file };
}

const portBase = values['port-base'] ? Number(values['port-base']) : undefined;
if (portBase !== undefined && !(Number.isInteger(portBase) && portBase > 0 && portBase < 65530)) {
  process.stderr.write(`invalid --port-base ${values['port-base']}\n`);
  process.exit(2);
}
const order: (keyof FakeBases)[] = [
  'slackApiBase',
  'googleChatOrigin',
  'lineApiBase',
  'lineAccessBase',
  'lineWorksAuthBase',
  'lineWorksApiBase',
  'workplaceWebhookUrl',
];
const ports =
  portBase === undefined ? {} : Object.fromEntries(order.map((k, i) => [k, portBase + i]));

const key = values['no-seed'] ? undefined : demoKeyPair();
const fakes = await startFakes({
  host: values.host ?? '127.0.0.1',
  ports,
  seed: key ? demoState(key.publicKeyPem) : {},
});
if (key) {
  process.stderr.write(
    `[fakes] demo LINE WORKS private key (PKCS#8) for ${demoSeed.lineWorks.clientId}: ${key.file}\n`,
  );
}
process.stdout.write(
  `${JSON.stringify({ ...fakes.bases, workplaceWebhookSecret: FAKE_WORKPLACE_SECRET })}\n`,
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 2000).unref();
  await fakes.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
