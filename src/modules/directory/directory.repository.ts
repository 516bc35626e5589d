import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db.js';
import type { DirectoryListingTable } from './directory.tables.js';

export type ListingRow = Selectable<DirectoryListingTable>;

const LISTING_COLUMNS = [
  'id',
  'code',
  'directory',
  'subscription_id',
  'customer_id',
  'title',
  'last_name',
  'first_names',
  'nickname',
  'company',
  'heading_id',
  'heading_path',
  'street_number',
  'street',
  'locality',
  'postal_code',
  'numbers',
  'unlisted',
  'no_marketing',
  'no_reverse_search',
  'source',
  'created_at',
  'updated_at',
  'version',
  'primary_number',
  'name_key',
  'fterms',
] as const;

export function findListingByCode(db: Executor, code: string): Promise<ListingRow | undefined> {
  return db
    .selectFrom('directory_listing')
    .select(LISTING_COLUMNS)
    .where('code', '=', code)
    .executeTakeFirst();
}

export function lockListingByCode(db: Executor, code: string): Promise<ListingRow | undefined> {
  return db
    .selectFrom('directory_listing')
    .select(LISTING_COLUMNS)
    .where('code', '=', code)
    .forUpdate()
    .executeTakeFirst();
}

export function findListingsByIds(db: Executor, ids: number[]): Promise<ListingRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('directory_listing').select(LISTING_COLUMNS).where('id', 'in', ids).execute();
}

/** What an enquiry answer shows of a listing, plus what it is checked on again (unlisted, directory). */
export const SEARCH_ITEM_COLUMNS = [
  'id',
  'code',
  'directory',
  'title',
  'last_name',
  'first_names',
  'nickname',
  'company',
  'heading_path',
  'street_number',
  'street',
  'locality',
  'postal_code',
  'numbers',
  'unlisted',
] as const;

export function findSearchItemsByIds(db: Executor, ids: number[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('directory_listing').select(SEARCH_ITEM_COLUMNS).where('id', 'in', ids).execute();
}

export function findListings(
  db: Executor,
  by: { subscriptionId?: number; customerId?: number; number?: string },
): Promise<ListingRow[]> {
  let q = db.selectFrom('directory_listing').select(LISTING_COLUMNS);
  if (by.subscriptionId !== undefined) q = q.where('subscription_id', '=', by.subscriptionId);
  if (by.customerId !== undefined) q = q.where('customer_id', '=', by.customerId);
  if (by.number !== undefined) q = q.where(sql<boolean>`numbers @> ARRAY[${by.number}]::text[]`);
  return q.orderBy('id').limit(500).execute();
}

/** Listings of one directory (and locality) for an edition: never the unlisted ones. */
export function findEditionListings(
  db: Executor,
  directory: string,
  locality: string | undefined,
): Promise<ListingRow[]> {
  let q = db
    .selectFrom('directory_listing')
    .select(LISTING_COLUMNS)
    .where('directory', '=', directory as ListingRow['directory'])
    .where('unlisted', '=', false);
  if (locality !== undefined) q = q.where(sql<boolean>`gpto_dir_norm(locality) = gpto_dir_norm(${locality})`);
  return q.execute();
}

export async function findHeadingByPath(
  db: Executor,
  path: string,
): Promise<{ id: number; path: string } | undefined> {
  return db
    .selectFrom('directory_heading')
    .select(['id', 'path'])
    .where('path', '=', path)
    .executeTakeFirst();
}

/** Creates the heading and its missing ancestors; returns the leaf id. */
export async function ensureHeadingPath(db: Executor, labels: string[]): Promise<number> {
  let parent: number | null = null;
  for (let i = 0; i < labels.length; i++) {
    const path = labels.slice(0, i + 1).join(' > ');
    const label = labels[i] as string;
    await db
      .insertInto('directory_heading')
      .values({ parent_id: parent, label, path })
      .onConflict((oc) => oc.column('path').doNothing())
      .execute();
    const row = await db
      .selectFrom('directory_heading')
      .select('id')
      .where('path', '=', path)
      .executeTakeFirstOrThrow();
    parent = row.id;
  }
  if (parent === null) throw new Error('empty heading path');
  return parent;
}

export function listHeadings(
  db: Executor,
): Promise<{ id: number; parent_id: number | null; label: string; path: string; listings: number }[]> {
  return db
    .selectFrom('directory_heading as h')
    .select(['h.id', 'h.parent_id', 'h.label', 'h.path'])
    .select((eb) =>
      eb
        .selectFrom('directory_listing as l')
        .select(sql<number>`count(*)::int`.as('n'))
        .whereRef('l.heading_id', '=', 'h.id')
        .where('l.unlisted', '=', false)
        .as('listings'),
    )
    .orderBy('h.path')
    .execute() as Promise<
    { id: number; parent_id: number | null; label: string; path: string; listings: number }[]
  >;
}
