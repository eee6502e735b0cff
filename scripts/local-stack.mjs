/**
 * Starts a local Renkei: the provider fakes (test/fakes/serve.ts) and `wrangler dev` pointed at
 * them, with its own D1 state directory. Used by `npm start` and by bench/.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { graphqlClient, mintToken, readDevVars } from './local-client.mjs';

/** Writes .dev.vars with generated dev secrets when there is none; returns its values. */
export function ensureDevVars(path = '.dev.vars') {
  if (!existsSync(path)) {
    writeFileSync(
      path,
      `# Generated for local use only.\nAUTH_JWT_SECRET=${randomBytes(32).toString('base64url')}\nSECRETS_KEY=${randomBytes(32).toString('base64')}\n`,
    );
    process.stderr.write(`wrote ${path} with generated dev secrets\n`);
  }
  return readDevVars(path);
}

/** Starts the fakes; resolves with their base URLs and the child process. */
export function startFakes(portBase) {
  return new Promise((resolve, reject) => {
    const args = ['test/fakes/serve.ts', ...(portBase ? ['--port-base', String(portBase)] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('exit', (code) => reject(new Error(`provider fakes exited (${code})`)));
    createInterface({ input: child.stdout }).once('line', (line) =>
      resolve({ bases: JSON.parse(line), child }),
    );
  });
}

async function waitForHealth(base, child) {
  for (let i = 0; i < 480; i++) {
    if (child.exitCode !== null) throw new Error('wrangler dev exited');
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('wrangler dev did not become healthy');
}

/**
 * `wrangler dev` with `args`, in its own process group: `stop()` also ends the workerd it
 * starts (a plain SIGTERM to npx leaves workerd running). With `capture`, its output is kept
 * for `output()` instead of shown.
 */
export function spawnWrangler(args, { quiet = false, capture = false } = {}) {
  const child = spawn('npx', ['wrangler', 'dev', ...args], {
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : quiet ? 'ignore' : 'inherit',
    env: { ...process.env, CI: 'true' },
    detached: true,
  });
  let output = '';
  if (capture) {
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
  }
  const stop = () => {
    if (child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  };
  return { child, stop, output: () => output };
}

/**
 * The `database_name` of every `[[d1_databases]]` in wrangler.toml: the tenant shards, which all
 * get the same migrations (docs/sharding.md).
 */
export function d1Databases(config = readFileSync('wrangler.toml', 'utf8')) {
  return config
    .split(/^(?=\[)/m)
    .filter((section) => section.startsWith('[[d1_databases]]'))
    .map((section) => /^database_name\s*=\s*"([^"]+)"/m.exec(section)?.[1])
    .filter(Boolean);
}

/**
 * Applies the D1 migrations to every shard's state in `persistTo`, then starts `wrangler dev`
 * on 127.0.0.1:`port` with `vars` as --var pairs and waits until /healthz answers.
 */
export async function startWorker({
  port,
  persistTo,
  vars = {},
  quiet = false,
  capture = false,
  extraArgs = [],
}) {
  const persist = persistTo ? ['--persist-to', persistTo] : [];
  for (const database of d1Databases()) {
    const migrate = spawnSync(
      'npx',
      ['wrangler', 'd1', 'migrations', 'apply', database, '--local', ...persist],
      {
        stdio: quiet || capture ? 'pipe' : 'inherit',
        env: { ...process.env, CI: 'true' },
        encoding: 'utf8',
      },
    );
    if (migrate.status !== 0) {
      throw new Error(`applying D1 migrations to ${database} failed\n${migrate.stderr ?? ''}`);
    }
  }
  const dev = spawnWrangler(
    [
      '--port',
      String(port),
      '--ip',
      '127.0.0.1',
      ...persist,
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
      ...extraArgs,
    ],
    { quiet, capture },
  );
  try {
    await waitForHealth(`http://127.0.0.1:${port}`, dev.child);
  } catch (err) {
    dev.stop();
    if (capture) process.stderr.write(dev.output());
    throw err;
  }
  return dev;
}

/**
 * Starts fakes + wrangler dev on `port`. `persistTo` (a fresh directory when `fresh`) keeps
 * this stack's D1, queues and Durable Objects apart from others; `vars` are extra --var pairs;
 * with `capture`, the Worker's output is kept for `output()` instead of shown.
 */
export async function startStack({
  port = 8787,
  fakePortBase,
  persistTo,
  fresh = false,
  realProviders = false,
  vars = {},
  quiet = false,
  capture = false,
  /** More `wrangler dev` arguments (e.g. `--inspector-port` for bench/profile.mjs). */
  extraArgs = [],
} = {}) {
  const devVars = ensureDevVars();
  if (fresh && persistTo) rmSync(persistTo, { recursive: true, force: true });
  const base = `http://localhost:${port}`;
  const overrides = { PUBLIC_BASE_URL: base, ...vars };
  let fakes = null;
  let fakesChild = null;
  if (!realProviders) {
    const started = await startFakes(fakePortBase);
    fakesChild = started.child;
    fakes = started.bases;
    Object.assign(overrides, {
      SLACK_API_BASE: fakes.slackApiBase,
      GOOGLE_CHAT_WEBHOOK_ORIGIN: fakes.googleChatOrigin,
      LINE_API_BASE: fakes.lineApiBase,
      LINE_ACCESS_BASE: fakes.lineAccessBase,
      LINE_WORKS_AUTH_BASE: fakes.lineWorksAuthBase,
      LINE_WORKS_API_BASE: fakes.lineWorksApiBase,
      // The fake WORKPLACE receives members' decisions and verifies their signatures.
      WORKPLACE_WEBHOOK_URL: fakes.workplaceWebhookUrl,
      WORKPLACE_WEBHOOK_SECRET: fakes.workplaceWebhookSecret,
    });
  }
  const stopFakes = () => {
    if (fakesChild && fakesChild.exitCode === null) fakesChild.kill('SIGTERM');
  };
  let dev;
  try {
    dev = await startWorker({ port, persistTo, vars: overrides, quiet, capture, extraArgs });
  } catch (err) {
    stopFakes();
    throw err;
  }
  const stop = () => {
    dev.stop();
    stopFakes();
  };
  return {
    base,
    fakes,
    devVars,
    wrangler: dev.child,
    fakesPid: fakesChild?.pid ?? null,
    output: () => dev.output(),
    stop,
  };
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway Renkei for a test script: `wrangler dev` on a free port with its own temporary
 * state and freshly generated secrets, `PUBLIC_BASE_URL` set to itself, plus `vars`; `gql` calls
 * it, `token(role, sub)` mints a token for `tenant`. `stop()` ends it and removes the state.
 */
export async function startScratchWorker({ label, vars = {}, tenant = 'scratch' }) {
  const state = mkdtempSync(path.join(tmpdir(), `renkei-${label}-`));
  const removeState = () => rmSync(state, { recursive: true, force: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const secrets = {
    AUTH_JWT_SECRET: randomBytes(32).toString('base64url'),
    SECRETS_KEY: randomBytes(32).toString('base64'),
  };
  let dev;
  try {
    dev = await startWorker({
      port,
      persistTo: state,
      vars: { ...secrets, PUBLIC_BASE_URL: base, ...vars },
      capture: true,
    });
  } catch (err) {
    removeState();
    throw err;
  }
  return {
    base,
    secrets,
    gql: graphqlClient(base),
    token: (role, sub) => mintToken({ secret: secrets.AUTH_JWT_SECRET, role, sub, tenant }),
    output: () => dev.output(),
    stop() {
      dev.stop();
      removeState();
    },
  };
}
