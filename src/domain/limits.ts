/**
 * Provider pacing limits as data (PROVIDERS.md): RateGate enforces them per (tenant,
 * provider, key); a later channel registers its own line here.
 */
import type { Channel } from '../adapters/types.ts';

export interface PaceLimit {
  /** Sends per second allowed on one key. */
  ratePerSecond: number;
  /** How many may go at once before spacing applies. */
  burst: number;
  /** What the key is: each target (DM channel, webhook space) or the whole tenant. */
  scope: 'target' | 'tenant';
  /**
   * Added to every interval, so jitter between the reserved slot and the provider's clock
   * never makes two sends look closer together than the limit.
   */
  guardMs?: number;
  /**
   * A provider that asks for less under sustained load: once a key has been busy without a
   * break for `afterMs`, its rate drops to `factor` of `ratePerSecond` until it goes idle.
   */
  sustained?: { afterMs: number; factor: number };
}

/** LINE WORKS Standard/Advanced plan: 240 requests per minute per domain and API. */
export const LINE_WORKS_DEFAULT_PER_MINUTE = 240;

/**
 * The pace for a LINE WORKS limit of `perMinute` requests in any rolling minute: evenly spaced
 * as if a minute lasted 62 s (96.8 % of the limit). A send leaves when its reserved slot comes
 * (a message back from the queue after its slot reserves a new one), so the 2 s margin only
 * absorbs clock and event-loop jitter; at exactly perMinute/60 one late send would be the
 * minute's (perMinute+1)th. "For more than 30 minutes of continuous calls stay at half the
 * limit": after 30 busy minutes on one API the pace halves until that API goes idle.
 * https://developers.worksmobile.com/jp/docs/rate-limits
 */
export function lineWorksPace(perMinute: number): PaceLimit {
  return {
    ratePerSecond: perMinute / LINE_WORKS_PACE_WINDOW_S,
    burst: 1,
    scope: 'target',
    sustained: { afterMs: 30 * 60_000, factor: 0.5 },
  };
}

const LINE_WORKS_PACE_WINDOW_S = 62;

export const PACE_LIMITS: Readonly<Record<Channel, PaceLimit>> = {
  // "about 1 message per second per channel" https://docs.slack.dev/apis/web-api/rate-limits
  SLACK: { ratePerSecond: 1, burst: 1, scope: 'target', guardMs: 50 },
  // "Keep to about 1 message per second per space."
  GOOGLE_CHAT: { ratePerSecond: 1, burst: 1, scope: 'target', guardMs: 50 },
  // Push: 2,000 requests/s per channel.
  LINE: { ratePerSecond: 2000, burst: 100, scope: 'tenant' },
  // 240 requests/min per domain and API (Standard/Advanced); 60 on the free plan. The key is
  // the API (messages, calendar), as LINE WORKS counts per API; see lineWorksPace().
  LINE_WORKS: lineWorksPace(LINE_WORKS_DEFAULT_PER_MINUTE),
};

/**
 * Slack Web API limits, per method, per workspace, per app (PROVIDERS.md, v2 facts › Slack):
 * Tier 1/2/3/4 = 1+/20+/50+/100+ calls per minute; past them HTTP 429 with `Retry-After`.
 * https://docs.slack.dev/apis/web-api/rate-limits
 */
export const SLACK_TIER_PER_MINUTE = { 1: 1, 2: 20, 3: 50, 4: 100 } as const;
export type SlackTier = keyof typeof SLACK_TIER_PER_MINUTE;

/**
 * The tier of each Slack method Renkei calls or is about to (users.* for directory lookups,
 * chat.update for edited messages). `auth.test` is "Special: hundreds of requests per minute";
 * it runs once per admin verify and is not paced here.
 */
export const SLACK_METHOD_TIERS: Readonly<Record<string, SlackTier>> = {
  'conversations.open': 3,
  'chat.update': 3,
  'users.lookupByEmail': 3,
  'users.list': 2,
  'views.open': 4,
};

/**
 * chat.postMessage has no tier: about 1 per second per channel plus a workspace-wide limit Slack
 * does not publish. Renkei's default is the ≈ 525/minute a commercial employee-comms product
 * documents as its own ceiling; an admin changes it per tenant (`messagesPerMinute`).
 */
export const SLACK_DEFAULT_MESSAGES_PER_MINUTE = 525;

/** "about 1 message per second per channel" https://docs.slack.dev/apis/web-api/rate-limits */
export const SLACK_CHANNEL_PACE: PaceLimit = {
  ratePerSecond: 1,
  burst: 1,
  scope: 'target',
  guardMs: 50,
};

/**
 * The pace for a Slack limit of `perMinute` calls in any rolling minute: evenly spaced as if a
 * minute lasted 62 s (96.8 % of the limit), the same margin as lineWorksPace, so clock and
 * network jitter never put `perMinute + 1` calls into one of Slack's minutes.
 */
export function slackPerMinutePace(perMinute: number): PaceLimit {
  return { ratePerSecond: perMinute / SLACK_PACE_WINDOW_S, burst: 1, scope: 'tenant' };
}

const SLACK_PACE_WINDOW_S = 62;

/**
 * One rate-limited call of a send that makes several (Slack first contact: conversations.open,
 * then chat.postMessage). RateGate gives it the earliest time at which `key` (a workspace-wide
 * bucket, slots on a calendar so a send that must wait for its channel does not hold up other
 * channels) and `target` (a per-channel bucket) both have room, at least `gapMs` after the
 * previous step's time.
 */
export interface PaceStep {
  /** The limit in an admin's words: `Slack conversations.open (50/min per workspace)`. */
  label: string;
  /** Workspace-wide bucket, e.g. `T0123:conversations.open`. */
  key: string;
  limit: PaceLimit;
  /**
   * A per-target bucket as well. `lateMs`: how late this call may go (it waits for the previous
   * step's answer), kept free on the target after it so the target's next call is never closer.
   */
  target?: { key: string; limit: PaceLimit; lateMs?: number };
  /** Time the previous step's call needs before this one may go. */
  gapMs?: number;
  /** A time reserved earlier (a message back from the queue): kept unless a hold voids it. */
  at?: number;
}

/** What RateGate is asked: one slot per delivery, on the key its limit names. */
export interface SlotRequest {
  key: string;
}

/** The pacing service the dispatcher talks to (the RateGate Durable Object in production). */
export interface Gate {
  /** Reserves one slot per request and answers when each may go (ms since epoch). */
  reserve(
    channel: Channel,
    tenantId: string,
    requests: SlotRequest[],
    /** The tenant's own limit when it differs from PACE_LIMITS (e.g. a LINE WORKS plan). */
    limit?: PaceLimit,
  ): Promise<number[]>;
  /**
   * Holds back new slots on `key` until `untilMs`, when the provider said its window is used up
   * (e.g. LINE WORKS `rateLimit-remaining: 0` with `rateLimit-reset`). Optional.
   */
  hold?(channel: Channel, tenantId: string, key: string, untilMs: number): Promise<void>;
  /** One time per step of each plan (see PaceStep), reserved together. Optional. */
  reserveSteps?(channel: Channel, tenantId: string, plans: PaceStep[][]): Promise<number[][]>;
  /** Until when `key` is held (a provider's 429), or 0. Optional. */
  heldUntil?(channel: Channel, tenantId: string, key: string): Promise<number>;
}

// ---- the tenant's own limits, read from its integration settings ----

const positiveInt = (v: unknown): number | undefined => {
  const n = Number(v);
  return v != null && v !== '' && Number.isInteger(n) && n > 0 ? n : undefined;
};

/** The tenant's workspace-wide chat.postMessage budget per minute (admin setting, or 525). */
export function slackMessagesPerMinute(settings: Record<string, unknown>): number {
  return positiveInt(settings.messagesPerMinute) ?? SLACK_DEFAULT_MESSAGES_PER_MINUTE;
}

/**
 * Calls per minute of a Slack method in this tenant's workspace: its tier's documented floor,
 * or for Tier 3 the tenant's `tier3PerMinute` (Slack's tiers read "50+"; a workspace Slack
 * grants more, or a test workspace scaled with its fake, sets it).
 */
export function slackMethodPerMinute(method: string, settings: Record<string, unknown>): number {
  const tier = SLACK_METHOD_TIERS[method] ?? 3;
  if (tier === 3) return positiveInt(settings.tier3PerMinute) ?? SLACK_TIER_PER_MINUTE[3];
  return SLACK_TIER_PER_MINUTE[tier];
}

/** The tenant's LINE WORKS requests per minute (plan), from the integration settings. */
export function lineWorksPerMinute(settings: Record<string, unknown>): number {
  const n = Number(settings.rateLimitPerMinute);
  return Number.isInteger(n) && n > 0 ? n : LINE_WORKS_DEFAULT_PER_MINUTE;
}
