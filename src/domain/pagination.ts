/** Relay-style cursors: opaque base64url JSON of the sort key of the last row seen. */
import { base64UrlToBytes, textToBase64Url } from '../lib/base64.ts';
import { InputError } from './errors.ts';

export const DEFAULT_PAGE = 20;
/** The most rows one root connection returns (`first` above it is clamped). */
export const MAX_PAGE = 100;
/**
 * The most rows a connection nested in another's rows returns (WorkflowEvent.deliveries): a
 * page of 100 deliveries × 20 of each event's deliveries is already 2,000 rows.
 */
export const MAX_NESTED_PAGE = 20;

export function encodeCursor(key: Record<string, string>): string {
  return textToBase64Url(JSON.stringify(key));
}

/** Decodes a cursor made by `encodeCursor` with exactly `fields`; a bad cursor is an InputError. */
export function decodeCursor<K extends string>(
  cursor: string | null | undefined,
  fields: readonly K[],
): Record<K, string> | null {
  if (cursor == null) return null;
  try {
    const value = JSON.parse(new TextDecoder().decode(base64UrlToBytes(cursor))) as unknown;
    if (value && typeof value === 'object') {
      const rec = value as Record<string, unknown>;
      if (fields.every((f) => typeof rec[f] === 'string')) return rec as Record<K, string>;
    }
  } catch {
    // fall through to the error below
  }
  throw new InputError([{ code: 'INVALID', message: 'Invalid cursor', field: ['after'] }]);
}

/** `first` clamped to 1..`max`; a negative or zero value is an InputError. */
export function pageSize(first: number | null | undefined, max = MAX_PAGE): number {
  if (first == null) return Math.min(DEFAULT_PAGE, max);
  if (first < 1) {
    throw new InputError([
      { code: 'INVALID', message: '`first` must be at least 1', field: ['first'] },
    ]);
  }
  return Math.min(first, max);
}

/** `first` of a nested connection, clamped to 1..MAX_NESTED_PAGE. */
export function nestedPageSize(first: number | null | undefined): number {
  return pageSize(first, MAX_NESTED_PAGE);
}

/** A page from a query that fetched `first + 1` rows: the extra row only says there is more. */
export function pageOf<T>(rows: T[], first: number, total: { n: number }[]) {
  return {
    rows: rows.slice(0, first),
    hasNextPage: rows.length > first,
    totalCount: total[0]?.n ?? 0,
  };
}
