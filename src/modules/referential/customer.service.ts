import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db.js';
import { appendEvent, diff, type Actor } from '../../platform/events.js';
import { decodeNumericCursor, encodeCursor, pageOf, type Page } from '../../platform/http/pagination.js';
import { resolveCategoryCodes } from './category.service.js';
import * as repo from './customer.repository.js';
import { ReferentialError, refInvalid, refNotFound } from './referential.errors.js';
import type { Address, CustomerCreate, CustomerPatch, CustomerSearch } from './referential.schemas.js';
import type { CategoryKind } from './referential.tables.js';
import { toPayer, type Payer, type Subscription, type SubscriptionUser } from './mappers.js';

export interface Customer {
  id: number;
  code: string;
  kind: 'person' | 'organisation';
  title: string | null;
  lastName: string | null;
  firstNames: string | null;
  nickname: string | null;
  birthDate: string | null;
  idDocument: { type: string; number: string } | null;
  companyName: string | null;
  tradeName: string | null;
  registrationNumber: string | null;
  displayName: string;
  address: Address;
  phones: string[];
  email: string | null;
  preferredLanguage: string;
  status: string;
  categories: Record<CategoryKind, string>;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface TimelineEvent {
  id: number;
  occurredAt: string;
  entityType: string;
  entityId: string;
  kind: string;
  actor: string | null;
  userId: number | null;
  lineId: string | null;
  payload: unknown;
}

export interface Customer360 {
  customer: Customer;
  payers: Payer[];
  users: SubscriptionUser[];
  subscriptions: Subscription[];
  events: TimelineEvent[];
}

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

export function displayNameOf(r: {
  kind: string;
  title: string | null;
  last_name: string | null;
  first_names: string | null;
  company_name: string | null;
}): string {
  if (r.kind === 'organisation') return r.company_name ?? '';
  return [r.title, r.first_names, r.last_name].filter(Boolean).join(' ');
}

export function toCustomer(r: repo.CustomerRow): Customer {
  return {
    id: r.id,
    code: r.code,
    kind: r.kind,
    title: r.title,
    lastName: r.last_name,
    firstNames: r.first_names,
    nickname: r.nickname,
    birthDate: r.birth_date,
    idDocument: r.id_document_number
      ? { type: r.id_document_type ?? 'other', number: r.id_document_number }
      : null,
    companyName: r.company_name,
    tradeName: r.trade_name,
    registrationNumber: r.registration_number,
    displayName: displayNameOf(r),
    address: r.address as Address,
    phones: r.phones,
    email: r.email,
    preferredLanguage: r.preferred_language,
    status: r.status,
    categories: r.category_codes as Record<CategoryKind, string>,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    version: r.version,
  };
}

export function toEvent(e: Record<string, unknown>): TimelineEvent {
  return {
    id: Number(e.id),
    occurredAt: iso(e.occurred_at as string),
    entityType: e.entity_type as string,
    entityId: e.entity_id as string,
    kind: e.kind as string,
    actor: (e.actor as string | null) ?? null,
    userId: e.user_id === null || e.user_id === undefined ? null : Number(e.user_id),
    lineId: (e.line_id as string | null) ?? null,
    payload: e.payload,
  };
}

/** Phones are stored as digits with an optional leading +, so "77 123 45 67" finds "771234567". */
export function normPhone(p: string): string {
  return p.replace(/[^0-9+]/g, '');
}

/** Person needs names; organisation needs its company name. Checked on create and on every patch. */
function assertIdentityOrThrow(
  kind: string,
  v: { lastName?: string | null; firstNames?: string | null; companyName?: string | null },
) {
  if (kind === 'person') {
    if (!v.lastName) throw refInvalid('customer.invalid', 'lastName', 'a natural person needs a last name');
    if (!v.firstNames)
      throw refInvalid('customer.invalid', 'firstNames', 'a natural person needs first names');
  } else if (!v.companyName) {
    throw refInvalid('customer.invalid', 'companyName', 'a legal person needs a company name');
  }
}

function assertBirthDateOrThrow(birthDate: string | null | undefined, today: Date) {
  if (!birthDate) return;
  const d = new Date(`${birthDate}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d > today || d.getUTCFullYear() < 1900) {
    throw refInvalid(
      'customer.invalid',
      'birthDate',
      'birth date must be a real date between 1900 and today',
    );
  }
}

type SearchQuery = ReturnType<typeof repo.selectCustomer>;

/** Above this many words in all, a multi-word name search drives by one word instead of merging. */
const MAX_MERGED_WORDS = 64;

export function parseCustomerRef(ref: string): { id?: number; code?: string } {
  if (/^[0-9]{1,15}$/.test(ref)) return { id: Number(ref) };
  return { code: ref.toUpperCase() };
}

export class CustomerService {
  constructor(private readonly db: Db) {}

  async create(input: CustomerCreate, by: Actor): Promise<Customer> {
    return this.db.transaction().execute((trx) => this.createIn(trx, input, by));
  }

  /** Within the caller's transaction: TMF629 links the party a customer grows from in the same one. */
  async createIn(trx: Executor, input: CustomerCreate, by: Actor): Promise<Customer> {
    assertIdentityOrThrow(input.kind, input);
    assertBirthDateOrThrow(input.birthDate, new Date());
    {
      const cats = await resolveCategoryCodes(trx, input.categories);
      const code = await repo.nextCode(trx, 'customer_code_seq', 'C');
      const row = await trx
        .insertInto('customer')
        .values({
          code,
          kind: input.kind,
          title: input.title ?? null,
          last_name: input.lastName ?? null,
          first_names: input.firstNames ?? null,
          nickname: input.nickname ?? null,
          birth_date: input.birthDate ?? null,
          id_document_type: input.idDocument?.type ?? null,
          id_document_number: input.idDocument?.number ?? null,
          company_name: input.companyName ?? null,
          trade_name: input.tradeName ?? null,
          registration_number: input.registrationNumber ?? null,
          address: JSON.stringify(input.address),
          phones: (input.phones ?? []).map(normPhone),
          email: input.email ?? null,
          preferred_language: input.preferredLanguage ?? 'fr',
          status: input.status ?? 'active',
          commercial1_id: cats.commercial1 as number,
          commercial2_id: cats.commercial2 as number,
          collection_id: cats.collection as number,
          accounting_id: cats.accounting as number,
          tax_id: cats.tax as number,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const customer = toCustomer((await repo.findCustomer(trx, { id: row.id }))!);
      await appendEvent(trx, {
        entityType: 'customer',
        entityId: row.id,
        customerId: row.id,
        kind: 'customer.created',
        userId: by.userId,
        payload: { after: customer },
      });
      // Every customer starts with one default payer: most customers never need a second one.
      const payerCode = await repo.nextCode(trx, 'payer_code_seq', 'P');
      const p = input.payer ?? {};
      const payer = await trx
        .insertInto('payer')
        .values({
          customer_id: row.id,
          code: payerCode,
          name: p.name ?? customer.displayName,
          billing_address: JSON.stringify(p.billingAddress ?? input.address),
          payment_method: p.paymentMethod ?? 'cash',
          bank_account: p.bankAccount ?? null,
          mobile_money_number: p.mobileMoneyNumber ? normPhone(p.mobileMoneyNumber) : null,
          is_default: true,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'payer',
        entityId: payer.id,
        customerId: row.id,
        kind: 'payer.created',
        userId: by.userId,
        payload: { after: toPayer(payer) },
      });
      return customer;
    }
  }

  async get(ref: string): Promise<Customer> {
    const row = await repo.findCustomer(this.db, parseCustomerRef(ref));
    if (!row) throw refNotFound('customer.not_found', 'customer', ref);
    return toCustomer(row);
  }

  /** The customer 360° as the API's JSON text, built by PostgreSQL: the route sends it as it is. */
  async view360Json(ref: string): Promise<string> {
    const key = parseCustomerRef(ref);
    // No stored document: no such customer, or one written where the triggers of migration 0020
    // did not fire (a load in replica mode by another tool): then rendered from the tables.
    const doc = (await repo.read360Json(this.db, key)) ?? (await repo.read360Live(this.db, key));
    if (doc === null) throw refNotFound('customer.not_found', 'customer', ref);
    return doc;
  }

  /** The same 360° as an object, for callers in this process. */
  async view360(ref: string): Promise<Customer360> {
    return JSON.parse(await this.view360Json(ref)) as Customer360;
  }

  async update(ref: string, patch: CustomerPatch, by: Actor): Promise<Customer> {
    const key = parseCustomerRef(ref);
    return this.db.transaction().execute(async (trx) => {
      const locked = await trx
        .selectFrom('customer')
        .select(['id', 'version'])
        .where(key.id !== undefined ? 'id' : 'code', '=', key.id ?? key.code ?? '')
        .forUpdate()
        .executeTakeFirst();
      if (!locked) throw refNotFound('customer.not_found', 'customer', ref);
      if (patch.version !== undefined && patch.version !== locked.version) {
        throw new ReferentialError(
          'conflict',
          'customer.stale',
          `customer was changed by someone else (now version ${locked.version}); reload and retry`,
          'version',
        );
      }
      const beforeRow = (await repo.findCustomer(trx, { id: locked.id }))!;
      const before = toCustomer(beforeRow);
      const merged = { ...before, ...patch };
      assertIdentityOrThrow(before.kind, merged);
      assertBirthDateOrThrow(patch.birthDate, new Date());
      const cats = patch.categories ? await resolveCategoryCodes(trx, patch.categories) : {};
      await trx
        .updateTable('customer')
        .set({
          ...(patch.title !== undefined ? { title: patch.title } : {}),
          ...(patch.lastName !== undefined ? { last_name: patch.lastName } : {}),
          ...(patch.firstNames !== undefined ? { first_names: patch.firstNames } : {}),
          ...(patch.nickname !== undefined ? { nickname: patch.nickname } : {}),
          ...(patch.birthDate !== undefined ? { birth_date: patch.birthDate } : {}),
          ...(patch.idDocument !== undefined
            ? {
                id_document_type: patch.idDocument?.type ?? null,
                id_document_number: patch.idDocument?.number ?? null,
              }
            : {}),
          ...(patch.companyName !== undefined ? { company_name: patch.companyName } : {}),
          ...(patch.tradeName !== undefined ? { trade_name: patch.tradeName } : {}),
          ...(patch.registrationNumber !== undefined
            ? { registration_number: patch.registrationNumber }
            : {}),
          ...(patch.address !== undefined ? { address: JSON.stringify(patch.address) } : {}),
          ...(patch.phones !== undefined ? { phones: patch.phones.map(normPhone) } : {}),
          ...(patch.email !== undefined ? { email: patch.email } : {}),
          ...(patch.preferredLanguage !== undefined ? { preferred_language: patch.preferredLanguage } : {}),
          ...(patch.status !== undefined ? { status: patch.status } : {}),
          ...(cats.commercial1 ? { commercial1_id: cats.commercial1 } : {}),
          ...(cats.commercial2 ? { commercial2_id: cats.commercial2 } : {}),
          ...(cats.collection ? { collection_id: cats.collection } : {}),
          ...(cats.accounting ? { accounting_id: cats.accounting } : {}),
          ...(cats.tax ? { tax_id: cats.tax } : {}),
          updated_at: sql<Date>`now()`,
          version: sql<number>`version + 1`,
        })
        .where('id', '=', locked.id)
        .execute();
      const after = toCustomer((await repo.findCustomer(trx, { id: locked.id }))!);
      const { version: _v, updatedAt: _u, ...a } = after;
      const { version: _bv, updatedAt: _bu, ...b } = before;
      await appendEvent(trx, {
        entityType: 'customer',
        entityId: locked.id,
        customerId: locked.id,
        kind: 'customer.updated',
        userId: by.userId,
        payload: { changes: diff(b as Record<string, unknown>, a as Record<string, unknown>) },
      });
      return after;
    });
  }

  /**
   * One box for the front office: a customer code, a phone or directory number, an identity
   * document or a name fragment (every word must appear, in any order, accents ignored).
   */
  async search(query: CustomerSearch): Promise<Page<Customer>> {
    const { page, limit } = await this.searchPage(query);
    const rows = page ? await page.execute() : [];
    const found = pageOf(rows, limit, (r) => [r.id]);
    return {
      items: found.items.map(toCustomer),
      ...(found.nextCursor ? { nextCursor: found.nextCursor } : {}),
    };
  }

  /**
   * The same page as search() as the API's JSON text, built by PostgreSQL (the customers as
   * customerJson writes them, field for field toCustomer's): the route sends it as it is, without
   * parsing 20 wide rows, mapping and serialising them in Node.
   */
  async searchJson(query: CustomerSearch): Promise<string> {
    const { page, limit, literal } = await this.searchPage(query);
    if (!page) return '{"items":[]}';
    const r = await repo.customerPageJson(this.db, page, limit, literal);
    const next = r.last !== null && r.more ? `,"nextCursor":${JSON.stringify(encodeCursor([r.last]))}` : '';
    return `{"items":${r.items}${next}}`;
  }

  /**
   * The search's page as a query of the customers in id order, `limit + 1` of them at most (the
   * extra one says there is a next page), or undefined when nothing can match. `literal`: the
   * query has no parameters (its text carries the words), see customerIdsByWordSets.
   */
  private async searchPage(
    query: CustomerSearch,
  ): Promise<{ page: SearchQuery | undefined; limit: number; literal: boolean }> {
    const limit = query.limit ?? 20;
    const after = decodeNumericCursor(query.cursor);
    let code = query.code;
    let phone = query.phone;
    let name = query.name;
    const document = query.document;
    if (query.q) {
      const q = query.q.trim();
      if (/^C[0-9]{3,}$/i.test(q)) code = q;
      else if (/^\+?[0-9][0-9 .-]{3,}$/.test(q)) phone = q;
      else name = q;
    }
    if (!code && !phone && !name && !document && !query.status) {
      throw refInvalid('customer.invalid', 'q', 'give q, code, phone, document, name or status to search');
    }
    let q = repo.selectCustomer(this.db);
    if (code) q = q.where('c.code', '=', code.toUpperCase());
    if (document) q = q.where('c.id_document_norm', '=', document.toUpperCase().replace(/[^A-Z0-9]/g, ''));
    if (query.status) q = q.where('c.status', '=', query.status as never);
    if (phone) {
      const digits = normPhone(phone);
      q = q.where((eb) =>
        eb.or([
          eb('c.phones', '@>', sql<string[]>`ARRAY[${digits}]::text[]`),
          eb.exists(
            eb
              .selectFrom('subscription as s')
              .select('s.id')
              .whereRef('s.customer_id', '=', 'c.id')
              .where('s.directory_number', '=', digits.replace(/^\+/, '')),
          ),
        ]),
      );
    }
    if (name) {
      const words = name
        .normalize('NFD')
        .replace(/\p{M}/gu, '')
        .toLowerCase()
        .replace(/['’`]/g, '')
        .split(/[^a-z0-9@.]+/)
        .filter((w) => w.length > 0)
        .slice(0, 6);
      if (words.length === 0)
        throw refInvalid('customer.invalid', 'name', 'the name fragment has no letters or digits');
      const onlyName = !code && !document && !query.status && !phone;
      const byWords = onlyName ? await this.searchByWords(q, words, after ?? 0, limit + 1) : undefined;
      if (byWords) return { ...byWords, limit };
      // Only words of one or two letters (common: the first ids match), or other criteria with the
      // name: match and order on the narrow customer_search rows, and take the page there, so that
      // only the page's customers are read wide.
      let ids = this.db.selectFrom('customer_search as cs').select('cs.customer_id');
      for (const w of words) ids = ids.where('cs.search_name', 'like', repo.containsPattern(w));
      if (after !== undefined) ids = ids.where('cs.customer_id', '>', after);
      const page = onlyName
        ? q.where('c.id', 'in', ids.orderBy('cs.customer_id').limit(limit + 1)).orderBy('c.id')
        : q
            .where('c.id', 'in', ids)
            .orderBy('c.id')
            .limit(limit + 1);
      return { page, limit, literal: false };
    }
    if (after !== undefined) q = q.where('c.id', '>', after);
    return {
      page: q.orderBy('c.id').limit(limit + 1),
      limit,
      literal: false,
    };
  }

  /**
   * A name search through the word tables (migration 0010), or undefined when no fragment word has
   * three characters (no trigram to look its words up by; such words match many customers, and
   * the caller's scan of customer_search in id order finds a page at once). One such word: it
   * drives, the others are tested on customer_search (one statement). Several: each resolves to
   * its words first, then their customer ranges are merge-joined (two statements).
   */
  private async searchByWords(
    q: SearchQuery,
    words: string[],
    after: number,
    limit: number,
  ): Promise<{ page: SearchQuery | undefined; literal: boolean } | undefined> {
    const long = words.filter((w) => w.length >= 3);
    const short = words.filter((w) => w.length < 3);
    if (long.length === 0) return undefined;
    let ids;
    let literal = false;
    if (long.length === 1) {
      ids = repo.customerIdsByWords(long[0] as string, short, after, limit);
    } else {
      const sets = await repo.wordsContaining(this.db, long);
      if (sets.some((s) => s.length === 0)) return { page: undefined, literal };
      if (sets.reduce((n, s) => n + s.length, 0) <= MAX_MERGED_WORDS) {
        ids = repo.customerIdsByWordSets(sets, short, after, limit);
        literal = true;
      } else {
        // Fragments that each match many words ("ou", "an"…): drive by the one matching fewest.
        const driver =
          long[sets.reduce((best, s, i) => (s.length < (sets[best]?.length ?? 0) ? i : best), 0)];
        ids = repo.customerIdsByWords(
          driver as string,
          words.filter((w) => w !== driver),
          after,
          limit,
        );
      }
    }
    return { page: q.where(sql<boolean>`c.id IN ${ids}`).orderBy('c.id'), literal };
  }

  async timeline(ref: string, cursor: string | undefined, limit: number): Promise<Page<TimelineEvent>> {
    const customer = await this.get(ref);
    const before = decodeNumericCursor(cursor);
    const rows = await repo.customerEvents(this.db, customer.id, before, limit);
    const page = pageOf(rows, limit, (r) => [r.id]);
    return {
      items: page.items.map((e) => toEvent(e as unknown as Record<string, unknown>)),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  /** Used by other modules (and the 360° routes) to turn a reference into the internal id. */
  async idOf(db: Executor, ref: string): Promise<number> {
    const key = parseCustomerRef(ref);
    const row = await db
      .selectFrom('customer')
      .select('id')
      .where(key.id !== undefined ? 'id' : 'code', '=', key.id ?? key.code ?? '')
      .executeTakeFirst();
    if (!row) throw refNotFound('customer.not_found', 'customer', ref);
    return row.id;
  }
}
