/// <reference types="node" />
/**
 * Shared machinery of the provider fakes: one `FakeProvider` (state, request log, scripted
 * responses, random faults, stats, accepted-message counters) served by one or more loopback HTTP
 * listeners (LINE and LINE WORKS each use two origins that share one provider state).
 *
 * Control API, at the root of every listener (never recorded):
 *   GET  /__fake/requests?path=&contains=&method=&since=   recorded provider requests, oldest first
 *   POST /__fake/reset                                      back to the state the fake started with
 *   GET  /__fake/state | POST /__fake/state (deep merge; ?replace=1 replaces the given top-level keys)
 *   POST /__fake/script  { match: { path?, contains?, method? }, responses: Scripted[] }
 *   POST /__fake/config  { latencyMs?, faultRate?, faults?, retryAfterSeconds?, seed? }
 *   GET  /__fake/stats | GET /__fake/accepted
 * plus provider-specific routes under /__fake/ (e.g. LINE's /__fake/reply-token).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultKind = '5xx' | '429' | 'hang' | 'reset' | 'acceptThenDrop';

export interface Scripted {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string;
  delayMs?: number;
  hang?: boolean;
  reset?: boolean;
  acceptThenDrop?: boolean;
}

export interface ScriptMatch {
  path?: string;
  contains?: string;
  method?: string;
}

export interface FakeConfig {
  latencyMs: number;
  faultRate: number;
  faults: FaultKind[];
  retryAfterSeconds: number;
  seed?: number;
}

/** A provider request as the handler sees it. */
export interface FakeRequest {
  /** Which listener of the provider received it ('api', 'access', 'auth', ...). */
  listener: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  bodyBytes: number;
  json?: unknown;
  /** True when the body was sent as JSON but could not be parsed. */
  badJson?: boolean;
  form?: Record<string, string>;
}

export interface RecordedRequest {
  seq: number;
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  json?: unknown;
  form?: Record<string, string>;
  /** Status the fake answered; 0 while pending or when it never answered (hang, reset). */
  status: number;
  /** Set when a scripted or random fault was applied. */
  fault?: FaultKind | 'scripted';
  /** True when the socket was destroyed instead of sending the response. */
  dropped?: boolean;
  /** When the answer was ready (ms since epoch); unset while pending or never answered. */
  answeredAt?: number;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string;
}

export interface AcceptedEntry {
  key: string;
  count: number;
  /** The idempotency key of the latest accepted message (LINE: X-Line-Retry-Key). */
  idempotencyKey?: string;
  /** All distinct idempotency keys accepted for this key, in order. */
  idempotencyKeys?: string[];
}

export interface FakeContext<S> {
  readonly state: S;
  /** Counts a message as accepted for `key` (recipient / target id). */
  accept(key: string, idempotencyKey?: string): void;
  /** Counts a 429 returned because a configured limit was exceeded. */
  rateLimited(): void;
  /** Bumps a provider-specific counter shown in /__fake/stats. */
  count(name: string, by?: number): void;
}

export interface FakeProviderSpec<S> {
  name: string;
  initialState: S;
  handle(req: FakeRequest, ctx: FakeContext<S>): FakeResponse | Promise<FakeResponse>;
  /** Provider-shaped bodies for random '5xx' / '429' faults. */
  faultResponse?(kind: '5xx' | '429', retryAfterSeconds: number): FakeResponse;
  /** Extra control routes under /__fake/; return undefined when the route is not handled. */
  control?(
    req: FakeRequest,
    ctx: FakeContext<S>,
  ): FakeResponse | undefined | Promise<FakeResponse | undefined>;
  /** Provider-specific counters shown in /__fake/stats (0 until bumped with ctx.count). */
  counters?: string[];
  /** Clears provider runtime data kept outside `state` (rate windows, in-flight counters). */
  onReset?(): void;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_LOG = 200_000;

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep-merges `patch` into `target` in place: objects merge, arrays and scalars replace. */
export function deepMerge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    const cur = target[k];
    if (isPlainObject(v) && isPlainObject(cur)) deepMerge(cur, v);
    else target[k] = structuredClone(v);
  }
}

export const json = (status: number, body: unknown, headers?: Record<string, string>) =>
  ({ status, json: body, ...(headers ? { headers } : {}) }) satisfies FakeResponse;

/** Small seeded PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Sliding-window counter: `hit(key, limit, windowMs)` → whether the hit is allowed. */
export class SlidingWindow {
  private readonly hits = new Map<string, number[]>();

  /** Records a hit unless `limit` hits already happened within `windowMs`. */
  hit(key: string, limit: number, windowMs: number, now = Date.now()): boolean {
    const list = this.prune(key, windowMs, now);
    if (list.length >= limit) return false;
    list.push(now);
    return true;
  }

  /** Hits left in the current window and seconds until the oldest hit leaves it. */
  info(key: string, limit: number, windowMs: number, now = Date.now()) {
    const list = this.prune(key, windowMs, now);
    const oldest = list[0];
    const resetMs = oldest === undefined ? windowMs : oldest + windowMs - now;
    return { remaining: Math.max(0, limit - list.length), resetSeconds: Math.ceil(resetMs / 1000) };
  }

  clear(): void {
    this.hits.clear();
  }

  private prune(key: string, windowMs: number, now: number): number[] {
    let list = this.hits.get(key);
    if (!list) {
      list = [];
      this.hits.set(key, list);
    }
    let drop = 0;
    while (drop < list.length && (list[drop] as number) <= now - windowMs) drop++;
    if (drop > 0) list.splice(0, drop);
    return list;
  }
}

interface ScriptEntry {
  match: ScriptMatch;
  responses: Scripted[];
}

const defaultConfig = (): FakeConfig => ({
  latencyMs: 0,
  faultRate: 0,
  faults: [],
  retryAfterSeconds: 1,
});

function matches(m: ScriptMatch, req: FakeRequest): boolean {
  if (m.method && m.method.toUpperCase() !== req.method) return false;
  if (m.path && !req.path.includes(m.path)) return false;
  if (m.contains && !containsText(req.body, req.headers, m.contains)) return false;
  return true;
}

function containsText(body: string, headers: Record<string, string>, needle: string): boolean {
  if (body.includes(needle)) return true;
  for (const v of Object.values(headers)) if (v.includes(needle)) return true;
  return false;
}

/** One provider's state and bookkeeping; serve it with `listen()`. */
export class FakeProvider<S extends object> {
  readonly spec: FakeProviderSpec<S>;
  state: S;
  private readonly initial: S;
  private log: RecordedRequest[] = [];
  private seq = 0;
  private scripts: ScriptEntry[] = [];
  private config: FakeConfig = defaultConfig();
  private random: () => number = Math.random;
  private statsRequests = 0;
  private byStatus: Record<string, number> = {};
  private statsRateLimited = 0;
  private statsAccepted = 0;
  private faultCounts: Record<string, number> = {};
  private extra: Record<string, number> = {};
  private accepted = new Map<
    string,
    { key: string; count: number; ids?: Set<string>; last?: string }
  >();
  readonly ctx: FakeContext<S>;

  constructor(spec: FakeProviderSpec<S>) {
    this.spec = spec;
    this.initial = structuredClone(spec.initialState);
    this.state = structuredClone(spec.initialState);
    const self = this;
    this.ctx = {
      get state() {
        return self.state;
      },
      accept: (key, idempotencyKey) => {
        this.statsAccepted++;
        let e = this.accepted.get(key);
        if (!e) {
          e = { key, count: 0 };
          this.accepted.set(key, e);
        }
        e.count++;
        if (idempotencyKey !== undefined) {
          e.last = idempotencyKey;
          e.ids ??= new Set();
          e.ids.add(idempotencyKey);
        }
      },
      rateLimited: () => {
        this.statsRateLimited++;
      },
      count: (name, by = 1) => {
        this.extra[name] = (this.extra[name] ?? 0) + by;
      },
    };
  }

  reset(): void {
    this.state = structuredClone(this.initial);
    this.log = [];
    this.scripts = [];
    this.config = defaultConfig();
    this.random = Math.random;
    this.statsRequests = 0;
    this.byStatus = {};
    this.statsRateLimited = 0;
    this.statsAccepted = 0;
    this.faultCounts = {};
    this.extra = {};
    this.accepted.clear();
    this.spec.onReset?.();
  }

  requests(filter: { path?: string; contains?: string; method?: string; since?: number } = {}) {
    return this.log.filter(
      (r) =>
        (!filter.path || r.path.includes(filter.path)) &&
        (!filter.contains || containsText(r.body, r.headers, filter.contains)) &&
        (!filter.method || r.method === filter.method.toUpperCase()) &&
        (filter.since === undefined || r.seq > filter.since),
    );
  }

  stats() {
    return {
      requests: this.statsRequests,
      byStatus: { ...this.byStatus },
      rateLimited: this.statsRateLimited,
      accepted: this.statsAccepted,
      acceptedByKey: Object.fromEntries([...this.accepted.values()].map((e) => [e.key, e.count])),
      faults: { ...this.faultCounts },
      ...Object.fromEntries((this.spec.counters ?? []).map((n) => [n, 0])),
      ...this.extra,
    };
  }

  acceptedList(): AcceptedEntry[] {
    return [...this.accepted.values()].map((e) => ({
      key: e.key,
      count: e.count,
      ...(e.ids ? { idempotencyKey: e.last, idempotencyKeys: [...e.ids] } : {}),
    }));
  }

  /** Queues scripted responses (the same as POST /__fake/script). */
  script(match: ScriptMatch, responses: Scripted[]): void {
    this.scripts.push({ match: { ...match }, responses: [...responses] });
  }

  configure(patch: Partial<FakeConfig>): void {
    const c = this.config;
    if (typeof patch.latencyMs === 'number') c.latencyMs = Math.max(0, patch.latencyMs);
    if (typeof patch.faultRate === 'number')
      c.faultRate = Math.min(1, Math.max(0, patch.faultRate));
    if (Array.isArray(patch.faults)) c.faults = [...patch.faults];
    if (typeof patch.retryAfterSeconds === 'number') c.retryAfterSeconds = patch.retryAfterSeconds;
    if (typeof patch.seed === 'number') {
      c.seed = patch.seed;
      this.random = prng(patch.seed);
    }
  }

  getConfig(): FakeConfig {
    return { ...this.config, faults: [...this.config.faults] };
  }

  /** Handles one HTTP exchange (control or provider). */
  async serve(listener: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        chunks = [];
        send(res, { status: 413, json: { error: 'request body too large' } });
        return;
      }
      chunks.push(chunk);
    }
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    }
    const fr: FakeRequest = {
      listener,
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: raw.toString('utf8'),
      bodyBytes: raw.length,
    };
    const ctype = (headers['content-type'] ?? '').toLowerCase();
    if (ctype.includes('application/x-www-form-urlencoded')) {
      fr.form = Object.fromEntries(new URLSearchParams(fr.body));
    } else if (fr.body.length > 0 && (ctype.includes('json') || /^\s*[[{]/.test(fr.body))) {
      try {
        fr.json = JSON.parse(fr.body);
      } catch {
        if (ctype.includes('json')) fr.badJson = true;
      }
    }

    if (fr.path.startsWith('/__fake/')) {
      send(res, await this.control(fr));
      return;
    }
    await this.provider(fr, req, res);
  }

  private async control(req: FakeRequest): Promise<FakeResponse> {
    try {
      const body = req.json;
      const route = `${req.method} ${req.path}`;
      switch (route) {
        case 'GET /__fake/requests': {
          const since = req.query.since ? Number(req.query.since) : undefined;
          return json(
            200,
            this.requests({
              path: req.query.path,
              contains: req.query.contains,
              method: req.query.method,
              since: Number.isFinite(since) ? since : undefined,
            }),
          );
        }
        case 'POST /__fake/reset':
          this.reset();
          return json(200, { ok: true });
        case 'GET /__fake/state':
          return json(200, this.state);
        case 'POST /__fake/state': {
          if (!isPlainObject(body)) return json(400, { error: 'expected a JSON object' });
          const st = this.state as Record<string, unknown>;
          if (req.query.replace === '1' || req.query.replace === 'true') {
            for (const [k, v] of Object.entries(body)) st[k] = structuredClone(v);
          } else deepMerge(st, body);
          return json(200, this.state);
        }
        case 'POST /__fake/script': {
          if (!isPlainObject(body) || !Array.isArray(body.responses)) {
            return json(400, { error: 'expected { match, responses: [] }' });
          }
          const match = isPlainObject(body.match) ? (body.match as ScriptMatch) : {};
          this.script(match, body.responses as Scripted[]);
          return json(200, { ok: true, queued: this.scripts.length });
        }
        case 'DELETE /__fake/script':
          this.scripts = [];
          return json(200, { ok: true });
        case 'GET /__fake/config':
          return json(200, this.getConfig());
        case 'POST /__fake/config':
          if (!isPlainObject(body)) return json(400, { error: 'expected a JSON object' });
          this.configure(body as Partial<FakeConfig>);
          return json(200, this.getConfig());
        case 'GET /__fake/stats':
          return json(200, this.stats());
        case 'GET /__fake/accepted':
          return json(200, this.acceptedList());
      }
      const extra = await this.spec.control?.(req, this.ctx);
      return extra ?? json(404, { error: `unknown control route ${route}` });
    } catch (err) {
      return json(500, { error: String(err) });
    }
  }

  private async provider(req: FakeRequest, raw: IncomingMessage, res: ServerResponse) {
    this.statsRequests++;
    const rec: RecordedRequest = {
      seq: ++this.seq,
      at: Date.now(),
      method: req.method,
      path: req.path,
      query: req.query,
      headers: req.headers,
      body: req.body,
      status: 0,
    };
    if (req.json !== undefined) rec.json = req.json;
    if (req.form !== undefined) rec.form = req.form;
    this.log.push(rec);
    if (this.log.length > MAX_LOG + 10_000) this.log.splice(0, this.log.length - MAX_LOG);

    let scripted: Scripted | undefined;
    for (let i = 0; i < this.scripts.length; i++) {
      const s = this.scripts[i] as ScriptEntry;
      if (s.responses.length > 0 && matches(s.match, req)) {
        scripted = s.responses.shift();
        if (s.responses.length === 0) this.scripts.splice(i, 1);
        break;
      }
    }
    let fault: FaultKind | undefined;
    const c = this.config;
    if (!scripted && c.faultRate > 0 && c.faults.length > 0 && this.random() < c.faultRate) {
      fault = c.faults[Math.floor(this.random() * c.faults.length)];
    }
    if (c.latencyMs > 0) await sleep(c.latencyMs);

    const finish = (r: FakeResponse, drop = false) => {
      rec.status = r.status;
      rec.answeredAt = Date.now();
      this.byStatus[r.status] = (this.byStatus[r.status] ?? 0) + 1;
      if (drop) {
        rec.dropped = true;
        raw.socket?.destroy();
      } else if (res.destroyed) {
        // The client gave up (its timeout) before the answer was ready: the request was
        // handled, but the caller never learns it, as with acceptThenDrop.
        rec.dropped = true;
        this.faultCounts.answerAfterClientLeft = (this.faultCounts.answerAfterClientLeft ?? 0) + 1;
      } else send(res, r);
    };
    const normal = async (): Promise<FakeResponse> => {
      try {
        return await this.spec.handle(req, this.ctx);
      } catch (err) {
        return json(500, { error: 'fake crashed', detail: String(err) });
      }
    };

    if (scripted) {
      rec.fault = 'scripted';
      this.faultCounts.scripted = (this.faultCounts.scripted ?? 0) + 1;
      if (scripted.delayMs) await sleep(scripted.delayMs);
      if (scripted.hang) return; // keep the socket open; closeAllConnections() on shutdown
      if (scripted.reset) {
        raw.socket?.destroy();
        return;
      }
      if (scripted.acceptThenDrop) return finish(await normal(), true);
      if (scripted.status === undefined && scripted.json === undefined && !scripted.body) {
        // Only a delay and/or headers: behave normally, adding the scripted headers.
        const r = await normal();
        if (scripted.headers) r.headers = { ...(r.headers ?? {}), ...scripted.headers };
        return finish(r);
      }
      const r: FakeResponse = { status: scripted.status ?? 200 };
      if (scripted.headers) r.headers = scripted.headers;
      if (scripted.json !== undefined) r.json = scripted.json;
      else if (scripted.body !== undefined) r.body = scripted.body;
      return finish(r);
    }
    if (fault) {
      rec.fault = fault;
      this.faultCounts[fault] = (this.faultCounts[fault] ?? 0) + 1;
      switch (fault) {
        case 'hang':
          return;
        case 'reset':
          raw.socket?.destroy();
          return;
        case 'acceptThenDrop':
          return finish(await normal(), true);
        case '5xx':
        case '429': {
          const retry = c.retryAfterSeconds;
          const r = this.spec.faultResponse?.(fault, retry) ?? defaultFault(fault, retry);
          return finish(r);
        }
      }
    }
    return finish(await normal());
  }
}

function defaultFault(kind: '5xx' | '429', retryAfterSeconds: number): FakeResponse {
  return kind === '429'
    ? json(429, { error: 'rate limited' }, { 'retry-after': String(retryAfterSeconds) })
    : json(503, { error: 'service unavailable' });
}

function send(res: ServerResponse, r: FakeResponse): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  let payload = '';
  if (r.json !== undefined) {
    payload = JSON.stringify(r.json);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json; charset=utf-8';
    }
  } else if (r.body !== undefined) payload = r.body;
  headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(r.status, headers);
  res.end(payload);
}

export interface Listening {
  server: Server;
  origin: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `provider` on host:port (0 = ephemeral) under the listener name `listener`. */
export async function listen(
  provider: FakeProvider<object>,
  opts: { listener: string; host?: string; port?: number },
): Promise<Listening> {
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    provider.serve(opts.listener, req, res).catch((err) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'fake crashed', detail: String(err) }));
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port ?? 0, host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port,
    origin: `http://${hostInUrl}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Reads a Bearer token from the Authorization header. */
export function bearer(req: FakeRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m ? (m[1] as string).trim() : undefined;
}
