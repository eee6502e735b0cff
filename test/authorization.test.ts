// Integration: field-level authorization. A hostile member, with two other members' deliveries,
// absences and emails in the tenant and another tenant next door, walks every nested path and
// node(id:) and gets only their own rows; the admin still sees everything.
import { describe, expect, it } from 'vitest';
import { gql, tenantId, token, tokens } from './helpers.ts';

const EMIT = `mutation ($input: WorkflowEventInput!) { emitWorkflowEvent(input: $input) {
  event { id } errors { code message } } }`;
const UPSERT_ABSENCE = `mutation ($input: AbsenceInput!) { upsertAbsence(input: $input) {
  absence { id } errors { code } } }`;
const DEEP = `{ deliveries(first: 100) { totalCount edges { node {
  id reason user { id userId email bindings { lineWorks { userId } line { status } } }
  event { id summary { queued sending retrying sent failed skipped }
    deliveries(first: 100) { totalCount edges { node { id reason user { userId email } } } } }
} } } }`;
const ADMIN_IDS = `{
  deliveries(first: 100) { edges { node { id user { id userId } event { id } } } }
  absences { id user { userId } }
  auditLog(first: 5) { edges { node { id } } }
}`;

interface Tenant {
  tenant: string;
  admin: string;
  service: string;
  members: string[];
  eventId: string;
}

/** A tenant whose members each get one (SKIPPED: no webhook) Google Chat delivery and one absence. */
async function seededTenant(members: string[]): Promise<Tenant> {
  const tenant = tenantId('authz');
  const { admin, service } = await tokens(tenant);
  await gql(
    'mutation { configureGoogleChat(input: { enabled: true }) { errors { code } } }',
    {},
    admin,
  );
  await gql(
    `mutation { setNotificationRules(rules: [
      { type: APPROVAL_REQUESTED, channel: GOOGLE_CHAT, enabled: true }]) { errors { code } } }`,
    {},
    admin,
  );
  const up = await gql(
    'mutation ($u: [UserInput!]!) { upsertUsers(users: $u) { errors { code } } }',
    { u: members.map((userId) => ({ userId, email: `${userId}@example.test` })) },
    service,
  );
  expect(up.data?.upsertUsers.errors).toEqual([]);
  const emitted = await gql(
    EMIT,
    {
      input: {
        idempotencyKey: `k-${tenant}`,
        type: 'APPROVAL_REQUESTED',
        documentId: 'doc-1',
        title: 'Expense report',
        url: 'https://workplace.test/doc/1',
        recipients: members,
      },
    },
    service,
  );
  expect(emitted.data?.emitWorkflowEvent.errors).toEqual([]);
  for (const userId of members) {
    const a = await gql(
      UPSERT_ABSENCE,
      {
        input: {
          absenceId: `abs-${userId}`,
          userId,
          title: 'Off',
          startDate: '2026-12-24',
          endDate: '2026-12-25',
          allDay: true,
        },
      },
      service,
    );
    expect(a.data?.upsertAbsence.errors).toEqual([]);
  }
  return { tenant, admin, service, members, eventId: emitted.data?.emitWorkflowEvent.event.id };
}

const nodeIdsOf = (data: any) => ({
  deliveries: data.deliveries.edges.map((e: any) => e.node),
  absences: data.absences,
  audit: data.auditLog.edges.map((e: any) => e.node.id),
});

describe('a member reads their own rows only, on every field', () => {
  it('nested deliveries, summaries, users, node(id:) and other tenants give only own rows', async () => {
    const hostile = `hostile-${crypto.randomUUID().slice(0, 6)}`;
    const victims = ['victim-a', 'victim-b'];
    const a = await seededTenant([hostile, ...victims]);
    const b = await seededTenant(['other-tenant-member']);
    const me = await token(a.tenant, 'user', hostile);

    // The deep path of the issue: every delivery, user and email reached is the caller's own.
    const deep = await gql(DEEP, {}, me);
    expect(deep.errors).toBeUndefined();
    const own = deep.data?.deliveries.edges.map((e: any) => e.node);
    expect(own).toHaveLength(1);
    for (const d of own) {
      expect(d.user.userId).toBe(hostile);
      expect(d.user.email).toBe(`${hostile}@example.test`);
      expect(d.reason).toBeTruthy();
      expect(d.event.deliveries.totalCount).toBe(1);
      const nested = d.event.deliveries.edges.map((e: any) => e.node);
      expect(nested.map((n: any) => n.user.userId)).toEqual([hostile]);
      const s = d.event.summary;
      expect(s.queued + s.sending + s.retrying + s.sent + s.failed + s.skipped).toBe(1);
    }
    expect(JSON.stringify(deep)).not.toContain('victim');

    // Filters cannot widen it.
    const filtered = await gql(
      '{ deliveries(filter: { userId: "victim-a" }) { totalCount edges { node { id } } } }',
      {},
      me,
    );
    expect(filtered.data?.deliveries.totalCount).toBe(0);
    const absences = await gql(
      '{ a: absences { user { userId } } b: absences(userId: "victim-a") { id } }',
      {},
      me,
    );
    expect(absences.data?.a.map((x: any) => x.user.userId)).toEqual([hostile]);
    expect(absences.data?.b).toEqual([]);

    // The admin's view: everything, which gives the hostile member real ids to try.
    const adminView = await gql(ADMIN_IDS, {}, a.admin);
    expect(adminView.errors).toBeUndefined();
    const ids = nodeIdsOf(adminView.data);
    expect(new Set(ids.deliveries.map((d: any) => d.user.userId))).toEqual(
      new Set([hostile, ...victims]),
    );
    const theirDeliveries = ids.deliveries.filter((d: any) => d.user.userId !== hostile);
    const theirUsers = [
      ...new Map(theirDeliveries.map((d: any) => [d.user.id, d.user.id])).values(),
    ];
    const theirAbsences = ids.absences.filter((x: any) => x.user.userId !== hostile);
    expect(theirDeliveries).toHaveLength(2);
    expect(theirUsers).toHaveLength(2);
    expect(theirAbsences).toHaveLength(2);

    const otherTenant = nodeIdsOf((await gql(ADMIN_IDS, {}, b.admin)).data);
    const foreign = [
      ...theirDeliveries.map((d: any) => d.id),
      ...theirUsers,
      ...theirAbsences.map((x: any) => x.id),
      ...otherTenant.deliveries.map((d: any) => d.id),
      ...otherTenant.deliveries.map((d: any) => d.user.id),
      ...otherTenant.absences.map((x: any) => x.id),
    ];
    const NODE = `query ($id: ID!) { node(id: $id) { id
      ... on Delivery { reason user { userId email } event { title } }
      ... on User { userId email bindings { line { status } } }
      ... on Absence { title user { userId } } } }`;
    for (const id of foreign) {
      const r = await gql(NODE, { id }, me);
      expect(r.errors, id).toBeUndefined();
      expect(r.data?.node, id).toBeNull();
    }
    // Types a member can never read are refused outright, in this tenant and the other.
    for (const id of [a.eventId, b.eventId, ids.audit[0], otherTenant.audit[0]]) {
      const r = await gql('query ($id: ID!) { node(id: $id) { id } }', { id }, me);
      expect(r.errors?.[0]?.extensions?.code, id).toBe('FORBIDDEN');
      expect(r.data?.node ?? null).toBeNull();
    }
    const event = await gql(
      'query ($id: ID!) { workflowEvent(id: $id) { id } }',
      { id: a.eventId },
      me,
    );
    expect(event.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    for (const q of [
      '{ users { totalCount } }',
      '{ auditLog { totalCount } }',
      '{ integrations { slack { enabled } } }',
    ]) {
      expect((await gql(q, {}, me)).errors?.[0]?.extensions?.code, q).toBe('FORBIDDEN');
    }

    // Own rows by node id still work.
    const mine = ids.deliveries.find((d: any) => d.user.userId === hostile);
    const mineById = await gql(NODE, { id: mine.id }, me);
    expect(mineById.data?.node).toMatchObject({ id: mine.id, user: { userId: hostile } });
  });

  it('the admin still sees every member, and nothing of another tenant', async () => {
    const a = await seededTenant(['m1', 'm2', 'm3']);
    const b = await seededTenant(['x1']);
    const deep = await gql(DEEP, {}, a.admin);
    expect(deep.errors).toBeUndefined();
    expect(deep.data?.deliveries.totalCount).toBe(3);
    for (const e of deep.data?.deliveries.edges ?? []) {
      expect(e.node.event.deliveries.totalCount).toBe(3);
      const s = e.node.event.summary;
      expect(s.queued + s.sending + s.retrying + s.sent + s.failed + s.skipped).toBe(3);
      expect(e.node.user.email).toBe(`${e.node.user.userId}@example.test`);
    }
    const event = await gql(
      'query ($id: ID!) { workflowEvent(id: $id) { deliveries { totalCount } } }',
      { id: a.eventId },
      a.service,
    );
    expect(event.data?.workflowEvent.deliveries.totalCount).toBe(3);
    const otherTenant = nodeIdsOf((await gql(ADMIN_IDS, {}, b.admin)).data);
    for (const id of [
      b.eventId,
      otherTenant.deliveries[0].id,
      otherTenant.absences[0].id,
      otherTenant.audit[0],
    ]) {
      const r = await gql('query ($id: ID!) { node(id: $id) { id } }', { id }, a.admin);
      expect(r.data?.node, id).toBeNull();
    }
    const cross = await gql(
      'query ($id: ID!) { workflowEvent(id: $id) { id } }',
      { id: b.eventId },
      a.admin,
    );
    expect(cross.data?.workflowEvent).toBeNull();
  });

  it('no token is UNAUTHENTICATED on every root, a service is no member', async () => {
    const a = await seededTenant(['s1']);
    for (const q of [
      '{ deliveries { totalCount } }',
      '{ me { id } }',
      '{ node(id: "x") { id } }',
      '{ absences { id } }',
    ]) {
      expect((await gql(q, {}, null)).errors?.[0]?.extensions?.code, q).toBe('UNAUTHENTICATED');
    }
    expect((await gql('{ me { id } }', {}, a.service)).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    // Query.deliveries is "admin: all; user: own" in the contract: no service.
    expect(
      (await gql('{ deliveries { totalCount } }', {}, a.service)).errors?.[0]?.extensions?.code,
    ).toBe('FORBIDDEN');
  });
});
