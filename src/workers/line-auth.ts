/**
 * LineAuth Durable Object, one per tenant: pending LINE Login states (state → nonce, PKCE
 * verifier, member, expiry), each taken at most once, and the webhook event ids already seen.
 * An alarm deletes what has expired. SQLite-backed; `delete … returning` makes a take atomic.
 */
import { DurableObject } from 'cloudflare:workers';
import type { PendingLogin } from '../domain/line-link/types.ts';

export class LineAuth extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`create table if not exists login_states (
      state text primary key, pending text not null, expires_at integer not null)`);
    ctx.storage.sql.exec(`create table if not exists webhook_events (
      event_id text primary key, expires_at integer not null)`);
  }

  /** Stores a pending login under `state` until `pending.expiresAt`. */
  async createState(state: string, pending: PendingLogin): Promise<void> {
    this.ctx.storage.sql.exec(
      'insert into login_states (state, pending, expires_at) values (?, ?, ?)',
      state,
      JSON.stringify(pending),
      pending.expiresAt,
    );
    await this.scheduleCleanup(pending.expiresAt);
  }

  /** The pending login under `state`, removed in the same statement; null if unknown or expired. */
  async takeState(state: string): Promise<PendingLogin | null> {
    const rows = this.ctx.storage.sql
      .exec<{ pending: string; expires_at: number }>(
        'delete from login_states where state = ? returning pending, expires_at',
        state,
      )
      .toArray();
    const row = rows[0];
    if (!row || row.expires_at <= Date.now()) return null;
    return JSON.parse(row.pending) as PendingLogin;
  }

  /** Records `eventId`; true when it was already recorded (and still remembered). */
  async seenWebhookEvent(eventId: string, ttlMs: number): Promise<boolean> {
    const expiresAt = Date.now() + ttlMs;
    const cursor = this.ctx.storage.sql.exec(
      'insert into webhook_events (event_id, expires_at) values (?, ?) on conflict do nothing',
      eventId,
      expiresAt,
    );
    if (cursor.rowsWritten === 0) return true;
    await this.scheduleCleanup(expiresAt);
    return false;
  }

  async forgetWebhookEvent(eventId: string): Promise<void> {
    this.ctx.storage.sql.exec('delete from webhook_events where event_id = ?', eventId);
  }

  /** Deletes expired states and event ids, then wakes again at the next expiry. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    sql.exec('delete from login_states where expires_at <= ?', now);
    sql.exec('delete from webhook_events where expires_at <= ?', now);
    const next = sql
      .exec<{ at: number | null }>(
        `select min(at) as at from (
          select min(expires_at) as at from login_states
          union all select min(expires_at) as at from webhook_events)`,
      )
      .one().at;
    if (next != null) await this.ctx.storage.setAlarm(next);
  }

  private async scheduleCleanup(at: number) {
    const current = await this.ctx.storage.getAlarm();
    if (current == null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
