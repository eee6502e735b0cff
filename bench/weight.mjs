#!/usr/bin/env node
/**
 * `npm run bench:weight`: the Worker's bundle size and startup CPU next to graphql-yoga +
 * graphql alone (bench/yoga-only), each minified (as wrangler.toml deploys) and not.
 * Size: wrangler's own "Total Upload: … / gzip: …" line of `wrangler deploy --dry-run`.
 * Startup: `wrangler check startup` (workerd's startup CPU profile), its "Active" time over
 * `--runs` runs (default 5): the least and the median. Nothing is deployed. A watchdog kills the run after `--timeout`
 * seconds (default 900).
 *
 *   npm run bench:weight -- --runs 7
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('runs', 5);
const TIMEOUT_S = arg('timeout', 900);
const STEP_TIMEOUT_MS = 180_000;

const WORKERS = [
  { name: 'Renkei', config: 'wrangler.toml' },
  { name: 'graphql-yoga + graphql only', config: 'bench/yoga-only/wrangler.toml' },
];

const children = new Set();
const watchdog = setTimeout(() => {
  console.error(`bench:weight: watchdog after ${TIMEOUT_S} s, stopping`);
  for (const child of children) child.kill('SIGKILL');
  process.exit(2);
}, TIMEOUT_S * 1000);

/** Runs wrangler with `args`; resolves its combined output (rejects on failure or timeout). */
function wrangler(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['wrangler', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
    });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`wrangler ${args.join(' ')} exited ${code}:\n${out.slice(-2000)}`));
    });
  });
}

const kib = (out) => {
  const m = out.match(/(?:Total Upload|Bundle): ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
  if (!m) throw new Error(`no size in wrangler output:\n${out.slice(-1000)}`);
  return { raw: Number(m[1]), gzip: Number(m[2]) };
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => n.toFixed(1);

const dir = await mkdtemp(join(tmpdir(), 'renkei-weight-'));
const rows = [];
try {
  for (const worker of WORKERS) {
    for (const minify of [true, false]) {
      const flag = minify ? '--minify' : '--no-minify';
      const size = kib(
        await wrangler(['deploy', '--dry-run', '-c', worker.config, flag, '--outdir', dir]),
      );
      const active = [];
      const gc = [];
      for (let i = 0; i < RUNS; i++) {
        const out = await wrangler([
          'check',
          'startup',
          '-c',
          worker.config,
          `--args=${flag}`,
          '--outfile',
          join(dir, 'startup.cpuprofile'),
        ]);
        const m = out.match(/Active: ([\d.]+) ms \(including ([\d.]+) ms garbage collection\)/);
        if (!m) throw new Error(`no startup time in:\n${out.slice(-1000)}`);
        active.push(Number(m[1]));
        gc.push(Number(m[2]));
      }
      rows.push({ worker: worker.name, minify, ...size, active, gc });
      process.stderr.write(`measured ${worker.name} (${minify ? 'minified' : 'not minified'})\n`);
    }
  }
} finally {
  clearTimeout(watchdog);
  await rm(dir, { recursive: true, force: true });
}

// The least of the runs is the one least disturbed by other work on the machine.
console.log(
  `\n| worker | minified | bundle (KiB) | gzip (KiB) | startup CPU, least of ${RUNS} (ms) | median (ms) | GC in the median run (ms) | all runs (ms) |`,
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const mid = r.active.indexOf(median(r.active));
  console.log(
    `| ${r.worker} | ${r.minify ? 'yes' : 'no'} | ${fmt(r.raw)} | ${fmt(r.gzip)} | ${fmt(Math.min(...r.active))} | ${fmt(median(r.active))} | ${fmt(r.gc[mid])} | ${r.active.map(fmt).join(', ')} |`,
  );
}
