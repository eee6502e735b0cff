/**
 * Fake Slack Web API (`SLACK_API_BASE` = `${origin}/api`), per /work/shared/design/PROVIDERS.md
 * "Slack":
 * - auth.test with `Authorization: Bearer <token>` → `{ok, url, team, user, team_id, user_id,
 *   bot_id}`; any token string works (no `xoxb-` prefix check).
 *   https://docs.slack.dev/reference/methods/auth.test
 * - conversations.open `{"users":"U…"}` → `channel.id` (`D…`), then chat.postMessage
 *   `{"channel":"D…","text","blocks"}`; JSON bodies need `Content-Type: application/json`
 *   (without `charset` Slack answers with the `missing_charset` warning); form bodies work too.
 * - Errors are HTTP 200 `{"ok":false,"error":…}`: `not_authed`, `invalid_auth` (or a per-token
 *   error such as `token_revoked`), `user_not_found`, `channel_not_found`, `no_text`,
 *   `invalid_blocks` (≤50 blocks, each with `type`; section text ≤3,000), `msg_too_long`.
 * - Rate limits (PROVIDERS.md, v2 facts › Slack), on by default at the documented values:
 *   per method per workspace (`limits.methods`, calls per rolling minute: conversations.open,
 *   chat.update and users.lookupByEmail Tier 3 = 50, users.list Tier 2 = 20, views.open Tier 4 =
 *   100, auth.test "hundreds" = 300); chat.postMessage per workspace (`limits.messagesPerMinute`,
 *   525: Slack publishes none, this is the figure PROVIDERS.md cites) and per channel
 *   (`rateLimit.perChannelPerSecond`, 1 per rolling second). Past any of them: HTTP 429 with
 *   `Retry-After` (seconds until the window has room) and `{"ok":false,"error":"ratelimited"}`.
 *   `teamLimits[team_id]` overrides `limits` for one workspace (a test scales its own workspace);
 *   `limits: null` / `rateLimit: null` turn the checks off. 429s are counted per workspace and
 *   method: `GET /__fake/rate-limited[?team=T…]`.
 *   https://docs.slack.dev/apis/web-api/rate-limits
 * - Interactivity (v2 facts › Slack): chat.update (edits a posted message; `message_not_found`
 *   otherwise), chat.postEphemeral, views.open (needs a trigger_id issued with a simulated click,
 *   valid 3 s; modal title ≤ 24, private_metadata ≤ 3,000). `POST /__fake/interaction` builds and
 *   signs what Slack sends the Request URL (block_actions / view_submission); `GET
 *   /__fake/message?channel=&ts=` shows a posted message as last edited.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  FakeProvider,
  type FakeProviderSpec,
  type FakeRequest,
  type FakeResponse,
  isPlainObject,
  json,
  SlidingWindow,
} from './fake-server.ts';

export interface SlackToken {
  team: string;
  team_id: string;
  user_id: string;
  bot_id: string;
  url?: string;
  /** When set, every call with this token fails with this error (e.g. 'token_revoked'). */
  error?: string;
  /**
   * The token's OAuth scopes; unset grants all. The directory methods check theirs
   * (`missing_scope` with `needed`), users.list leaves out emails without `users:read.email`.
   */
  scopes?: string[];
}

/** A workspace account as users.list / users.lookupByEmail describe it. */
export interface SlackDirectoryMember {
  id: string;
  name?: string;
  real_name?: string;
  deleted?: boolean;
  is_bot?: boolean;
  is_app_user?: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  profile?: { email?: string; display_name?: string; real_name?: string };
}

/** Workspace-wide limits: calls per rolling minute. */
export interface SlackLimits {
  /** Per method (tiers); a method not listed is not limited. */
  methods: Record<string, number>;
  /** chat.postMessage across the workspace. */
  messagesPerMinute: number;
  /** Only in `teamLimits`: the workspace's own per-channel limit (0: none), over `rateLimit`. */
  perChannelPerSecond?: number;
  /**
   * The window the per-minute counts apply to (60,000 ms). A test scales a workspace's limits
   * down in time: 10 per 1,000 ms is Renkei's 600/min, but no burst of 11 gets through.
   */
  windowMs?: number;
}

export const SLACK_DEFAULT_LIMITS = (): SlackLimits => ({
  methods: {
    'conversations.open': 50,
    'chat.update': 50,
    'users.lookupByEmail': 50,
    'users.list': 20,
    'views.open': 100,
    'chat.postEphemeral': 100,
    'auth.test': 300,
  },
  messagesPerMinute: 525,
});

export interface SlackState {
  tokens: Record<string, SlackToken>;
  unknownMembers: string[];
  /** Per channel; null turns the check off. */
  rateLimit: { perChannelPerSecond: number } | null;
  /** Per workspace; null turns the checks off. */
  limits: SlackLimits | null;
  /** Per-workspace overrides of `limits` (by team_id). */
  teamLimits: Record<string, Partial<SlackLimits>>;
  /** Channels returned by conversations.open: channel id → { team_id, user }. */
  channels: Record<string, { team_id: string; user: string }>;
  /** Each workspace's accounts (by team_id), for users.list and users.lookupByEmail. */
  directory: Record<string, SlackDirectoryMember[]>;
  /** Posted messages by `${channel}:${ts}` (chat.update edits them). */
  messages: Record<string, { team_id: string; text: string; blocks?: unknown; edits: number }>;
  /** trigger_ids handed out with simulated clicks: id → { team_id, user, expiresAt }. */
  triggers: Record<string, { team_id: string; user: string; expiresAt: number }>;
  /** Views opened by views.open: view id → the view as sent, and who it was opened for. */
  views: Record<string, { team_id: string; user: string; view: Record<string, unknown> }>;
}

export const defaultSlackState = (): SlackState => ({
  tokens: {},
  unknownMembers: [],
  rateLimit: { perChannelPerSecond: 1 },
  limits: SLACK_DEFAULT_LIMITS(),
  teamLimits: {},
  channels: {},
  directory: {},
  messages: {},
  triggers: {},
  views: {},
});

const ok = (body: Record<string, unknown>, extra?: Record<string, unknown>) =>
  json(200, { ok: true, ...body, ...extra });
const fail = (error: string, extra?: Record<string, unknown>) =>
  json(200, { ok: false, error, ...extra });

/** Deterministic DM channel id for (team, member). */
export const slackDmChannelId = (teamId: string, user: string) =>
  `D${createHash('sha256').update(`${teamId}:${user}`).digest('hex').slice(0, 10).toUpperCase()}`;

export function createSlackFake(initial: Partial<SlackState> = {}): FakeProvider<SlackState> {
  const windows = new SlidingWindow();
  /** 429s answered because a limit was exceeded: team → method → count. */
  let limited: Record<string, Record<string, number>> = {};
  const tooMany = (teamId: string, method: string, retryAfter: number): FakeResponse => {
    provider.ctx.rateLimited();
    const team = limited[teamId] ?? {};
    limited[teamId] = team;
    team[method] = (team[method] ?? 0) + 1;
    return json(
      429,
      { ok: false, error: 'ratelimited' },
      { 'retry-after': String(Math.max(1, retryAfter)) },
    );
  };
  /** The workspace's limits: `limits` with the team's overrides, or null when off. */
  const limitsOf = (teamId: string): SlackLimits | null => {
    const base = provider.state.limits;
    if (!base) return null;
    const own = provider.state.teamLimits[teamId] ?? {};
    return {
      methods: { ...base.methods, ...own.methods },
      messagesPerMinute: own.messagesPerMinute ?? base.messagesPerMinute,
      windowMs: own.windowMs ?? base.windowMs ?? 60_000,
    };
  };
  /** A 429 when `key` had `perMinute` calls in the rolling minute, else counts this call. */
  const overMinute = (
    key: string,
    perMinute: number | undefined,
    windowMs = 60_000,
  ): number | undefined => {
    if (!perMinute || perMinute <= 0) return undefined;
    if (windows.hit(key, perMinute, windowMs)) return undefined;
    return windows.info(key, perMinute, windowMs).resetSeconds;
  };
  let lastMicros = 0;
  const nextTs = () => {
    lastMicros = Math.max(lastMicros + 1, Date.now() * 1000);
    const s = String(lastMicros);
    return `${s.slice(0, -6)}.${s.slice(-6)}`;
  };

  const spec: FakeProviderSpec<SlackState> = {
    name: 'slack',
    initialState: { ...defaultSlackState(), ...structuredClone(initial) },
    onReset: () => {
      windows.clear();
      limited = {};
    },
    control(req) {
      if (req.method === 'GET' && req.path === '/__fake/rate-limited') {
        const team = req.query.team;
        if (team) return json(200, limited[team] ?? {});
        const byMethod: Record<string, number> = {};
        for (const methods of Object.values(limited)) {
          for (const [m, n] of Object.entries(methods)) byMethod[m] = (byMethod[m] ?? 0) + n;
        }
        return json(200, { byMethod, byTeam: limited });
      }
      if (req.method === 'POST' && req.path === '/__fake/interaction') {
        return interaction(isPlainObject(req.json) ? req.json : {});
      }
      if (req.method === 'GET' && req.path === '/__fake/message') {
        const msg = provider.state.messages[`${req.query.channel}:${req.query.ts}`];
        return msg ? json(200, msg) : json(404, { error: 'no such message' });
      }
      return undefined;
    },
    faultResponse: (kind, retryAfter) =>
      kind === '429'
        ? json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfter) })
        : json(500, { ok: false, error: 'internal_error' }),
    handle(req, ctx) {
      const m = /^\/api\/([A-Za-z0-9_.]+)$/.exec(req.path);
      if (!m) return { status: 404, body: 'Not Found', headers: { 'content-type': 'text/plain' } };
      const method = m[1] as string;
      const ctype = (req.headers['content-type'] ?? '').toLowerCase();
      let args: Record<string, unknown> = {};
      const warnings: string[] = [];
      if (ctype.startsWith('application/json')) {
        if (req.badJson) return fail('invalid_json');
        if (req.json !== undefined && !isPlainObject(req.json)) return fail('invalid_json');
        args = (req.json as Record<string, unknown> | undefined) ?? {};
        if (!ctype.includes('charset')) warnings.push('missing_charset');
      } else if (req.form) {
        args = { ...req.form };
      }
      for (const [k, v] of Object.entries(req.query)) if (!(k in args)) args[k] = v;
      const extra = warnings.length
        ? { warning: warnings.join(','), response_metadata: { warnings } }
        : undefined;

      // Auth: header, or a `token` argument as Slack also accepts for form bodies.
      const header = req.headers.authorization;
      let token: string | undefined;
      if (header) token = /^Bearer\s+(.+)$/i.exec(header.trim())?.[1]?.trim();
      else if (typeof args.token === 'string' && !ctype.startsWith('application/json')) {
        token = args.token;
      }
      if (!token) return fail('not_authed', extra);
      const t = ctx.state.tokens[token];
      if (!t) return fail('invalid_auth', extra);
      if (t.error) return fail(t.error, extra);

      // Tiers: calls per method per workspace (chat.postMessage is checked in postMessage).
      const own = limitsOf(t.team_id);
      const wait = overMinute(`${t.team_id}:${method}`, own?.methods[method], own?.windowMs);
      if (wait !== undefined) return tooMany(t.team_id, method, wait);

      switch (method) {
        case 'auth.test':
          return ok(
            {
              url: t.url ?? `https://${slug(t.team)}.slack.com/`,
              team: t.team,
              user: 'renkei',
              team_id: t.team_id,
              user_id: t.user_id,
              bot_id: t.bot_id,
              is_enterprise_install: false,
            },
            extra,
          );
        case 'conversations.open':
          return conversationsOpen(args, t, extra);
        case 'chat.postMessage':
          return postMessage(req, args, t, extra);
        case 'users.lookupByEmail':
          return lookupByEmail(args, t, extra);
        case 'users.list':
          return listUsers(args, t, extra);
        case 'chat.update':
          return chatUpdate(args, t, extra);
        case 'chat.postEphemeral':
          return postEphemeral(args, t, extra);
        case 'views.open':
          return viewsOpen(args, t, extra);
        default:
          return fail('unknown_method', extra);
      }
    },
  };

  function conversationsOpen(
    args: Record<string, unknown>,
    t: SlackToken,
    extra?: Record<string, unknown>,
  ): FakeResponse {
    const users = typeof args.users === 'string' ? args.users.trim() : '';
    if (!users) {
      return args.channel
        ? fail('channel_not_found', extra)
        : fail('users_list_not_supplied', extra);
    }
    const list = users.split(',').map((u) => u.trim());
    if (list.length > 1) return fail('not_implemented', extra); // only 1:1 DMs in this fake
    const user = list[0] as string;
    if (!/^[UW]\w+$/.test(user) || provider.state.unknownMembers.includes(user)) {
      return fail('user_not_found', extra);
    }
    const id = slackDmChannelId(t.team_id, user);
    provider.state.channels[id] = { team_id: t.team_id, user };
    return ok({ channel: { id } }, extra);
  }

  function postMessage(
    _req: FakeRequest,
    args: Record<string, unknown>,
    t: SlackToken,
    extra?: Record<string, unknown>,
  ): FakeResponse {
    const channel = typeof args.channel === 'string' ? args.channel : '';
    if (!channel) return fail('channel_not_found', extra);
    let blocks: unknown = args.blocks;
    if (typeof blocks === 'string') {
      try {
        blocks = JSON.parse(blocks);
      } catch {
        return fail('invalid_blocks_format', extra);
      }
    }
    const text = typeof args.text === 'string' ? args.text : '';
    const hasBlocks = blocks !== undefined && blocks !== null && blocks !== '';
    // "One of these arguments is required to describe the content of the message: attachments,
    // blocks, text." https://docs.slack.dev/reference/methods/chat.postMessage
    const attachments = Array.isArray(args.attachments) ? args.attachments : undefined;
    if (!text && !hasBlocks && !attachments?.length) return fail('no_text', extra);
    if (hasBlocks) {
      const problem = validateBlocks(blocks);
      if (problem) return fail('invalid_blocks', { ...extra, errors: [problem] });
    }
    if (text.length > 40_000) return fail('msg_too_long', extra);
    const ch = provider.state.channels[channel];
    if (!ch || ch.team_id !== t.team_id) return fail('channel_not_found', extra);
    // Per channel first (a post refused there does not use the workspace's budget), then the
    // workspace-wide message budget.
    const limit =
      provider.state.teamLimits[t.team_id]?.perChannelPerSecond ??
      provider.state.rateLimit?.perChannelPerSecond;
    if (limit && limit > 0 && !windows.hit(channel, limit, 1000)) {
      return tooMany(t.team_id, 'chat.postMessage', 1);
    }
    const own = limitsOf(t.team_id);
    const wait = overMinute(`${t.team_id}:chat.postMessage`, own?.messagesPerMinute, own?.windowMs);
    if (wait !== undefined) return tooMany(t.team_id, 'chat.postMessage', wait);
    const ts = nextTs();
    provider.ctx.accept(channel);
    const message: Record<string, unknown> = {
      type: 'message',
      user: t.user_id,
      bot_id: t.bot_id,
      text,
      ts,
      team: t.team_id,
    };
    if (hasBlocks) message.blocks = blocks;
    if (attachments) message.attachments = attachments;
    provider.state.messages[`${channel}:${ts}`] = {
      team_id: t.team_id,
      text,
      ...(hasBlocks ? { blocks } : {}),
      edits: 0,
    };
    return ok({ channel, ts, message }, extra);
  }

  // ---- Directory (issue 15): users.lookupByEmail, users.list ----------------------------------
  // https://docs.slack.dev/reference/methods/users.lookupByEmail (scopes users:read +
  // users:read.email; `users_not_found` for no match and for deactivated members),
  // https://docs.slack.dev/reference/methods/users.list (scope users:read; `limit`, `cursor` =
  // `response_metadata.next_cursor`, "" on the last page; everyone incl. deleted, bots, guests).

  /** `missing_scope` unless the token has every scope in `needed`. */
  function missingScope(t: SlackToken, needed: string[], extra?: Record<string, unknown>) {
    if (!t.scopes) return undefined;
    const lacking = needed.filter((s) => !t.scopes?.includes(s));
    if (lacking.length === 0) return undefined;
    return fail('missing_scope', {
      ...extra,
      needed: lacking.join(','),
      provided: t.scopes.join(','),
    });
  }

  function lookupByEmail(
    args: Record<string, unknown>,
    t: SlackToken,
    extra?: Record<string, unknown>,
  ): FakeResponse {
    const refused = missingScope(t, ['users:read', 'users:read.email'], extra);
    if (refused) return refused;
    const email = typeof args.email === 'string' ? args.email.trim().toLowerCase() : '';
    if (!email) return fail('invalid_arguments', extra);
    const member = (provider.state.directory[t.team_id] ?? []).find(
      (m) => !m.deleted && m.profile?.email?.toLowerCase() === email,
    );
    if (!member) return fail('users_not_found', extra);
    return ok({ user: { ...structuredClone(member), team_id: t.team_id } }, extra);
  }

  function listUsers(
    args: Record<string, unknown>,
    t: SlackToken,
    extra?: Record<string, unknown>,
  ): FakeResponse {
    const refused = missingScope(t, ['users:read'], extra);
    if (refused) return refused;
    const all = provider.state.directory[t.team_id] ?? [];
    const limit = Math.min(1000, Math.max(1, Number(args.limit) || 0 || all.length || 1));
    let offset = 0;
    if (typeof args.cursor === 'string' && args.cursor !== '') {
      const m = /^dXNlcjo(.+)$/.exec(args.cursor);
      const decoded = m
        ? Number(Buffer.from(args.cursor, 'base64').toString('utf8').slice(5))
        : NaN;
      if (!Number.isInteger(decoded) || decoded < 0) return fail('invalid_cursor', extra);
      offset = decoded;
    }
    const withEmail = !t.scopes || t.scopes.includes('users:read.email');
    const members = all.slice(offset, offset + limit).map((m) => {
      const copy: SlackDirectoryMember & { team_id: string } = {
        ...structuredClone(m),
        team_id: t.team_id,
      };
      if (!withEmail && copy.profile) delete copy.profile.email;
      return copy;
    });
    const next = offset + limit < all.length ? offset + limit : null;
    return ok(
      {
        members,
        cache_ts: Math.floor(Date.now() / 1000),
        response_metadata: {
          next_cursor: next === null ? '' : Buffer.from(`user:${next}`).toString('base64'),
        },
      },
      extra,
    );
  }
  // ---- end of directory ----------------------------------------------------------------------

  /** https://docs.slack.dev/reference/methods/chat.update */
  function chatUpdate(
    args: Record<string, unknown>,
    t: SlackToken,
    extra?: Record<string, unknown>,
  ): FakeResponse {
    const channel = typeof args.channel === 'string' ? args.channel : '';
    const ts = typeof args.ts === 'string' ? args.ts : '';
    if (!channel) return fail('channel_not_found', extra);
    if (!ts) return fail('message_not_found', extra);
    const text = typeof args.text === 'string' ? args.text : '';
    const blocks = args.blocks;
    if (!text && (blocks === undefined || blocks === null)) return fail('no_text', extra);
    if (blocks !== undefined) {
      const problem = validateBlocks(blocks);
      if (problem) return fail('invalid_blocks', { ...extra, errors: [problem] });
    }
    const msg = provider.state.messages[`${channel}:${ts}`];
    if (!msg || msg.team_id !== t.team_id) return fail('message_not_found', extra);
    msg.text = text;
    if (blocks !== undefined) msg.blocks = blocks;
    msg.edits += 1;
    return ok({ channel, ts, text }, extra);
  }

  /** https://docs.slack.dev/reference/methods/chat.postEphemeral */
  function postEphemeral(
    args: Record<string, unknown>,
    t: SlackToken,
    extra?: Record<string, unknown>,
  ): FakeResponse {
    const channel = typeof args.channel === 'string' ? args.channel : '';
    const user = typeof args.user === 'string' ? args.user : '';
    if (!channel) return fail('channel_not_found', extra);
    if (!user) return fail('user_not_found', extra);
    if (!args.text && !args.blocks) return fail('no_text', extra);
    const ch = provider.state.channels[channel];
    if (ch && ch.team_id !== t.team_id) return fail('channel_not_found', extra);
    return ok({ message_ts: nextTs() }, extra);
  }

  /** https://docs.slack.dev/reference/methods/views.open (trigger_id valid 3 s). */
  function viewsOpen(
    args: Record<string, unknown>,
    t: SlackToken,
    extra?: Record<string, unknown>,
  ): FakeResponse {
    const triggerId = typeof args.trigger_id === 'string' ? args.trigger_id : '';
    let view: unknown = args.view;
    if (typeof view === 'string') {
      try {
        view = JSON.parse(view);
      } catch {
        return fail('invalid_arguments', extra);
      }
    }
    if (!triggerId) return fail('invalid_trigger_id', extra);
    const trigger = provider.state.triggers[triggerId];
    if (!trigger || trigger.team_id !== t.team_id) return fail('invalid_trigger_id', extra);
    if (trigger.expiresAt < Date.now()) return fail('expired_trigger_id', extra);
    delete provider.state.triggers[triggerId];
    if (!isPlainObject(view) || view.type !== 'modal' || !isPlainObject(view.title)) {
      return fail('invalid_arguments', extra);
    }
    const title = (view.title as Record<string, unknown>).text;
    if (typeof title !== 'string' || title.length > 24) return fail('invalid_arguments', extra);
    const meta = view.private_metadata;
    if (meta !== undefined && (typeof meta !== 'string' || meta.length > 3000)) {
      return fail('invalid_arguments', extra);
    }
    const id = `V${randomBytes(5).toString('hex').toUpperCase()}`;
    provider.state.views[id] = { team_id: t.team_id, user: trigger.user, view };
    return ok({ view: { id, ...view } }, extra);
  }

  /**
   * What Slack sends the app's Request URL for a simulated interaction (PROVIDERS.md, v2 facts ›
   * Slack): `application/x-www-form-urlencoded` with one field `payload`, signed
   * `v0=hex(HMAC-SHA256(signing secret, "v0:{ts}:{body}"))`. `click` is a button of a posted
   * message (a fresh trigger_id is issued for views.open); `submit` sends the last view opened
   * for the user with `comment` in its input. With `url` the request is sent there and its
   * answer returned; without, the signed request itself is returned for the caller to send.
   */
  async function interaction(body: Record<string, unknown>): Promise<FakeResponse> {
    const secret = typeof body.signingSecret === 'string' ? body.signingSecret : '';
    const team = typeof body.team === 'string' ? body.team : '';
    const user = typeof body.user === 'string' ? body.user : '';
    if (!secret || !team || !user) return json(400, { error: 'signingSecret, team, user needed' });
    let payload: Record<string, unknown>;
    if (isPlainObject(body.click)) {
      const c = body.click;
      const triggerId = `${Date.now()}.${randomBytes(6).toString('hex')}`;
      provider.state.triggers[triggerId] = {
        team_id: team,
        user,
        expiresAt: Date.now() + 3000,
      };
      payload = {
        type: 'block_actions',
        user: { id: user, team_id: team },
        team: { id: team },
        api_app_id: 'A0RENKEI',
        trigger_id: triggerId,
        container: {
          type: 'message',
          message_ts: c.ts,
          channel_id: c.channel,
          is_ephemeral: false,
        },
        channel: { id: c.channel },
        message: { ts: c.ts },
        response_url: `https://hooks.slack.com/actions/${team}/${randomBytes(6).toString('hex')}`,
        actions: [
          {
            type: 'button',
            action_id: c.actionId,
            block_id: 'actions',
            value: c.value,
            action_ts: String(Date.now() / 1000),
          },
        ],
      };
    } else if (isPlainObject(body.submit)) {
      const sub = body.submit;
      const opened = Object.entries(provider.state.views).filter(
        ([, v]) => v.team_id === team && v.user === user,
      );
      const chosen =
        typeof sub.viewId === 'string'
          ? provider.state.views[sub.viewId]
          : opened[opened.length - 1]?.[1];
      if (!chosen) return json(404, { error: 'no view opened for that user' });
      const view = { ...chosen.view };
      if (typeof sub.privateMetadata === 'string') view.private_metadata = sub.privateMetadata;
      const values: Record<string, Record<string, unknown>> = {};
      for (const b of Array.isArray(view.blocks) ? view.blocks : []) {
        if (!isPlainObject(b) || b.type !== 'input' || !isPlainObject(b.element)) continue;
        values[String(b.block_id)] = {
          [String(b.element.action_id)]: {
            type: 'plain_text_input',
            value: typeof sub.comment === 'string' ? sub.comment : null,
          },
        };
      }
      payload = {
        type: 'view_submission',
        user: { id: user, team_id: team },
        team: { id: team },
        view: { ...view, id: 'V0', team_id: team, state: { values } },
      };
    } else {
      return json(400, { error: 'click or submit needed' });
    }
    const raw =
      typeof body.rawBody === 'string'
        ? body.rawBody
        : new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const ts = String(
      typeof body.timestamp === 'number' ? body.timestamp : Math.floor(Date.now() / 1000),
    );
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${raw}`).digest('hex')}`;
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': signature,
    };
    if (typeof body.url !== 'string') return json(200, { headers, body: raw, payload });
    const res = await fetch(body.url, { method: 'POST', headers, body: raw });
    return json(200, { status: res.status, body: await res.text(), payload });
  }

  const provider = new FakeProvider(spec);
  return provider;
}

/** Returns a problem description, or undefined when the blocks look valid. */
function validateBlocks(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > 50) return 'no more than 50 items allowed [json-pointer:/blocks]';
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    if (!isPlainObject(b) || typeof b.type !== 'string' || !b.type) {
      return `missing required field: type [json-pointer:/blocks/${i}]`;
    }
    if (b.type === 'section') {
      const text = b.text;
      if (text !== undefined) {
        if (!isPlainObject(text) || typeof text.text !== 'string') {
          return `invalid text object [json-pointer:/blocks/${i}/text]`;
        }
        if (text.text.length > 3000) {
          return `must be less than 3001 characters [json-pointer:/blocks/${i}/text/text]`;
        }
      } else if (!Array.isArray(b.fields)) {
        return `must provide text or fields [json-pointer:/blocks/${i}]`;
      }
    }
  }
  return undefined;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'workspace';
