import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { appendEvent, diff, type Actor } from '../../platform/events.js';
import type { CustomerService } from './customer.service.js';

/**
 * Contacts with a customer that are not themselves a piece of work (a call asking for
 * information, a visit, a letter received…): recorded on the customer's timeline as a
 * `contact.recorded` event (entity `customer`), so the native timeline
 * (`GET /api/v1/customers/{ref}/events`) and TMF683 show the same row. A later change is a
 * `contact.updated` event (entity `contact`, entity id = the recorded event's id) carrying the
 * contact's whole state after the change: the journal stays append-only, the latest state is the
 * last of those.
 */

export type ContactStatus = 'inProgress' | 'completed';

export interface ContactState {
  channel: string;
  direction: 'inbound' | 'outbound';
  reason: string;
  description: string | null;
  status: ContactStatus;
  startedAt: string;
  endedAt: string | null;
  notes: { text: string; author: string; date: string }[];
  /** What the contact was about, as references (`{id, type}` of a request, fault, invoice…). */
  about: { id: string; type: string }[];
}

export interface Contact extends ContactState {
  id: number;
  customerCode: string;
}

export type ContactChange = Partial<Pick<ContactState, 'description' | 'status' | 'endedAt'>> & {
  /** Notes added (appended to the earlier ones). */
  addNotes?: string[];
};

const notFound = (id: number) =>
  new DomainError('not_found', 'contact.not_found', `contact ${id} does not exist`, 'id');

export class ContactService {
  constructor(
    private readonly db: Db,
    private readonly customers: CustomerService,
  ) {}

  /** Records a contact on the customer's timeline; returns its id (the journal row's). */
  async record(customerRef: string, c: ContactState, by: Actor): Promise<Contact> {
    return this.db.transaction().execute(async (trx) => {
      const customerId = await this.customers.idOf(trx, customerRef);
      // the customer's row lock orders its contacts' events (the hub's order per resource)
      const row = await trx
        .selectFrom('customer')
        .select('code')
        .where('id', '=', customerId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const key = randomUUID();
      await appendEvent(trx, {
        entityType: 'customer',
        entityId: customerId,
        customerId,
        kind: 'contact.recorded',
        userId: by.userId,
        actor: by.actor ?? null,
        // `key` names this row among the customer's contacts (its id is known only once inserted)
        payload: { ...c, key },
      });
      const id = await sql<{ id: number }>`
        SELECT id FROM event WHERE entity_type = 'customer' AND entity_id = ${String(customerId)}
          AND kind = 'contact.recorded' AND payload->>'key' = ${key}`.execute(trx);
      return { ...c, id: Number(id.rows[0]?.id), customerCode: row.code };
    });
  }

  /** The contact as it is now (its last `contact.updated`, else as recorded). */
  async get(id: number, db: Executor = this.db): Promise<Contact> {
    const r = await sql<{ state: ContactState; code: string }>`
      SELECT coalesce((SELECT u.payload->'after' FROM event u
                        WHERE u.entity_type = 'contact' AND u.entity_id = e.id::text AND u.kind = 'contact.updated'
                        ORDER BY u.id DESC LIMIT 1), e.payload) AS state, c.code
      FROM event e JOIN customer c ON c.id = e.customer_id
      WHERE e.id = ${id} AND e.kind = 'contact.recorded'`.execute(db);
    const row = r.rows[0];
    if (!row) throw notFound(id);
    const { key: _key, ...state } = row.state as ContactState & { key?: string };
    return { ...state, id, customerCode: row.code };
  }

  async update(id: number, change: ContactChange, by: Actor): Promise<Contact> {
    return this.db.transaction().execute(async (trx) => {
      const e = await trx
        .selectFrom('event')
        .select(['customer_id'])
        .where('id', '=', id)
        .where('kind', '=', 'contact.recorded')
        .executeTakeFirst();
      if (!e?.customer_id) throw notFound(id);
      await trx.selectFrom('customer').select('id').where('id', '=', e.customer_id).forUpdate().execute();
      const before = await this.get(id, trx);
      if (before.status === 'completed' && change.status === 'inProgress')
        throw new DomainError(
          'rule',
          'contact.closed',
          `contact ${id} is completed: record a new contact`,
          'status',
        );
      const { id: _id, customerCode: _code, ...state } = before;
      const after: ContactState = {
        ...state,
        ...(change.description !== undefined ? { description: change.description } : {}),
        ...(change.status !== undefined ? { status: change.status } : {}),
        ...(change.endedAt !== undefined ? { endedAt: change.endedAt } : {}),
        notes: [
          ...state.notes,
          ...(change.addNotes ?? []).map((text) => ({
            text,
            author: by.username,
            date: new Date().toISOString(),
          })),
        ],
      };
      if (change.status === 'completed' && !after.endedAt) after.endedAt = new Date().toISOString();
      const changes = diff(
        state as unknown as Record<string, unknown>,
        after as unknown as Record<string, unknown>,
      );
      if (Object.keys(changes).length > 0)
        await appendEvent(trx, {
          entityType: 'contact',
          entityId: id,
          customerId: e.customer_id,
          kind: 'contact.updated',
          userId: by.userId,
          actor: by.actor ?? null,
          payload: { changed: Object.keys(changes), after: { ...after } },
        });
      return { ...after, id, customerCode: before.customerCode };
    });
  }
}
