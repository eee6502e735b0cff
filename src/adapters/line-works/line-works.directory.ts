/**
 * The LINE WORKS directory (PROVIDERS.md, v2 facts › LINE WORKS, "Directory"): one member by
 * resource id, login id (email) or `externalKey:{key}`, and the whole domain page by page. Both
 * need the `user.read` scope; a 403 is told apart from "no such member" (404).
 * https://developers.worksmobile.com/jp/docs/user-get-profile
 * https://developers.worksmobile.com/jp/docs/user-list
 */
import { describeNetworkFailure, fetchWithTimeout, readJson } from '../http.ts';
import { classifyLineWorksError } from './line-works.errors.ts';

/** A LINE WORKS member as the directory describes them (the parts Renkei reads). */
export interface LineWorksUser {
  /** The permanent resource id. */
  userId: string;
  email?: string;
  userExternalKey?: string;
  userName?: { lastName?: string; firstName?: string };
  isSuspended?: boolean;
  isDeleted?: boolean;
  isPending?: boolean;
  isAwaiting?: boolean;
}

export type LineWorksDirectoryFailure =
  | { kind: 'rate_limited'; reason: string; afterSeconds?: number }
  /** 5xx, network, or a refused token (`tokenRejected`: drop it and try once more). */
  | { kind: 'retry'; reason: string; tokenRejected?: true }
  /** 403: the app lacks `user.read`. */
  | { kind: 'missing_scope'; reason: string; scope: string }
  | { kind: 'failed'; reason: string };

export type LineWorksUserResult =
  | { ok: true; user: LineWorksUser | null }
  | ({ ok: false } & LineWorksDirectoryFailure);

export type LineWorksUserPage =
  | { ok: true; users: LineWorksUser[]; nextCursor: string | null }
  | ({ ok: false } & LineWorksDirectoryFailure);

interface DirectoryRequest {
  /** LINE_WORKS_API_BASE, e.g. `https://www.worksapis.com/v1.0`. */
  apiBase: string;
  accessToken: string;
  timeoutMs: number;
}

/** The scope both directory reads need. */
export const LINE_WORKS_DIRECTORY_SCOPE = 'user.read';

/**
 * `GET /users/{userId}`: `id` is a resource id, a login id (email) or `externalKey:{key}`;
 * null when LINE WORKS knows no such member (404).
 */
export async function getLineWorksUser(
  request: DirectoryRequest & { id: string },
): Promise<LineWorksUserResult> {
  const url = `${request.apiBase.replace(/\/+$/, '')}/users/${encodeURIComponent(request.id)}`;
  const r = await getJson(request, url);
  if (!r.ok) return r.notFound ? { ok: true, user: null } : r.failure;
  const user = asUser(r.json);
  return { ok: true, user };
}

/** `GET /users?domainId&count&cursor`: one page of the domain's members (count ≤ 100). */
export async function listLineWorksUsers(
  request: DirectoryRequest & { domainId: string; cursor: string | null; count: number },
): Promise<LineWorksUserPage> {
  const query = new URLSearchParams({ domainId: request.domainId, count: String(request.count) });
  if (request.cursor) query.set('cursor', request.cursor);
  const url = `${request.apiBase.replace(/\/+$/, '')}/users?${query.toString()}`;
  const r = await getJson(request, url);
  if (!r.ok) return r.failure;
  const body = (r.json ?? {}) as { users?: unknown; responseMetaData?: { nextCursor?: unknown } };
  const users = Array.isArray(body.users)
    ? body.users.map(asUser).filter((u): u is LineWorksUser => u !== null)
    : [];
  const next = body.responseMetaData?.nextCursor;
  return { ok: true, users, nextCursor: typeof next === 'string' && next !== '' ? next : null };
}

type Fetched =
  | { ok: true; json: unknown }
  | { ok: false; notFound: boolean; failure: { ok: false } & LineWorksDirectoryFailure };

async function getJson(request: DirectoryRequest, url: string): Promise<Fetched> {
  const outcome = await fetchWithTimeout(
    url,
    { method: 'GET', headers: { authorization: `Bearer ${request.accessToken}` } },
    request.timeoutMs,
  );
  const fail = (f: LineWorksDirectoryFailure, notFound = false): Fetched => ({
    ok: false,
    notFound,
    failure: { ok: false, ...f },
  });
  if (!outcome.ok) {
    return fail({ kind: 'retry', reason: describeNetworkFailure('LINE WORKS', outcome.failure) });
  }
  const { response } = outcome;
  if (response.ok) return { ok: true, json: await readJson(response) };
  const error = await classifyLineWorksError(response, [request.accessToken]);
  if (response.status === 404) return fail({ kind: 'failed', reason: error.reason }, true);
  if (response.status === 403) {
    return fail({
      kind: 'missing_scope',
      scope: LINE_WORKS_DIRECTORY_SCOPE,
      reason: `LINE WORKS 403 (${error.code}): the app needs the ${LINE_WORKS_DIRECTORY_SCOPE} scope (Developer Console › API › OAuth Scopes), then save the integration again`,
    });
  }
  if (error.kind === 'retry' && response.status === 429) {
    return fail({
      kind: 'rate_limited',
      reason: error.reason,
      ...(error.afterSeconds !== undefined ? { afterSeconds: error.afterSeconds } : {}),
    });
  }
  if (error.kind === 'retry') {
    return fail({
      kind: 'retry',
      reason: error.reason,
      ...(error.tokenRejected ? { tokenRejected: true as const } : {}),
    });
  }
  return fail({ kind: 'failed', reason: error.reason });
}

function asUser(value: unknown): LineWorksUser | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.userId !== 'string' || v.userId === '') return null;
  return v as unknown as LineWorksUser;
}

/** Whether Renkei may propose this member: no suspended, deleted or not yet activated ones. */
export function isProposableLineWorksUser(u: LineWorksUser): boolean {
  return !(u.isSuspended || u.isDeleted || u.isPending || u.isAwaiting);
}

/** The member's name as LINE WORKS shows it (Japanese order: last name first). */
export function lineWorksUserName(u: LineWorksUser): string | null {
  const name = [u.userName?.lastName, u.userName?.firstName].filter(Boolean).join(' ').trim();
  return name ? name.slice(0, 200) : null;
}
