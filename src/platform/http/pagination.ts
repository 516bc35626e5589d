import { Type, type Static } from '@sinclair/typebox';
import { invalid } from '../errors.js';

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});
export type PageQuery = Static<typeof PageQuery>;

export interface Page<T> {
  items: T[];
  /** Opaque; pass it back as `cursor` for the next page. Absent on the last page. */
  nextCursor?: string;
}

/** Cursors are opaque to clients: a base64url JSON of the sort key of the last row seen. */
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): unknown[] | undefined {
  if (!cursor) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v)) return v;
  } catch {
    // fall through to the error below
  }
  throw invalid('request.invalid', 'cursor', 'cursor is not one this server gave');
}

export function decodeNumericCursor(cursor: string | undefined): number | undefined {
  const key = decodeCursor(cursor);
  if (!key) return undefined;
  const n = key[0];
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw invalid('request.invalid', 'cursor', 'cursor is not one this server gave');
  }
  return n;
}

/** Rows were fetched with limit + 1: the extra row only says there is a next page. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => unknown[]): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return last === undefined ? { items } : { items, nextCursor: encodeCursor(keyOf(last)) };
}
