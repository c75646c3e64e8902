import { AppError } from '../errors';

/*
 * Keyset pagination for `{ items, nextCursor }` lists ordered by (a time, id): the cursor is the
 * last row's key as opaque base64url text. Unlike an offset, rows inserted or removed between
 * two pages neither repeat nor skip a row.
 */

export interface Keyset {
  at: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify({ at: at.toISOString(), id })).toString('base64url');
}

/** The key a cursor carries; 400 INVALID_CURSOR for anything that is not one of ours. */
export function decodeCursor(cursor: string): Keyset {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { at?: unknown; id?: unknown };
    const at = new Date(typeof v.at === 'string' ? v.at : Number.NaN);
    if (Number.isNaN(at.getTime()) || typeof v.id !== 'string' || !UUID.test(v.id)) throw new Error('bad');
    return { at, id: v.id };
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
