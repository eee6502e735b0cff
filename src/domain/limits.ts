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
}
