/** A step's provider calls on their RateGate slots, how a 429 holds the API, and failures. */
import type { LineWorksDirectoryFailure } from '../../adapters/line-works/index.ts';
import type { SlackDirectoryFailure } from '../../adapters/slack/index.ts';
import { slackMethodKey } from '../channels/slack.ts';
import type { IntegrationCredentials } from '../integrations.ts';
import {
  lineWorksPace,
  lineWorksPerMinute,
  type PaceStep,
  slackMethodPerMinute,
  slackPerMinutePace,
} from '../limits.ts';
import { lineWorksAppCredentials } from '../tokens.ts';
import { DEFAULT_HOLD_S, type DiscoveryDeps, MAX_INLINE_WAIT_MS } from './deps.ts';
import type { StepOutcome } from './outcome.ts';
import type { DiscoveryChannel, DiscoveryRow } from './store.ts';

export const sleepUntil = (at: number) => {
  const wait = at - Date.now();
  return wait > 0 ? new Promise<void>((r) => setTimeout(r, wait)) : Promise.resolve();
};

/** One paced provider API: its RateGate key and limit, and how a 429 holds it. */
export interface Paced {
  channel: DiscoveryChannel;
  step: PaceStep;
}

export function pacedApi(
  channel: DiscoveryChannel,
  settings: Record<string, unknown>,
  api: 'lookup' | 'list',
): Paced {
  if (channel === 'SLACK') {
    const method = api === 'lookup' ? 'users.lookupByEmail' : 'users.list';
    const perMinute = slackMethodPerMinute(method, settings);
    return {
      channel,
      step: {
        label: `Slack ${method} (${perMinute}/min per workspace)`,
        key: slackMethodKey(settings, method),
        limit: slackPerMinutePace(perMinute),
      },
    };
  }
  const perMinute = lineWorksPerMinute(settings);
  const key = api === 'lookup' ? 'GET /users/{userId}' : 'GET /users';
  return {
    channel,
    step: {
      label: `LINE WORKS ${key} (${perMinute}/min)`,
      key,
      limit: lineWorksPace(perMinute),
    },
  };
}

/**
 * The next slot on `api`: waited for here when it is near (true), or how many seconds the next
 * step must wait on the queue.
 */
export async function takeSlot(
  deps: DiscoveryDeps,
  tenantId: string,
  api: Paced,
): Promise<true | { deferSeconds: number }> {
  const reserve = deps.gate.reserveSteps;
  if (!reserve) return true;
  const [times] = await reserve(api.channel, tenantId, [[api.step]]);
  const at = times?.[0] ?? Date.now();
  if (at - Date.now() > MAX_INLINE_WAIT_MS) {
    return { deferSeconds: Math.ceil((at - Date.now()) / 1000) };
  }
  await sleepUntil(at);
  return true;
}

export async function holdApi(
  deps: DiscoveryDeps,
  tenantId: string,
  api: Paced,
  afterSeconds?: number,
) {
  const seconds = afterSeconds && afterSeconds > 0 ? afterSeconds : DEFAULT_HOLD_S;
  await deps.gate.hold?.(api.channel, tenantId, api.step.key, Date.now() + seconds * 1000);
  return seconds;
}

/** A provider failure as the step's outcome (the counters so far are kept). */
export async function onFailure(
  deps: DiscoveryDeps,
  run: DiscoveryRow,
  api: Paced,
  f: SlackDirectoryFailure | LineWorksDirectoryFailure,
): Promise<Partial<StepOutcome>> {
  switch (f.kind) {
    case 'rate_limited':
      return { deferSeconds: await holdApi(deps, run.tenantId, api, f.afterSeconds) };
    case 'retry':
      return { transient: f.reason };
    case 'missing_scope':
      return { error: `${f.reason}. Members are not searched until the scope ${f.scope} is added` };
    case 'failed':
      return { error: f.reason };
  }
}

/**
 * A LINE WORKS failure as the step's outcome; a refused token is dropped first (the next step
 * asks TokenVault for a new one) and counts as a transient failure, so a token refused every
 * time ends the run.
 */
export async function onLineWorksFailure(
  deps: DiscoveryDeps,
  run: DiscoveryRow,
  api: Paced,
  token: { drop: () => Promise<void> },
  f: LineWorksDirectoryFailure,
): Promise<Partial<StepOutcome>> {
  if (f.kind === 'retry' && f.tokenRejected) await token.drop();
  return onFailure(deps, run, api, f);
}

/** A directory call's access: the Slack bot token, or a LINE WORKS token with `user.read`. */
export type Access =
  | { ok: true; token: string; drop: () => Promise<void> }
  | { ok: false; outcome: Partial<StepOutcome> };

export async function access(
  deps: DiscoveryDeps,
  run: DiscoveryRow,
  creds: IntegrationCredentials,
): Promise<Access> {
  if (run.channel === 'SLACK') {
    return { ok: true, token: creds.secrets.botToken ?? '', drop: async () => {} };
  }
  const app = lineWorksAppCredentials(creds.settings, creds.secrets);
  if (!app) return { ok: false, outcome: { error: 'LINE WORKS credentials are missing' } };
  const token = await deps.tokens.lineWorks(run.tenantId, app, ['user.read']);
  if (!token.ok) {
    if (token.retryable) return { ok: false, outcome: { transient: token.reason } };
    const scope = /scope/i.test(token.reason)
      ? '; the app must be allowed the user.read scope (Developer Console › API › OAuth Scopes)'
      : '';
    return { ok: false, outcome: { error: `LINE WORKS: ${token.reason}${scope}` } };
  }
  return {
    ok: true,
    token: token.token,
    drop: () => deps.tokens.dropLineWorks(run.tenantId, app, ['user.read'], token.token),
  };
}
