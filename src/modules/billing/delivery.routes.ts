import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { by, IdParam } from './billing.http.js';
import { BillingCycleError } from './cycle.errors.js';
import type { BillingCycleServices } from './cycle.module.js';
import { depositSettlement, renderDepositSettlementPdf } from './deposit-settlement.js';
import { invoiceBatch } from './invoice-pdf.js';

const tags = { tags: ['billing'] };
const SettlementParam = Type.Object({ ref: Type.String({ pattern: '^[A-Za-z]{2}[0-9]{12}$' }) });

/** HTTP adapter of a run's delivery (paper print batch, e-mail outbox) and of deposit settlements. */
export function registerDeliveryRoutes(scope: FastifyInstance, s: BillingCycleServices): void {
  scope.post(
    '/api/v1/billing/runs/:id/delivery',
    {
      config: { right: 'billing:run' },
      schema: {
        ...tags,
        params: IdParam,
        description:
          'Splits a finished run: e-mail (customers with an address: queued in the outbox) or paper (numbered in postal order for the print batch). Idempotent.',
      },
    },
    async (req) => s.delivery.prepare((req.params as { id: number }).id, s.clock.now(), by(req)),
  );
  scope.get(
    '/api/v1/billing/runs/:id/print/paper',
    {
      config: { right: 'billing:read' },
      schema: {
        ...tags,
        params: IdParam,
        description: 'Print batch: the paper bills of a prepared run in postal order, one PDF, streamed',
      },
    },
    async (req, reply) => {
      const id = (req.params as { id: number }).id;
      const prepared = await s.db
        .selectFrom('billing_delivery')
        .select('invoice_id')
        .where('run_id', '=', id)
        .limit(1)
        .executeTakeFirst();
      if (!prepared)
        throw new BillingCycleError(
          'conflict',
          'billing.delivery_not_prepared',
          `billing run ${id} is not prepared for delivery: POST /api/v1/billing/runs/${id}/delivery first`,
        );
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="billing-run-${id}-paper.pdf"`)
        .send(invoiceBatch(s.delivery.paperPages(id), `Billing run ${id}: paper`));
    },
  );
  scope.get(
    '/api/v1/billing/mail',
    {
      config: { right: 'billing:read' },
      schema: {
        ...tags,
        querystring: Type.Object(
          {
            runId: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          },
          { additionalProperties: false },
        ),
        description: 'The e-mail outbox: counts by status and the messages not sent yet (or of a run)',
      },
    },
    async (req) => s.delivery.queue(req.query as { runId?: number; limit: number }),
  );
  scope.post(
    '/api/v1/billing/mail/send',
    {
      config: { right: 'billing:run' },
      schema: {
        ...tags,
        body: Type.Optional(
          Type.Object(
            {
              runId: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
            },
            { additionalProperties: false },
          ),
        ),
        description: 'Sends the due messages of the outbox now (503 without GPTO_SMTP_URL)',
      },
    },
    async (req) => {
      const b = (req.body ?? {}) as { runId?: number; limit?: number };
      return s.delivery.sendQueued({
        ...(b.runId ? { runId: b.runId } : {}),
        limit: b.limit ?? 1000,
      });
    },
  );

  scope.get(
    '/api/v1/deposit-settlements/:ref',
    { config: { right: 'billing:read' }, schema: { ...tags, params: SettlementParam } },
    async (req) => {
      const ref = (req.params as { ref: string }).ref;
      const st = await depositSettlement(s.db, ref);
      if (!st)
        throw new BillingCycleError(
          'not_found',
          'deposit.settlement_not_found',
          `no deposit settlement ${ref}`,
        );
      return st;
    },
  );
  scope.get(
    '/api/v1/deposit-settlements/:ref/receipt',
    { config: { right: 'billing:read' }, schema: { ...tags, params: SettlementParam } },
    async (req, reply) => {
      const ref = (req.params as { ref: string }).ref;
      const st = await depositSettlement(s.db, ref);
      if (!st)
        throw new BillingCycleError(
          'not_found',
          'deposit.settlement_not_found',
          `no deposit settlement ${ref}`,
        );
      const payer = await s.db
        .selectFrom('payer')
        .select(['code', 'name'])
        .where('id', '=', st.payerId)
        .executeTakeFirstOrThrow();
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="${st.number}.pdf"`)
        .send(await renderDepositSettlementPdf(st, payer));
    },
  );
}
