import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { by, IdParam } from './billing.http.js';
import type { BillingCycleServices } from './cycle.module.js';

const tags = { tags: ['billing'] };

const RefundBody = Type.Object(
  {
    amount: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    payment: Type.Optional(
      Type.String({ pattern: '^[A-Za-z][0-9]{12}$', description: 'the payment given back' }),
    ),
    method: Type.Optional(
      Type.Union(
        ['cash', 'bank_transfer', 'direct_debit', 'mobile_money', 'cheque', 'card'].map((m) =>
          Type.Literal(m),
        ),
      ),
    ),
    reference: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
const RefundParam = Type.Object({ ref: Type.String({ pattern: '^[A-Za-z]{2}[0-9]{12}$' }) });

/** HTTP adapter of refunds (refund.ts) and of on-demand bills (on-demand.ts). */
export function registerRefundRoutes(scope: FastifyInstance, s: BillingCycleServices): void {
  scope.post(
    '/api/v1/payers/:id/refunds',
    {
      config: { right: 'payment:write' },
      schema: {
        ...tags,
        params: IdParam,
        body: RefundBody,
        description:
          'Gives back money to a payer in credit: never more than the credit, nor than what is left of the named payment (which sets the method); cash otherwise',
      },
    },
    async (req, reply) => {
      const b = req.body as Static<typeof RefundBody>;
      const r = await s.refunds.record(
        {
          payerId: (req.params as { id: number }).id,
          amount: b.amount,
          reason: b.reason,
          paymentNumber: b.payment ?? null,
          method: (b.method as 'cash' | undefined) ?? null,
          reference: b.reference ?? null,
          at: s.clock.now(),
        },
        by(req),
      );
      return reply.status(201).header('location', `/api/v1/refunds/${r.number}`).send(r);
    },
  );
  scope.get(
    '/api/v1/refunds/:ref',
    { config: { right: 'billing:read' }, schema: { ...tags, params: RefundParam } },
    async (req) => s.refunds.get((req.params as { ref: string }).ref),
  );
  scope.post(
    '/api/v1/payers/:id/invoices/on-demand',
    {
      config: { right: 'billing:run' },
      schema: {
        ...tags,
        params: IdParam,
        description:
          'Bills now the charges waiting for the payer’s next bill (one-off fees, adjustments), with the run’s rules',
      },
    },
    async (req, reply) => {
      const payerId = (req.params as { id: number }).id;
      const inv = await s.db
        .transaction()
        .execute((trx) =>
          s.billOnDemand(trx, { payerId, source: { type: 'on_demand_api', id: String(payerId) } }, by(req)),
        );
      return reply.status(201).header('location', `/api/v1/invoices/${inv.number}`).send(inv);
    },
  );
}
