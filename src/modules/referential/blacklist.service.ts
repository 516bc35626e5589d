import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { decodeNumericCursor, pageOf, type Page } from '../../platform/http/pagination.js';
import { ReferentialError, refInvalid, refNotFound } from './referential.errors.js';
import type { BlacklistCheck, BlacklistCreate } from './referential.schemas.js';

export interface BlacklistEntry {
  id: number;
  customerCode: string | null;
  idDocumentNumber: string | null;
  name: string | null;
  reason: string;
  listedAt: string;
  listedBy: number | null;
  liftedAt: string | null;
  liftReason: string | null;
}

export interface BlacklistMatch {
  blacklisted: boolean;
  matches: (BlacklistEntry & { matchedOn: ('customerCode' | 'idDocumentNumber' | 'name')[] })[];
}

type Row = {
  id: number;
  customer_code: string | null;
  id_document_number: string | null;
  name: string | null;
  reason: string;
  listed_at: Date | string;
  listed_by: number | null;
  lifted_at: Date | null;
  lift_reason: string | null;
  id_document_norm?: string | null;
  name_norm?: string | null;
};

const toEntry = (r: Row): BlacklistEntry => ({
  id: r.id,
  customerCode: r.customer_code,
  idDocumentNumber: r.id_document_number,
  name: r.name,
  reason: r.reason,
  listedAt: new Date(r.listed_at).toISOString(),
  listedBy: r.listed_by,
  liftedAt: r.lifted_at ? new Date(r.lifted_at).toISOString() : null,
  liftReason: r.lift_reason,
});

const normDoc = (d: string) => d.toUpperCase().replace(/[^A-Z0-9]/g, '');

export class BlacklistService {
  constructor(private readonly db: Db) {}

  async list(
    includeLifted: boolean,
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<BlacklistEntry>> {
    const after = decodeNumericCursor(cursor);
    let q = this.db.selectFrom('blacklist_entry').selectAll();
    if (!includeLifted) q = q.where('lifted_at', 'is', null);
    if (after !== undefined) q = q.where('id', '<', after);
    const rows = await q
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const page = pageOf(rows, limit, (r) => [r.id]);
    return { items: page.items.map(toEntry), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  async add(input: BlacklistCreate, by: Actor): Promise<BlacklistEntry> {
    if (!input.customerCode && !input.idDocumentNumber && !input.name) {
      throw refInvalid(
        'blacklist.invalid',
        'customerCode',
        'give at least a customer code, an identity document or a name',
      );
    }
    if (input.idDocumentNumber && normDoc(input.idDocumentNumber).length < 3) {
      throw refInvalid(
        'blacklist.invalid',
        'idDocumentNumber',
        'the identity document number needs at least 3 letters or digits',
      );
    }
    return this.db.transaction().execute(async (trx) => {
      let customerId: number | null = null;
      if (input.customerCode) {
        const c = await trx
          .selectFrom('customer')
          .select('id')
          .where('code', '=', input.customerCode.toUpperCase())
          .executeTakeFirst();
        if (!c)
          throw refInvalid(
            'customer.not_found',
            'customerCode',
            `there is no customer ${input.customerCode}`,
          );
        customerId = c.id;
      }
      const row = await trx
        .insertInto('blacklist_entry')
        .values({
          customer_code: input.customerCode?.toUpperCase() ?? null,
          id_document_number: input.idDocumentNumber ?? null,
          name: input.name ?? null,
          reason: input.reason,
          listed_by: by.userId,
          lifted_at: null,
          lifted_by: null,
          lift_reason: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const entry = toEntry(row);
      await appendEvent(trx, {
        entityType: 'blacklist_entry',
        entityId: row.id,
        customerId,
        kind: 'blacklist.added',
        userId: by.userId,
        payload: { after: entry },
      });
      return entry;
    });
  }

  async lift(id: number, reason: string, by: Actor): Promise<BlacklistEntry> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx
        .selectFrom('blacklist_entry')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!r) throw refNotFound('blacklist.not_found', 'blacklist entry', id);
      if (r.lifted_at)
        throw new ReferentialError('conflict', 'blacklist.lifted', `entry ${id} was already lifted`);
      const row = await trx
        .updateTable('blacklist_entry')
        .set({ lifted_at: sql<Date>`now()`, lifted_by: by.userId, lift_reason: reason })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const customer = r.customer_code
        ? await trx.selectFrom('customer').select('id').where('code', '=', r.customer_code).executeTakeFirst()
        : undefined;
      await appendEvent(trx, {
        entityType: 'blacklist_entry',
        entityId: id,
        customerId: customer?.id ?? null,
        kind: 'blacklist.lifted',
        userId: by.userId,
        payload: { reason },
      });
      return toEntry(row);
    });
  }

  /**
   * Is this person refused service? Matches live entries on the customer code, the identity document
   * (letters and digits only, case ignored) or the normalised full name (accents, case, hyphens ignored).
   */
  async check(who: BlacklistCheck): Promise<BlacklistMatch> {
    const doc = who.idDocumentNumber ? normDoc(who.idDocumentNumber) : null;
    const code = who.customerCode?.toUpperCase() ?? null;
    const name = who.name ?? null;
    if (!doc && !code && !name)
      throw refInvalid('blacklist.invalid', 'name', 'give a customer code, an identity document or a name');
    const rows = await this.db
      .selectFrom('blacklist_entry')
      .selectAll()
      .where('lifted_at', 'is', null)
      .where((eb) =>
        eb.or([
          ...(code ? [eb('customer_code', '=', code)] : []),
          ...(doc ? [eb('id_document_norm', '=', doc)] : []),
          ...(name ? [eb('name_norm', '=', sql<string>`gpto_norm(${name})`)] : []),
        ]),
      )
      .orderBy('id')
      .execute();
    const nameNorm = name
      ? (await sql<{ n: string }>`SELECT gpto_norm(${name}) AS n`.execute(this.db)).rows[0]?.n
      : null;
    return {
      blacklisted: rows.length > 0,
      matches: rows.map((r) => ({
        ...toEntry(r),
        matchedOn: [
          ...(code && r.customer_code === code ? (['customerCode'] as const) : []),
          ...(doc && r.id_document_norm === doc ? (['idDocumentNumber'] as const) : []),
          ...(nameNorm && r.name_norm === nameNorm ? (['name'] as const) : []),
        ],
      })),
    };
  }

  /** The check of an existing customer: its code, document and names. */
  async checkCustomer(customerRef: { id?: number; code?: string }): Promise<BlacklistMatch> {
    let q = this.db
      .selectFrom('customer')
      .select(['code', 'id_document_number', 'kind', 'last_name', 'first_names', 'company_name']);
    q =
      customerRef.id !== undefined
        ? q.where('id', '=', customerRef.id)
        : q.where('code', '=', customerRef.code ?? '');
    const c = await q.executeTakeFirst();
    if (!c) throw refNotFound('customer.not_found', 'customer', customerRef.id ?? customerRef.code ?? '');
    const name = c.kind === 'person' ? `${c.first_names ?? ''} ${c.last_name ?? ''}` : (c.company_name ?? '');
    const byName = await this.check({
      customerCode: c.code,
      ...(c.id_document_number ? { idDocumentNumber: c.id_document_number } : {}),
      name,
    });
    if (c.kind !== 'person') return byName;
    // Names are written in both orders on forms: "Fatou Diop" and "Diop Fatou" are the same person.
    const reversed = await this.check({ name: `${c.last_name ?? ''} ${c.first_names ?? ''}` });
    const seen = new Set(byName.matches.map((m) => m.id));
    const matches = [...byName.matches, ...reversed.matches.filter((m) => !seen.has(m.id))];
    return { blacklisted: matches.length > 0, matches };
  }
}
