import { AppError } from '../errors';
import { isUuid } from '../uuid';
import { isSaneDate } from './schema';

/*
 * Keyset pagination for `{ items, nextCursor }` lists ordered by (a time, id): the cursor is the
 * last row's key as opaque base64url text. Unlike an offset, rows inserted or removed between
 * two pages neither repeat nor skip a row.
 */

export interface Keyset {
  at: Date;
  id: string;
}

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify({ at: at.toISOString(), id })).toString('base64url');
}

/** The key a cursor carries; 400 INVALID_CURSOR for anything that is not one of ours (or a time out of range). */
export function decodeCursor(cursor: string): Keyset {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { at?: unknown; id?: unknown };
    const at = new Date(typeof v.at === 'string' ? v.at : Number.NaN);
    // A crafted time outside 0001–9999 would reach the SQL driver as a date PostgreSQL refuses.
    if (!isSaneDate(at) || typeof v.id !== 'string' || !isUuid(v.id)) throw new Error('bad');
    return { at, id: v.id.toLowerCase() };
  } catch {
    throw AppError.validation(
      'The cursor is not valid',
      [{ field: 'cursor', message: 'use nextCursor from a previous page' }],
      'INVALID_CURSOR',
    );
  }
}

/**
 * One page from rows fetched with `limit + 1` (the extra row only tells that more exist):
 * the first `limit` rows, and the cursor after the last of them, or null on the last page.
 */
export function pageOf<T>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => Keyset,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  if (rows.length <= limit || !last) return { items, nextCursor: null };
  const key = keyOf(last);
  return { items, nextCursor: encodeCursor(key.at, key.id) };
}
