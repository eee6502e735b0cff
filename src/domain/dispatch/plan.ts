/**
 * Step 2, plan: who each claimed delivery goes to and how, from the members, events and
 * integrations the claim read (only the credentials are decrypted here). Each delivery is routed
 * again (settings or bindings may have changed since emit time) into a job to send, or a final
 * outcome without a send.
 */
import type { Channel } from '../../adapters/types.ts';
import { type ChannelDriver, DRIVERS } from '../channels/index.ts';
import type { EventRow } from '../deliveries.ts';
import { credentialsOf, type IntegrationCredentials } from '../integrations.ts';
import { digestContents } from '../preferences/index.ts';
import { STALE_SLOT_MS } from '../retry-policy.ts';
import { route } from '../routing.ts';
import type { Loaded } from './claim.ts';
import type { Claimed, DispatchDeps, Final, Job } from './types.ts';

export interface Plan {
  jobs: Job[];
  finals: Final[];
  credentials: Map<Channel, IntegrationCredentials | null>;
  events: Map<string, EventRow>;
  /** When the plan was made: the time pacing reserves and waits from. */
  now: number;
}

export async function plan(
  deps: DispatchDeps,
  tenantId: string,
  claimed: readonly Claimed[],
  loaded: Loaded,
): Promise<Plan> {
  const channelsHere = [...new Set(claimed.map((c) => c.row.channel as Channel))];
  const rowOf = new Map(loaded.integrations.map((r) => [r.kind, r]));
  const credentials = new Map<Channel, IntegrationCredentials | null>(
    await Promise.all(
      channelsHere.map(async (channel) => {
        const row = rowOf.get(channel);
        return [channel, row ? await credentialsOf(deps.env.SECRETS_KEY, row) : null] as const;
      }),
    ),
  );
  const events = new Map(loaded.events.map((e) => [e.id, e]));
  // Digest deliveries list their items (one more read, only when the batch has digests).
  const digests = await digestContents(
    deps.db,
    tenantId,
    claimed.flatMap(({ row }) => {
      const e = events.get(row.eventId);
      return e?.isDigest ? [{ id: row.id, items: row.items, url: e.url }] : [];
    }),
  );
  const userById = new Map(loaded.users.map((u) => [u.id, u]));

  const now = Date.now();
  const finals: Final[] = [];
  const jobs: Job[] = [];
  for (const { msg, row } of claimed) {
    const user = userById.get(row.userRowId);
    const channel = row.channel as Channel;
    const creds = credentials.get(channel);
    if (!user) {
      finals.push({ msg, row, user: null, reason: 'the member no longer exists' });
      continue;
    }
    const routed = route(user, channel, {
      enabled: creds?.enabled ?? false,
      status: creds?.status ?? 'DISABLED',
      lastError: creds?.lastError ?? null,
      settings: creds?.settings ?? {},
    });
    if (routed.status === 'SKIPPED') {
      finals.push({ msg, row, user, reason: routed.reason ?? '' });
      continue;
    }
    const driver = DRIVERS[channel] as ChannelDriver;
    const steps = deps.gate.reserveSteps
      ? driver.paceSteps?.(user, creds?.settings ?? {})
      : undefined;
    if (steps) {
      // Times reserved before the message went back on the queue; RateGate keeps those still
      // valid (not past, not under a hold) and reserves the rest anew.
      const held = msg.body.slots;
      if (held && held.length === steps.length) {
        steps.forEach((step, i) => {
          step.at = held[i];
        });
      }
    }
    jobs.push({
      msg,
      row,
      user,
      channel,
      driver,
      paceKey: driver.paceKey(user),
      ...(steps ? { steps } : {}),
      ...(digests.has(row.id) ? { digest: digests.get(row.id) } : {}),
      // A slot the queue delivered us too late for is not ours any more.
      slotAt:
        !steps && msg.body.slotAt !== undefined && msg.body.slotAt + STALE_SLOT_MS >= now
          ? msg.body.slotAt
          : undefined,
    });
  }
  return { jobs, finals, credentials, events, now };
}
