import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { appendEvent } from '../../platform/events.js';
import type { Tx } from '../../platform/db.js';
import type { RequestsModule } from '../requests/index.js';
import { isoOf } from './common.js';
import { tmfInvalid, type TmfContext, type TmfListQuery, type TmfObject } from './framework.js';
import { date, field, ORDERING_API, text } from './product-refs.js';

interface CancelRow {
  code: string;
  number: string;
  cancellation_reason: string;
  requested_cancellation_date: Date | null;
  effective_cancellation_date: Date;
  state: string;
}

/** TMF622 cancelProductOrder: the request's cancel, its compensation included, kept as a record. */
export class TmfCancelProductOrders {
  constructor(
    private readonly db: Db,
    private readonly requests: RequestsModule,
  ) {}

  private toTmf(r: CancelRow, ctx: TmfContext): TmfObject {
    return {
      id: r.code,
      href: ctx.href(ORDERING_API, 'cancelProductOrder', r.code),
      cancellationReason: r.cancellation_reason,
      ...(r.requested_cancellation_date
        ? { requestedCancellationDate: isoOf(r.requested_cancellation_date) }
        : {}),
      effectiveCancellationDate: isoOf(r.effective_cancellation_date),
      state: r.state,
      productOrder: {
        id: r.number,
        href: ctx.href(ORDERING_API, 'productOrder', r.number),
        '@referredType': 'ProductOrder',
      },
      '@type': 'CancelProductOrder',
    };
  }

  private async select(where: RawBuilder<unknown>[], offset: number, limit: number) {
    const cond = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const from = sql`FROM tmf_cancel_product_order x JOIN service_request r ON r.id = x.request_id`;
    const [rows, n] = await Promise.all([
      sql<CancelRow>`SELECT x.code, r.number, x.cancellation_reason, x.requested_cancellation_date,
          x.effective_cancellation_date, x.state
        ${from} ${cond} ORDER BY x.id OFFSET ${offset} LIMIT ${limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${from} ${cond}`.execute(this.db),
    ]);
    return { rows: rows.rows, total: Number(n.rows[0]?.n ?? 0) };
  }

  async list(q: TmfListQuery, ctx: TmfContext) {
    const where: RawBuilder<unknown>[] = [];
    for (const [attr, values] of Object.entries(q.filters)) {
      const upper = values.map((v) => v.toUpperCase());
      if (attr === 'id') where.push(sql`x.code = ANY(${upper}::text[])`);
      else if (attr === 'productOrder.id') where.push(sql`r.number = ANY(${upper}::text[])`);
      else if (attr === 'state') where.push(sql`x.state = ANY(${values}::text[])`);
    }
    const { rows, total } = await this.select(where, q.offset, q.limit);
    return { items: rows.map((r) => this.toTmf(r, ctx)), total };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    const { rows } = await this.select([sql`x.code = ${id.toUpperCase()}`], 0, 1);
    return rows[0] && this.toTmf(rows[0], ctx);
  }

  /**
   * Cancels the order's request at once in one transaction with this record: its open tasks stop
   * and its compensations run (reservations released, deposit refunded, fees invoice cancelled).
   * An order that has already ended cannot be cancelled: 409 naming `productOrder.id`; nor, for now,
   * one whose activation order is on its element (409 `tmf.order_activation_in_progress`: retry later).
   */
  async create(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    const order = field(body.productOrder, 'productOrder');
    const number = text(order?.id, 'productOrder.id', 40);
    if (!number) throw tmfInvalid('productOrder.id', 'is required: the order to cancel');
    const reason = text(body.cancellationReason, 'cancellationReason', 500) ?? 'cancelled by the customer';
    const requested = date(body.requestedCancellationDate, 'requestedCancellationDate');
    const code = await this.db.transaction().execute(async (trx) => {
      // the requests module's own cancel (POST /api/v1/requests/:ref/cancel): open tasks stop, the
      // request's onEnd closes it and its compensations run
      const r = await cancelRequestIn(this.requests, trx, number, reason, ctx, 'productOrder.id');
      const seq = await sql<{ n: number }>`SELECT nextval('tmf_cancel_product_order_seq')::int AS n`.execute(
        trx,
      );
      const code = `CPO${String(seq.rows[0]!.n).padStart(8, '0')}`;
      const row = await trx
        .insertInto('tmf_cancel_product_order')
        .values({
          code,
          request_id: r.id,
          cancellation_reason: reason,
          requested_cancellation_date: requested ?? null,
          effective_cancellation_date: new Date(),
          state: 'done',
          created_by: ctx.actor.userId,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'tmf_cancel_product_order',
        entityId: row.id,
        customerId: r.customerId,
        lineId: r.lineId,
        kind: 'order.cancel_requested',
        userId: ctx.actor.userId,
        payload: { code, request: r.number, reason },
      });
      return code;
    });
    return (await this.get(code, ctx)) as TmfObject;
  }
}

/**
 * Cancels a service request through the requests module's rule, in the caller's transaction, with
 * the errors named on the TMF field that pointed at it (TMF622 cancelProductOrder and TMF641
 * cancelServiceOrder): an unknown request is a 422, one already ended a 409.
 */
export async function cancelRequestIn(
  requests: RequestsModule,
  trx: Tx,
  number: string,
  reason: string,
  ctx: TmfContext,
  fieldName: string,
): Promise<{ id: number; number: string; customerId: number; lineId: string | null }> {
  const what = 'productOrder'; // the request's number is its TMF622 productOrder id
  try {
    return await requests.requests.cancelIn(trx, number, reason, ctx.actor);
  } catch (err) {
    if (err instanceof DomainError && err.kind === 'not_found')
      throw new DomainError('rule', 'tmf.order_not_found', `${what} ${number} does not exist`, fieldName);
    if (err instanceof DomainError && err.code === 'request.activation_in_progress') {
      // One of its activation orders is on its element right now (a command in flight cannot be
      // called back): worth asking again once the activation has ended, so the answer says so.
      const { activationOrder, element } = (err.details ?? {}) as {
        activationOrder?: string;
        element?: string;
      };
      throw new DomainError(
        'conflict',
        'tmf.order_activation_in_progress',
        `${what} ${number} cannot be cancelled now: its activation order ${activationOrder} is being carried out on ${element} and a command in flight cannot be called back; retry the cancellation once that activation has ended`,
        fieldName,
        { activationOrder, element },
      );
    }
    if (err instanceof DomainError && err.code === 'request.state')
      throw new DomainError(
        'conflict',
        'tmf.order_closed',
        `${err.message.replace(/^request/, what)}: it can no longer be cancelled`,
        fieldName,
      );
    throw err;
  }
}
