import type { Db, Executor } from '../../platform/db.js';
import { appendEvent, diff, type Actor } from '../../platform/events.js';
import { DirectoryError, dirInvalid, listingNotFound } from './directory.errors.js';
import * as repo from './directory.repository.js';
import type { ListingRow } from './directory.repository.js';
import type { HeadingCreate, ListingCreate, ListingPatch, ListingQuery } from './directory.schemas.js';
import type { DirectoryKind } from './directory.tables.js';

export interface ListingAddress {
  streetNumber: string | null;
  street: string | null;
  locality: string | null;
  postalCode: string | null;
}

export interface Listing {
  code: string;
  directory: DirectoryKind;
  subscriptionId: number | null;
  customerId: number | null;
  title: string | null;
  lastName: string | null;
  firstNames: string | null;
  nickname: string | null;
  company: string | null;
  heading: { id: number; path: string } | null;
  address: ListingAddress;
  /** The first number: the one printed first and the one searched by reverse enquiry. */
  number: string;
  numbers: string[];
  unlisted: boolean;
  noMarketing: boolean;
  noReverseSearch: boolean;
  source: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export function toListing(r: ListingRow): Listing {
  return {
    code: r.code,
    directory: r.directory,
    subscriptionId: r.subscription_id,
    customerId: r.customer_id,
    title: r.title,
    lastName: r.last_name,
    firstNames: r.first_names,
    nickname: r.nickname,
    company: r.company,
    heading: r.heading_id !== null ? { id: r.heading_id, path: r.heading_path ?? '' } : null,
    address: {
      streetNumber: r.street_number,
      street: r.street,
      locality: r.locality,
      postalCode: r.postal_code,
    },
    number: r.numbers[0] ?? '',
    numbers: r.numbers,
    unlisted: r.unlisted,
    noMarketing: r.no_marketing,
    noReverseSearch: r.no_reverse_search,
    source: r.source,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Digits only: "33 821-45.67" and "338214567" are the same number. */
export function normNumber(raw: string): string | undefined {
  const digits = raw.replace(/[\s.\-()/]/g, '').replace(/^\+/, '');
  return /^[0-9]{6,15}$/.test(digits) ? digits : undefined;
}

/** "Santé>Pharmacies", " Santé >  Pharmacies " → ["Santé", "Pharmacies"]. */
export function headingLabels(path: string): string[] | undefined {
  const labels = path
    .split('>')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '');
  if (labels.length === 0 || labels.length > 5 || labels.some((l) => l.length > 120)) return undefined;
  return labels;
}

const clean = (v: string | null | undefined): string | null => {
  if (v === undefined || v === null) return null;
  const t = v.trim().replace(/\s+/g, ' ');
  return t === '' ? null : t;
};

interface ListingValues {
  directory: DirectoryKind;
  subscription_id: number | null;
  customer_id: number | null;
  title: string | null;
  last_name: string | null;
  first_names: string | null;
  nickname: string | null;
  company: string | null;
  heading: string | null;
  street_number: string | null;
  street: string | null;
  locality: string | null;
  postal_code: string | null;
  numbers: string[];
  unlisted: boolean;
  no_marketing: boolean;
  no_reverse_search: boolean;
}

/** The rules every listing obeys, whatever its source (agent, import, workflow). */
export function assertListingValidOrThrow(v: ListingValues): void {
  if (v.last_name === null && v.company === null) {
    throw dirInvalid(
      'directory.listing_invalid',
      'lastName',
      'a listing needs a last name or a company name',
    );
  }
  if (v.directory === 'professional' && v.heading === null) {
    throw dirInvalid('directory.listing_invalid', 'heading', 'a professional listing needs a heading');
  }
  if (v.heading !== null && !headingLabels(v.heading)) {
    throw dirInvalid('directory.heading_invalid', 'heading', 'a heading is 1 to 5 labels separated by ">"');
  }
  if (v.numbers.length === 0 || new Set(v.numbers).size !== v.numbers.length) {
    throw dirInvalid('directory.listing_invalid', 'numbers', 'numbers must be given once each');
  }
}

function numbersOrThrow(raw: string[]): string[] {
  return raw.map((n, i) => {
    const d = normNumber(n);
    if (!d) throw dirInvalid('directory.listing_invalid', `numbers/${i}`, `"${n}" is not a directory number`);
    return d;
  });
}

function valuesOf(input: ListingCreate): ListingValues {
  return {
    directory: input.directory,
    subscription_id: input.subscriptionId ?? null,
    customer_id: input.customerId ?? null,
    title: clean(input.title),
    last_name: clean(input.lastName),
    first_names: clean(input.firstNames),
    nickname: clean(input.nickname),
    company: clean(input.company),
    heading: clean(input.heading),
    street_number: clean(input.address?.streetNumber),
    street: clean(input.address?.street),
    locality: clean(input.address?.locality),
    postal_code: clean(input.address?.postalCode),
    numbers: numbersOrThrow(input.numbers),
    unlisted: input.unlisted ?? false,
    no_marketing: input.noMarketing ?? false,
    no_reverse_search: input.noReverseSearch ?? false,
  };
}

function rowValues(r: ListingRow): ListingValues {
  return {
    directory: r.directory,
    subscription_id: r.subscription_id,
    customer_id: r.customer_id,
    title: r.title,
    last_name: r.last_name,
    first_names: r.first_names,
    nickname: r.nickname,
    company: r.company,
    heading: r.heading_path,
    street_number: r.street_number,
    street: r.street,
    locality: r.locality,
    postal_code: r.postal_code,
    numbers: r.numbers,
    unlisted: r.unlisted,
    no_marketing: r.no_marketing,
    no_reverse_search: r.no_reverse_search,
  };
}

async function headingOf(db: Executor, path: string | null): Promise<{ id: number; path: string } | null> {
  if (path === null) return null;
  const labels = headingLabels(path);
  if (!labels)
    throw dirInvalid('directory.heading_invalid', 'heading', 'a heading is 1 to 5 labels separated by ">"');
  const id = await repo.ensureHeadingPath(db, labels);
  return { id, path: labels.join(' > ') };
}

/** Maps the database's refusals to coded errors: the natural key and the foreign keys. */
function mapPgError(err: unknown): never {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'directory_listing_natural_key') {
    throw new DirectoryError(
      'conflict',
      'directory.listing_exists',
      'this directory already lists that name with that number',
      'numbers',
    );
  }
  if (e.code === '23503') {
    const field = e.constraint?.includes('subscription') ? 'subscriptionId' : 'customerId';
    throw dirInvalid('directory.listing_invalid', field, `${field} does not exist`);
  }
  throw err;
}

/** Listings and headings: what agents and the service-request workflow create and edit. */
export class ListingService {
  constructor(private readonly db: Db) {}

  async create(input: ListingCreate, by: Actor, source: 'agent' | 'workflow' = 'agent'): Promise<Listing> {
    const v = valuesOf(input);
    assertListingValidOrThrow(v);
    try {
      return await this.db.transaction().execute(async (trx) => {
        const heading = await headingOf(trx, v.heading);
        const { heading: _h, ...cols } = v;
        void _h;
        const row = await trx
          .insertInto('directory_listing')
          .values({ ...cols, heading_id: heading?.id ?? null, heading_path: heading?.path ?? null, source })
          .returning('code')
          .executeTakeFirstOrThrow();
        await appendEvent(trx, {
          entityType: 'directory_listing',
          entityId: row.code,
          kind: 'directory.listing_created',
          customerId: v.customer_id,
          lineId: v.numbers[0] ?? null,
          userId: by.userId,
          actor: by.actor ?? null,
          payload: { directory: v.directory, unlisted: v.unlisted, source },
        });
        const created = await repo.findListingByCode(trx, row.code);
        if (!created) throw listingNotFound(row.code);
        return toListing(created);
      });
    } catch (err) {
      return mapPgError(err);
    }
  }

  async update(code: string, patch: ListingPatch, by: Actor): Promise<Listing> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const before = await repo.lockListingByCode(trx, code);
        if (!before) throw listingNotFound(code);
        if (patch.version !== undefined && patch.version !== before.version) {
          throw new DirectoryError(
            'conflict',
            'directory.listing_stale',
            `listing ${code} changed since version ${patch.version} (now ${before.version})`,
            'version',
          );
        }
        const old = rowValues(before);
        const pick = <T>(v: T | undefined, fallback: T): T => (v === undefined ? fallback : v);
        const v: ListingValues = {
          directory: patch.directory ?? old.directory,
          subscription_id: pick(patch.subscriptionId, old.subscription_id),
          customer_id: pick(patch.customerId, old.customer_id),
          title: patch.title === undefined ? old.title : clean(patch.title),
          last_name: patch.lastName === undefined ? old.last_name : clean(patch.lastName),
          first_names: patch.firstNames === undefined ? old.first_names : clean(patch.firstNames),
          nickname: patch.nickname === undefined ? old.nickname : clean(patch.nickname),
          company: patch.company === undefined ? old.company : clean(patch.company),
          heading: patch.heading === undefined ? old.heading : clean(patch.heading),
          street_number:
            patch.address?.streetNumber === undefined ? old.street_number : clean(patch.address.streetNumber),
          street: patch.address?.street === undefined ? old.street : clean(patch.address.street),
          locality: patch.address?.locality === undefined ? old.locality : clean(patch.address.locality),
          postal_code:
            patch.address?.postalCode === undefined ? old.postal_code : clean(patch.address.postalCode),
          numbers: patch.numbers === undefined ? old.numbers : numbersOrThrow(patch.numbers),
          unlisted: patch.unlisted ?? old.unlisted,
          no_marketing: patch.noMarketing ?? old.no_marketing,
          no_reverse_search: patch.noReverseSearch ?? old.no_reverse_search,
        };
        assertListingValidOrThrow(v);
        const heading = await headingOf(trx, v.heading);
        const { heading: _h, ...cols } = v;
        void _h;
        await trx
          .updateTable('directory_listing')
          .set({
            ...cols,
            heading_id: heading?.id ?? null,
            heading_path: heading?.path ?? null,
            updated_at: new Date(),
            version: before.version + 1,
          })
          .where('id', '=', before.id)
          .execute();
        await appendEvent(trx, {
          entityType: 'directory_listing',
          entityId: code,
          kind: 'directory.listing_updated',
          customerId: v.customer_id,
          lineId: v.numbers[0] ?? null,
          userId: by.userId,
          actor: by.actor ?? null,
          payload: {
            changes: diff(old as unknown as Record<string, unknown>, v as unknown as Record<string, unknown>),
          },
        });
        const after = await repo.findListingByCode(trx, code);
        if (!after) throw listingNotFound(code);
        return toListing(after);
      });
    } catch (err) {
      return mapPgError(err);
    }
  }

  /** Withdraws a listing from every future edition and from enquiries; the event keeps what it was. */
  async remove(code: string, by: Actor): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const before = await repo.lockListingByCode(trx, code);
      if (!before) throw listingNotFound(code);
      await trx.deleteFrom('directory_listing').where('id', '=', before.id).execute();
      await appendEvent(trx, {
        entityType: 'directory_listing',
        entityId: code,
        kind: 'directory.listing_removed',
        customerId: before.customer_id,
        lineId: before.numbers[0] ?? null,
        userId: by.userId,
        actor: by.actor ?? null,
        payload: { listing: toListing(before) },
      });
    });
  }

  /**
   * One listing for the agents who manage them. Reading a red-list listing is logged: the red list is
   * guarded data and its readers are audited.
   */
  async get(code: string, by: Actor): Promise<Listing> {
    const row = await repo.findListingByCode(this.db, code);
    if (!row) throw listingNotFound(code);
    if (row.unlisted) {
      await appendEvent(this.db, {
        entityType: 'directory_listing',
        entityId: code,
        kind: 'directory.unlisted_read',
        customerId: row.customer_id,
        lineId: row.numbers[0] ?? null,
        userId: by.userId,
        actor: by.actor ?? null,
      });
    }
    return toListing(row);
  }

  async list(query: ListingQuery): Promise<{ items: Listing[] }> {
    let number: string | undefined;
    if (query.number !== undefined) {
      number = normNumber(query.number);
      if (!number) throw dirInvalid('directory.invalid', 'number', 'not a directory number');
    }
    const rows = await repo.findListings(this.db, {
      ...(query.subscriptionId !== undefined ? { subscriptionId: query.subscriptionId } : {}),
      ...(query.customerId !== undefined ? { customerId: query.customerId } : {}),
      ...(number !== undefined ? { number } : {}),
    });
    return { items: rows.map(toListing) };
  }

  async headings(): Promise<{
    items: { id: number; parentId: number | null; label: string; path: string; listings: number }[];
  }> {
    const rows = await repo.listHeadings(this.db);
    return {
      items: rows.map((r) => ({
        id: r.id,
        parentId: r.parent_id,
        label: r.label,
        path: r.path,
        listings: r.listings,
      })),
    };
  }

  async createHeading(input: HeadingCreate, by: Actor): Promise<{ id: number; path: string }> {
    const labels = headingLabels(input.path);
    if (!labels)
      throw dirInvalid('directory.heading_invalid', 'path', 'a heading is 1 to 5 labels separated by ">"');
    return this.db.transaction().execute(async (trx) => {
      const id = await repo.ensureHeadingPath(trx, labels);
      const path = labels.join(' > ');
      await appendEvent(trx, {
        entityType: 'directory_heading',
        entityId: id,
        kind: 'directory.heading_created',
        userId: by.userId,
        actor: by.actor ?? null,
        payload: { path },
      });
      return { id, path };
    });
  }
}
