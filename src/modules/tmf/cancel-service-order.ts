import { sql, type RawBuilder } from 'kysely';
import { hasRight } from '../../platform/auth/rights.js';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { appendEvent } from '../../platform/events.js';
import type { ActivationModule } from '../activation/index.js';
import type { RequestsModule } from '../requests/index.js';
import { cancelRequestIn } from './cancel-product-order.js';
import { isoOf } from './common.js';
import {
  tmfInvalid,
  type TmfContext,
  type TmfListQuery,
  type TmfObject,
  type TmfResourceDef,
} from './framework.js';
import { date, field, text } from './product-refs.js';
import { SERVICE_ORDERING_API } from './services.js';

/**
 * TMF641 cancelServiceOrder over GPTo's activation orders. A service order is one activation order
 * (`act_order`); cancelling it:
 * - pending (the automaton has not claimed it): the order is withdrawn (ActivationService.withdrawIn)
 *   and, when a service request's workflow queued it, that request is cancelled by the requests
 *   module's own rule (the same cancel as TMF622 cancelProductOrder and the native
 *   `POST /api/v1/requests/:ref/cancel`: open tasks stop, compensations run), all in one
 *   transaction with this record → `done`;
 * - running (its commands are on the element): a command in flight cannot be called back → the
 *   record is `terminatedWithError`, nothing else changes;
 * - ended (done, refused, cancelled) or its request already ended: 409 naming `serviceOrder.id`.
 */

interface CancelRow {
  code: string;
  order_id: number;
  cancellation_reason: string;
  requested_cancellation_date: Date | null;
  effective_cancellation_date: Date | null;
  state: string;
}

function toTmf(r: CancelRow, ctx: TmfContext): TmfObject {
  const order = String(r.order_id);
  return {
    id: r.code,
    href: ctx.href(SERVICE_ORDERING_API, 'cancelServiceOrder', r.code),
    cancellationReason: r.cancellation_reason,
    ...(r.requested_cancellation_date
      ? { requestedCancellationDate: isoOf(r.requested_cancellation_date) }
      : {}),
    ...(r.effective_cancellation_date
      ? { effectiveCancellationDate: isoOf(r.effective_cancellation_date) }
      : {}),
    state: r.state,
    serviceOrder: {
      id: order,
      href: ctx.href(SERVICE_ORDERING_API, 'serviceOrder', order),
      '@referredType': 'ServiceOrder',
    },
    '@type': 'CancelServiceOrder',
  };
}

const STATES = ['accepted', 'terminatedWithError', 'inProgress', 'done'];

export class TmfCancelServiceOrders {
  constructor(
    private readonly db: Db,
    private readonly activation: ActivationModule,
    private readonly requests: RequestsModule,
  ) {}

  private async select(where: RawBuilder<unknown>[], offset: number, limit: number) {
    const cond = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    const from = sql`FROM tmf_cancel_service_order x`;
    const [rows, n] = await Promise.all([
      sql<CancelRow>`SELECT x.code, x.order_id, x.cancellation_reason, x.requested_cancellation_date,
          x.effective_cancellation_date, x.state
        ${from} ${cond} ORDER BY x.id OFFSET ${offset} LIMIT ${limit}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n ${from} ${cond}`.execute(this.db),
    ]);
    return { rows: rows.rows, total: Number(n.rows[0]?.n ?? 0) };
  }

  async list(q: TmfListQuery, ctx: TmfContext) {
    const where: RawBuilder<unknown>[] = [];
    for (const [attr, values] of Object.entries(q.filters)) {
      if (attr === 'id') where.push(sql`x.code = ANY(${values.map((v) => v.toUpperCase())}::text[])`);
      else if (attr === 'serviceOrder.id') {
        const ids = values.filter((v) => /^\d{1,15}$/.test(v)).map(Number);
        where.push(sql`x.order_id = ANY(${ids}::bigint[])`);
      } else if (attr === 'state') {
        if (values.some((v) => !STATES.includes(v)))
          throw tmfInvalid('state', `must be one of ${STATES.join(', ')}`);
        where.push(sql`x.state = ANY(${values}::text[])`);
      }
    }
    const { rows, total } = await this.select(where, q.offset, q.limit);
    return { items: rows.map((r) => toTmf(r, ctx)), total };
  }

  async get(id: string, ctx: TmfContext): Promise<TmfObject | undefined> {
    const { rows } = await this.select([sql`x.code = ${id.toUpperCase()}`], 0, 1);
    return rows[0] && toTmf(rows[0], ctx);
  }

  async create(body: Record<string, unknown>, ctx: TmfContext): Promise<TmfObject> {
    for (const k of Object.keys(body))
      if (
        !['serviceOrder', 'cancellationReason', 'requestedCancellationDate', '@type', '@baseType'].includes(k)
      )
        throw tmfInvalid(k, 'is not an attribute a client sets on a CancelServiceOrder');
    const order = field(body.serviceOrder, 'serviceOrder');
    const ref = text(order?.id, 'serviceOrder.id', 40);
    if (!ref) throw tmfInvalid('serviceOrder.id', 'is required: the service order to cancel');
    const reason = text(body.cancellationReason, 'cancellationReason', 500) ?? 'cancelled by the client';
    const requested = date(body.requestedCancellationDate, 'requestedCancellationDate');
    const missing = () =>
      new DomainError('rule', 'tmf.order_not_found', `serviceOrder ${ref} does not exist`, 'serviceOrder.id');
    if (!/^\d{1,15}$/.test(ref)) throw missing();
    const orderId = Number(ref);

    const code = await this.db.transaction().execute(async (trx) => {
      // request_ref: the id of the service request whose workflow queued it (its subject)
      const found = await sql<{
        id: number;
        status: string;
        request_ref: string | null;
        request_number: string | null;
        customer_id: number | null;
        line_id: string;
        element_code: string;
      }>`SELECT o.id, o.status, o.request_ref, sr.number AS request_number, o.customer_id, o.line_id, o.element_code
        FROM act_order o
        LEFT JOIN service_request sr
          ON sr.id = CASE WHEN o.request_ref ~ '^[0-9]{1,18}$' THEN o.request_ref::bigint END
        WHERE o.id = ${orderId}`.execute(trx);
      const o = found.rows[0];
      if (!o) throw missing();
      if (o.status !== 'pending' && o.status !== 'running')
        throw new DomainError(
          'conflict',
          'tmf.order_closed',
          `serviceOrder ${orderId} is already ${o.status === 'done' ? 'completed' : o.status === 'refused' ? 'failed' : o.status}: it can no longer be cancelled`,
          'serviceOrder.id',
        );
      // withdrawn only while the automaton has not claimed it (the update decides, under its lock)
      const withdrawn = await this.activation.service.withdrawIn(trx, orderId, reason, ctx.actor);
      let state: 'done' | 'terminatedWithError' = 'terminatedWithError';
      let error: string | null =
        `the order is being carried out on ${o.element_code}: a command in flight cannot be called back`;
      if (withdrawn) {
        // an order of a service request is that request's step: the request is cancelled with it,
        // which needs the right to cancel requests (as the native route)
        if (o.request_ref && !hasRight(ctx.principal.rights, 'request:write'))
          throw new DomainError(
            'forbidden',
            'auth.forbidden',
            `serviceOrder ${orderId} is a step of service request ${o.request_number ?? o.request_ref}: cancelling it cancels the request, which needs the right request:write`,
            'serviceOrder.id',
          );
        if (o.request_ref)
          // by its number, which the client knows (the ref is its internal id): errors name it
          await cancelRequestIn(
            this.requests,
            trx,
            o.request_number ?? o.request_ref,
            reason,
            ctx,
            'serviceOrder.id',
          );
        state = 'done';
        error = null;
      }
      const seq = await sql<{ n: number }>`SELECT nextval('tmf_cancel_service_order_seq')::int AS n`.execute(
        trx,
      );
      const code = `CSO${String(seq.rows[0]!.n).padStart(8, '0')}`;
      const row = await trx
        .insertInto('tmf_cancel_service_order')
        .values({
          code,
          order_id: orderId,
          cancellation_reason: reason,
          requested_cancellation_date: requested ?? null,
          effective_cancellation_date: state === 'done' ? new Date() : null,
          state,
          error,
          created_by: ctx.actor.userId,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'tmf_cancel_service_order',
        entityId: row.id,
        customerId: o.customer_id,
        lineId: o.line_id,
        kind: 'order.cancel_service_requested',
        userId: ctx.actor.userId,
        payload: { code, order: orderId, request: o.request_number ?? o.request_ref, state, reason },
      });
      return code;
    });
    return (await this.get(code, ctx)) as TmfObject;
  }
}

export function cancelServiceOrderResource(
  db: Db,
  activation: ActivationModule,
  requests: RequestsModule,
): TmfResourceDef {
  const cancels = new TmfCancelServiceOrders(db, activation, requests);
  return {
    path: 'cancelServiceOrder',
    type: 'CancelServiceOrder',
    read: 'activation:read',
    write: 'activation:write',
    pushdown: ['id', 'serviceOrder.id', 'state'],
    list: (q, ctx) => cancels.list(q, ctx),
    get: (id, ctx) => cancels.get(id, ctx),
    create: (b, ctx) => cancels.create(b, ctx),
    events: {
      entityTypes: ['tmf_cancel_service_order'],
      classify: ({ kind }) => (kind === 'order.cancel_service_requested' ? 'CreateEvent' : null),
      idOf: async (entityId) =>
        (
          await db
            .selectFrom('tmf_cancel_service_order')
            .select('code')
            .where('id', '=', Number(entityId))
            .executeTakeFirst()
        )?.code,
    },
  };
}
