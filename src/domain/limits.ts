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
}

export const PACE_LIMITS: Readonly<Record<Channel, PaceLimit>> = {
  // "about 1 message per second per channel" https://docs.slack.dev/apis/web-api/rate-limits
  SLACK: { ratePerSecond: 1, burst: 1, scope: 'target' },
  // "Keep to about 1 message per second per space."
  GOOGLE_CHAT: { ratePerSecond: 1, burst: 1, scope: 'target' },
  // Push: 2,000 requests/s per channel.
  LINE: { ratePerSecond: 2000, burst: 100, scope: 'tenant' },
  // 240 requests/min per domain and API (Standard/Advanced); 60 on the free plan.
  LINE_WORKS: { ratePerSecond: 4, burst: 1, scope: 'tenant' },
};

/** What RateGate is asked: one slot per delivery, on the key its limit names. */
export interface SlotRequest {
  key: string;
}

/** The pacing service the dispatcher talks to (the RateGate Durable Object in production). */
export interface Gate {
  /** Reserves one slot per request and answers when each may go (ms since epoch). */
  reserve(channel: Channel, tenantId: string, requests: SlotRequest[]): Promise<number[]>;
}
