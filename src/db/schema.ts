/**
 * D1 schema. Every table is keyed by tenant first so a tenant can move to its own database
 * without a schema change (ARCHITECTURE.md, "Scale, on paper").
 */
import { sql } from 'drizzle-orm';
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`;

/** One row per (tenant, integration kind); secrets are AES-GCM ciphertexts inside `secrets`. */
export const integrations = sqliteTable(
  'integrations',
  {
    tenantId: text('tenant_id').notNull(),
    kind: text('kind').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(false),
    status: text('status').notNull().default('DISABLED'),
    /** Non-secret settings and facts learned from the provider, as JSON. */
    settings: text('settings').notNull().default('{}'),
    /** `{ [name]: { c: base64(iv‖ciphertext), hint, updatedAt } }` as JSON. */
    secrets: text('secrets').notNull().default('{}'),
    lastVerifiedAt: text('last_verified_at'),
    lastError: text('last_error'),
    updatedAt: text('updated_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.kind] })],
);

/** A notification rule that is on; a missing row means off (通知管理 starts all off). */
export const notificationRules = sqliteTable(
  'notification_rules',
  {
    tenantId: text('tenant_id').notNull(),
    type: text('type').notNull(),
    channel: text('channel').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull(),
    /** Members cannot switch this type off on this channel (updateMyPreferences). */
    required: integer('required', { mode: 'boolean' }).notNull().default(false),
    /** Ignores members' quiet hours and digests. */
    urgent: integer('urgent', { mode: 'boolean' }).notNull().default(false),
    updatedAt: text('updated_at').notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.type, t.channel] })],
);

/** A WORKPLACE member and their bindings to each channel. */
export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    userId: text('user_id').notNull(),
    displayName: text('display_name'),
    email: text('email'),
    locale: text('locale').notNull().default('JA'),
    lineWorksUserId: text('line_works_user_id'),
    /**
     * The member's permanent LINE WORKS resource id (a UUID), learned with `GET /users/{loginId}`:
     * bot callbacks name the clicker by it, not by the login id Renkei sends to.
     */
    lineWorksResourceId: text('line_works_resource_id'),
    slackMemberId: text('slack_member_id'),
    slackDmChannelId: text('slack_dm_channel_id'),
    slackError: text('slack_error'),
    /** The member's Google Chat webhook URL, encrypted (its token is a secret). */
    googleChatWebhook: text('google_chat_webhook'),
    googleChatSpace: text('google_chat_space'),
    googleChatError: text('google_chat_error'),
    lineUserId: text('line_user_id'),
    lineStatus: text('line_status').notNull().default('NOT_LINKED'),
    lineDisplayName: text('line_display_name'),
    lineLinkedAt: text('line_linked_at'),
    createdAt: text('created_at').notNull().default(now),
    updatedAt: text('updated_at').notNull().default(now),
  },
  (t) => [
    uniqueIndex('users_tenant_user').on(t.tenantId, t.userId),
    index('users_tenant_line').on(t.tenantId, t.lineUserId),
  ],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    at: text('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    detail: text('detail'),
  },
  (t) => [index('audit_tenant_at').on(t.tenantId, t.at, t.id)],
);

export const workflowEvents = sqliteTable(
  'workflow_events',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    type: text('type').notNull(),
    documentId: text('document_id').notNull(),
    title: text('title').notNull(),
    url: text('url').notNull(),
    actorName: text('actor_name'),
    comment: text('comment'),
    occurredAt: text('occurred_at'),
    /** A test message from sendTestNotification rather than a WORKPLACE event. */
    isTest: integer('is_test', { mode: 'boolean' }).notNull().default(false),
    /** The event of a digest delivery (Renkei's own: it lists the deliveries folded into it). */
    isDigest: integer('is_digest', { mode: 'boolean' }).notNull().default(false),
    /** What recipients may decide from the chat (JSON array of DecisionAction; DECISIONS.md). */
    actions: text('actions').notNull().default('[]'),
    createdAt: text('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('events_tenant_key').on(t.tenantId, t.idempotencyKey),
    index('events_tenant_created').on(t.tenantId, t.createdAt),
    // A later event for the same document closes an earlier one's actions.
    index('events_tenant_document').on(t.tenantId, t.documentId, t.createdAt),
  ],
);

/** One row per (event, recipient, channel): the delivery ledger. */
export const deliveries = sqliteTable(
  'deliveries',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    eventId: text('event_id').notNull(),
    userRowId: text('user_row_id').notNull(),
    channel: text('channel').notNull(),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    reason: text('reason'),
    providerMessageId: text('provider_message_id'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
    sentAt: text('sent_at'),
    /**
     * Where the sent message lives, for editing it later (Slack: the `D…` channel and the `ts`
     * chat.postMessage answered; chat.update needs both).
     */
    messageChannel: text('message_channel'),
    messageTs: text('message_ts'),
    /** When the next step is expected (enqueue, retry, slot); the sweeper looks past it. */
    dueAt: text('due_at').notNull(),
    /** HELD: when it goes out (the end of the member's quiet hours, or their digest time). */
    heldUntil: text('held_until'),
    /** HELD: what it waits for, `QUIET` (quiet hours) or `DIGEST` (the next digest). */
    hold: text('hold'),
    /** DIGESTED: the digest delivery it went out in. */
    digestId: text('digest_id'),
    /** How many notifications this delivery carries: 1, or a digest's count. */
    items: integer('items').notNull().default(1),
  },
  (t) => [
    index('deliveries_tenant_digest').on(t.tenantId, t.digestId),
    index('deliveries_tenant_created').on(t.tenantId, t.createdAt, t.id),
    index('deliveries_tenant_event').on(t.tenantId, t.eventId, t.status),
    index('deliveries_tenant_user').on(t.tenantId, t.userRowId),
    index('deliveries_status_due').on(t.status, t.dueAt),
  ],
);

/**
 * One row per (tenant, WORKPLACE absence): what the member's LINE WORKS calendar should show
 * and what was last synced there. `version` grows with every change of the wanted state and
 * `syncedVersion` says which one the calendar holds, so a repeated upsert changes nothing.
 */
export const absences = sqliteTable(
  'absences',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    absenceId: text('absence_id').notNull(),
    userRowId: text('user_row_id').notNull(),
    title: text('title').notNull(),
    startDate: text('start_date').notNull(),
    endDate: text('end_date').notNull(),
    allDay: integer('all_day', { mode: 'boolean' }).notNull(),
    startTime: text('start_time'),
    endTime: text('end_time'),
    timeZone: text('time_zone').notNull(),
    note: text('note'),
    /** The member wants it gone (cancelAbsence). */
    cancelled: integer('cancelled', { mode: 'boolean' }).notNull().default(false),
    syncStatus: text('sync_status').notNull(),
    calendarEventId: text('calendar_event_id'),
    /** The LINE WORKS user whose calendar holds the event (to update or delete it there). */
    calendarUserId: text('calendar_user_id'),
    reason: text('reason'),
    attempts: integer('attempts').notNull().default(0),
    version: integer('version').notNull().default(1),
    syncedVersion: integer('synced_version').notNull().default(0),
    /**
     * The calendar job that holds the absence (one at a time): it alone calls LINE WORKS for it
     * until `leaseUntil`, and brings every change made meanwhile to the calendar before letting go.
     */
    claimId: text('claim_id'),
    leaseUntil: text('lease_until'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
    dueAt: text('due_at').notNull(),
  },
  (t) => [
    uniqueIndex('absences_tenant_absence').on(t.tenantId, t.absenceId),
    index('absences_tenant_user_start').on(t.tenantId, t.userRowId, t.startDate),
    index('absences_status_due').on(t.syncStatus, t.dueAt),
  ],
);

/**
 * The tenant directory: which shard holds a tenant's rows (src/db/shards.ts). Every shard has
 * the table (one migration list for all); only shard 0's copy is read and written.
 */
export const tenantDirectory = sqliteTable('tenant_directory', {
  tenantId: text('tenant_id').primaryKey(),
  shard: integer('shard').notNull(),
  createdAt: text('created_at').notNull().default(now),
});

/**
 * One row per tenant with LINE: the official account's monthly message quota as LINE last
 * reported it, plus what Renkei pushed since, so pushes stop before LINE refuses them.
 */
export const lineQuotas = sqliteTable('line_quotas', {
  tenantId: text('tenant_id').primaryKey(),
  /** The Asia/Tokyo calendar month (`YYYY-MM`) the numbers below belong to. */
  month: text('month').notNull(),
  /** Messages allowed this month; null when the plan has no limit (`{"type":"none"}`). */
  quotaLimit: integer('quota_limit'),
  /** LINE's count of messages sent this month at `checkedAt`; null before the first read. */
  used: integer('used'),
  /** When LINE last answered both quota reads. */
  checkedAt: text('checked_at'),
  /** Pushes Renkei let through since `checkedAt` (not yet in LINE's count). */
  pushed: integer('pushed').notNull().default(0),
  /** When a push was answered "You have reached your monthly limit." in `month`. */
  exhaustedAt: text('exhausted_at'),
  /** When Renkei last tried to read the quota, successfully or not. */
  attemptedAt: text('attempted_at'),
  /** Why the last read failed; null after a good one. */
  error: text('error'),
  updatedAt: text('updated_at').notNull().default(now),
});

/**
 * A member's own notification preferences (updateMyPreferences): channel choices, quiet hours
 * and digest settings as JSON. No row: everything follows the rules.
 */
export const memberPreferences = sqliteTable(
  'member_preferences',
  {
    tenantId: text('tenant_id').notNull(),
    userRowId: text('user_row_id').notNull(),
    /** `[{ type, channel }]`: the cells the member switched off. */
    channelsOff: text('channels_off').notNull().default('[]'),
    /** `{ start, end, days, timeZone }` or null. */
    quietHours: text('quiet_hours'),
    /** `{ types, at, timeZone }` or null. */
    digest: text('digest'),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userRowId] })],
);

/**
 * A provider account found for a member by their email (issue 15): PROPOSED until an admin or
 * the member confirms (the binding is written) or rejects it. One row per (member, channel,
 * account), so a re-run never duplicates a proposal nor revives a REJECTED one.
 */
export const bindingSuggestions = sqliteTable(
  'binding_suggestions',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    userRowId: text('user_row_id').notNull(),
    channel: text('channel').notNull(),
    /** Slack member id / LINE WORKS user id (resource id). */
    externalId: text('external_id').notNull(),
    externalName: text('external_name'),
    status: text('status').notNull().default('PROPOSED'),
    /** The discovery run that found it. */
    discoveryId: text('discovery_id'),
    resolvedBy: text('resolved_by'),
    resolvedAt: text('resolved_at'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('suggestions_tenant_user_account').on(
      t.tenantId,
      t.userRowId,
      t.channel,
      t.externalId,
    ),
    index('suggestions_tenant_status').on(t.tenantId, t.status, t.createdAt, t.id),
  ],
);

/**
 * One findBindings run (issue 15): progress, the provider cursor and the chain's step, so a
 * run survives restarts. `step` orders the run's queue messages (a message for another step is
 * stale and dropped); `leaseUntil` says a consumer is working on the current step.
 */
export const bindingDiscoveries = sqliteTable(
  'binding_discoveries',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    channel: text('channel').notNull(),
    status: text('status').notNull(),
    /** LOOKUP (one call per member) or DIRECTORY (paging the provider's whole directory). */
    strategy: text('strategy').notNull(),
    total: integer('total').notNull().default(0),
    checked: integer('checked').notNull().default(0),
    found: integer('found').notNull().default(0),
    notFound: integer('not_found').notNull().default(0),
    error: text('error'),
    /** LOOKUP: the last WORKPLACE user id checked; DIRECTORY: the provider's next-page cursor. */
    cursor: text('cursor'),
    step: integer('step').notNull().default(0),
    /** Transient failures in a row on the current step. */
    attempts: integer('attempts').notNull().default(0),
    leaseUntil: text('lease_until'),
    startedBy: text('started_by').notNull(),
    startedAt: text('started_at').notNull(),
    finishedAt: text('finished_at'),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [
    index('discoveries_tenant_channel').on(t.tenantId, t.channel, t.startedAt),
    index('discoveries_status_updated').on(t.status, t.updatedAt),
    // No parallel runs per tenant and channel: a second start finds the running one.
    uniqueIndex('discoveries_one_running').on(t.tenantId, t.channel).where(sql`status = 'RUNNING'`),
  ],
);

/**
 * One row per (tenant, event, member): the member's answer from the chat (DECISIONS.md) and how
 * forwarding it to WORKPLACE went. The unique key makes the first click win.
 */
export const decisions = sqliteTable(
  'decisions',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    eventId: text('event_id').notNull(),
    /** The member who decided: `users.id` (the row id, as in `deliveries.user_row_id`). */
    userRowId: text('user_row_id').notNull(),
    /** The delivery whose button was clicked; null when the click names none. */
    deliveryId: text('delivery_id'),
    action: text('action').notNull(),
    channel: text('channel').notNull(),
    comment: text('comment'),
    status: text('status').notNull().default('PENDING'),
    /** WORKPLACE's message when REFUSED; the last error while retrying or when FAILED. */
    reason: text('reason'),
    /** Forwarding attempts so far (counted when an attempt starts). */
    attempts: integer('attempts').notNull().default(0),
    /** `attempts` when the last retryDecision put it back: the retry budget counts from here. */
    attemptsAtRetry: integer('attempts_at_retry').notNull().default(0),
    /** When the next forwarding attempt is due; the sweeper looks past it. */
    nextAttemptAt: text('next_attempt_at').notNull(),
    /** The attempt that holds the row: it alone sends until `leaseUntil`, then anyone may. */
    claimId: text('claim_id'),
    leaseUntil: text('lease_until'),
    decidedAt: text('decided_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('decisions_tenant_event_user').on(t.tenantId, t.eventId, t.userRowId),
    index('decisions_tenant_decided').on(t.tenantId, t.decidedAt, t.id),
    index('decisions_tenant_user').on(t.tenantId, t.userRowId, t.decidedAt),
    index('decisions_status_next').on(t.status, t.nextAttemptAt),
  ],
);
