#!/usr/bin/env node
/**
 * Builds the Worker's static assets (wrangler.toml [assets] → dist/assets): Renkei's own files
 * from public/ plus GraphiQL's prebuilt bundle, styles and editor workers copied from the
 * installed @graphql-yoga/graphiql package, so GET /graphql needs no CDN. Runs on `npm install`
 * (prepare) and before `wrangler dev` / `wrangler deploy` ([build] in wrangler.toml); does
 * nothing when the output is already current.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PUBLIC_DIR = path.join(ROOT, 'public');
export const ASSETS_DIR = path.join(ROOT, 'dist', 'assets');
// Outside the assets directory, so it is not served.
const STAMP_FILE = path.join(ROOT, 'dist', 'assets.stamp.json');

/** GraphiQL files the page loads, relative to the package's dist/ and to /graphiql/. */
const GRAPHIQL_FILES = [
  'yoga-graphiql.umd.js',
  'graphiql.css',
  'monacoeditorwork/editor.worker.bundle.js',
  'monacoeditorwork/json.worker.bundle.js',
  'monacoeditorwork/graphql.worker..bundle.js',
  'LICENSE',
];

function graphiqlPackage() {
  const require = createRequire(path.join(ROOT, 'package.json'));
  let manifest;
  try {
    manifest = require.resolve('@graphql-yoga/graphiql/package.json');
  } catch {
    throw new Error('GraphiQL is missing: run `npm install` (dev dependencies included) first');
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
  return { dir: path.dirname(manifest), version };
}

/** Every file under `dir` with its size and modification time, for the up-to-date check. */
function listing(dir) {
  return readdirSync(dir, { recursive: true })
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile())
    .map((file) => `${path.relative(dir, file)}:${statSync(file).size}:${statSync(file).mtimeMs}`)
    .sort();
}

/** Copies public/ and GraphiQL into dist/assets unless the stamp says they are current. */
export function buildAssets({ quiet = false } = {}) {
  const pkg = graphiqlPackage();
  const stamp = JSON.stringify({ graphiql: pkg.version, public: listing(PUBLIC_DIR) });
  if (
    existsSync(ASSETS_DIR) &&
    existsSync(STAMP_FILE) &&
    readFileSync(STAMP_FILE, 'utf8') === stamp
  ) {
    return ASSETS_DIR;
  }
  rmSync(ASSETS_DIR, { recursive: true, force: true });
  cpSync(PUBLIC_DIR, ASSETS_DIR, { recursive: true });
  for (const file of GRAPHIQL_FILES) {
    const from = path.join(pkg.dir, file === 'LICENSE' ? file : path.join('dist', file));
    if (!existsSync(from)) throw new Error(`@graphql-yoga/graphiql ${pkg.version} has no ${file}`);
    const to = path.join(ASSETS_DIR, 'graphiql', file === 'LICENSE' ? 'LICENSE.txt' : file);
    mkdirSync(path.dirname(to), { recursive: true });
    cpSync(from, to);
  }
  writeFileSync(STAMP_FILE, stamp);
  if (!quiet) {
    process.stderr.write(
      `built ${path.relative(ROOT, ASSETS_DIR)}/ (GraphiQL ${pkg.version} from @graphql-yoga/graphiql)\n`,
    );
  }
  return ASSETS_DIR;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildAssets({ quiet: process.argv.includes('--quiet') });
}
