// Shared by the findBindings integration tests: members in, progress polled until the run ends.
import { expect } from 'vitest';
import { gql } from './helpers.ts';

export const PROGRESS = `query ($c: Channel!) { bindingDiscovery(channel: $c) {
  channel status total checked found notFound error startedAt finishedAt } }`;

/** Upserts WORKPLACE members (1,000 per request, as WORKPLACE syncs them). */
export async function upsertMembers(
  members: { userId: string; email?: string; lineWorksUserId?: string }[],
  service: string,
) {
  for (let i = 0; i < members.length; i += 1000) {
    const r = await gql(
      'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code message } } }',
      { u: members.slice(i, i + 1000) },
      service,
    );
    expect(r.data?.upsertUsers.errors).toEqual([]);
  }
}

/** The channel's latest run once it is no longer RUNNING (or as it is after `ms`). */
export async function discoveryEnded(channel: 'SLACK' | 'LINE_WORKS', admin: string, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const p = (await gql(PROGRESS, { c: channel }, admin)).data?.bindingDiscovery;
    if (p?.status !== 'RUNNING' || Date.now() > end) return p;
    await new Promise((r) => setTimeout(r, 250));
  }
}
