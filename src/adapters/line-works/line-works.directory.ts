/**
 * LINE WORKS directory: one member by resource id, login id (email) or `externalKey:{key}`.
 * A bot callback names the clicker by the permanent resource id (`userId`), not by the login id
 * Renkei sends to, so Renkei learns it here (v2 facts › LINE WORKS; scope `user.read`).
 * https://developers.worksmobile.com/jp/docs/user-get-profile
 */
import { describeNetworkFailure, fetchWithTimeout, readJson } from '../http.ts';
import { classifyLineWorksError } from './line-works.errors.ts';
import type { LineWorksApiFailure } from './line-works.types.ts';

export interface LineWorksUserRequest {
  /** LINE_WORKS_API_BASE. */
  apiBase: string;
  accessToken: string;
  /** Resource id, login id (email) or `externalKey:{key}`; URL-encoded here. */
  userId: string;
  timeoutMs: number;
}

export type LineWorksUserResult =
  | { ok: true; userId: string; email?: string; userName?: string }
  | LineWorksApiFailure;

/** `GET /users/{userId}` → the member's permanent resource id and, when present, email. */
export async function getLineWorksUser(
  request: LineWorksUserRequest,
): Promise<LineWorksUserResult> {
  const path = `/users/${encodeURIComponent(request.userId)}`;
  const outcome = await fetchWithTimeout(
    `${request.apiBase.replace(/\/+$/, '')}${path}`,
    { method: 'GET', headers: { authorization: `Bearer ${request.accessToken}` } },
    request.timeoutMs,
  );
  if (!outcome.ok) {
    return {
      ok: false,
      status: 0,
      code: 'NO_RESPONSE',
      reason: describeNetworkFailure('LINE WORKS GET /users', outcome.failure),
      retryable: true,
    };
  }
  const { response } = outcome;
  if (!response.ok) {
    const error = await classifyLineWorksError(response, [request.accessToken]);
    const failure: LineWorksApiFailure = {
      ok: false,
      status: error.status,
      code: error.code,
      reason: error.reason,
      retryable: error.kind === 'retry',
    };
    if (error.kind === 'retry' && error.tokenRejected) failure.tokenRejected = true;
    return failure;
  }
  const body = (await readJson(response)) as Record<string, unknown> | undefined;
  const userId = body?.userId;
  if (typeof userId !== 'string' || userId === '') {
    return {
      ok: false,
      status: response.status,
      code: 'INVALID_RESPONSE',
      reason: 'LINE WORKS GET /users returned no userId',
      retryable: false,
    };
  }
  const name = body?.userName as { lastName?: unknown; firstName?: unknown } | string | undefined;
  const userName =
    typeof name === 'string'
      ? name
      : [name?.lastName, name?.firstName].filter((x) => typeof x === 'string').join(' ') ||
        undefined;
  return {
    ok: true,
    userId,
    ...(typeof body?.email === 'string' ? { email: body.email } : {}),
    ...(userName ? { userName } : {}),
  };
}
