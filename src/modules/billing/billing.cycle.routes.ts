import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { BillingCycleServices } from './cycle.module.js';
import { by, IdParam, Period } from './billing.http.js';
import { registerCollectionRoutes } from './collection.routes.js';
import { registerDeliveryRoutes } from './delivery.routes.js';
import { registerRefundRoutes } from './refund.routes.js';
import { BillingCycleError, invalidInput } from './cycle.errors.js';
import { billContexts, invoiceBatch, renderInvoicePdf, renderReceiptPdf } from './invoice-pdf.js';
import type { InvoiceDoc } from './invoices.service.js';

const tags = { tags: ['billing'] };
const Method = Type.Union(
  ['cash', 'bank_transfer', 'direct_debit', 'mobile_money', 'cheque', 'card'].map((m) => Type.Literal(m)),
);

const RunBody = Type.Object(
  { period: Period, cycle: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{1,30}$' })) },
  { additionalProperties: false },
);
const PaymentBody = Type.Object(
  {
    payerId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    amount: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    method: Method,
    reference: Type.Optional(Type.String({ maxLength: 100 })),
    invoiceNumber: Type.Optional(Type.String({ pattern: '^[A-Za-z][0-9]{12}$' })),
  },
  { additionalProperties: false },
);
const CreditNoteBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    lines: Type.Optional(
      Type.Array(
        Type.Object(
          {
            label: Type.String({ minLength: 1, maxLength: 200 }),
            amount: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 100 },
      ),
    ),
  },
  { additionalProperties: false },
);
const ChargeBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('one_off'), Type.Literal('adjustment')]),
    label: Type.String({ minLength: 1, maxLength: 200 }),
    amount: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    subscriptionId: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
  },
  { additionalProperties: false },
);
const ReadingsBody = Type.Object(
  {
    readings: Type.Array(
      Type.Object(
        {
          line: Type.String({ minLength: 1, maxLength: 30 }),
          readAt: Type.String({ format: 'date-time' }),
          index: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10_000 },
    ),
  },
  { additionalProperties: false },
);
const RefParam = Type.Object({
  ref: Type.String({ minLength: 1, maxLength: 30, pattern: '^[A-Za-z0-9-]+$' }),
});

function csvBody(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  throw invalidInput('body', 'send the file as text/csv');
}

/** HTTP adapter of the billing cycle: runs, invoices, payments, accounts, collection, ledger. */
export async function registerBillingCycleRoutes(
  app: FastifyInstance,
  s: BillingCycleServices,
): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      ['text/csv', 'text/plain'],
      { parseAs: 'buffer', bodyLimit: 100 * 1024 * 1024 },
      (_req, body, done) => done(null, body),
    );

    // ---- billing runs and invoices
    scope.post(
      '/api/v1/billing/runs',
      {
        config: { right: 'billing:run' },
        schema: {
          ...tags,
          body: RunBody,
          description: 'Bill a period: one invoice per payer of the cycle (default monthly)',
        },
      },
      async (req, reply) => {
        const b = req.body as Static<typeof RunBody>;
        const r = await s.run({ period: b.period, ...(b.cycle ? { cycle: b.cycle } : {}) }, by(req));
        return reply.status(201).send(r);
      },
    );
    scope.get(
      '/api/v1/billing/runs/:id',
      { config: { right: 'billing:read' }, schema: { ...tags, params: IdParam } },
      async (req) => {
        const id = (req.params as { id: number }).id;
        const r = await s.db.selectFrom('billing_run').selectAll().where('id', '=', id).executeTakeFirst();
        if (!r) throw new BillingCycleError('not_found', 'billing.run_not_found', `no billing run ${id}`);
        return r;
      },
    );
    scope.get(
      '/api/v1/billing/runs/:id/print',
      {
        config: { right: 'billing:read' },
        schema: {
          ...tags,
          params: IdParam,
          description: 'Print batch: every invoice of the run in one PDF, streamed',
        },
      },
      async (req, reply) => {
        const id = (req.params as { id: number }).id;
        async function* pages(): AsyncGenerator<
          [InvoiceDoc, Awaited<ReturnType<typeof billContexts>> extends Map<number, infer C> ? C : never][]
        > {
          let after = 0;
          for (;;) {
            const page = await s.invoices.pageOfRun(id, after, 200);
            if (page.length === 0) return;
            const ctx = await billContexts(s.db, page);
            yield page.map((i) => [i, ctx.get(i.payerId)!]);
            after = page[page.length - 1]!.id;
          }
        }
        return reply
          .type('application/pdf')
          .header('content-disposition', `inline; filename="billing-run-${id}.pdf"`)
          .send(invoiceBatch(pages(), `Billing run ${id}`));
      },
    );
    scope.get(
      '/api/v1/invoices/:ref',
      { config: { right: 'billing:read' }, schema: { ...tags, params: RefParam } },
      async (req) => s.invoices.get((req.params as { ref: string }).ref),
    );
    scope.get(
      '/api/v1/invoices/:ref/pdf',
      { config: { right: 'billing:read' }, schema: { ...tags, params: RefParam } },
      async (req, reply) => {
        const inv = await s.invoices.get((req.params as { ref: string }).ref);
        const ctx = (await billContexts(s.db, [inv])).get(inv.payerId)!;
        return reply
          .type('application/pdf')
          .header('content-disposition', `inline; filename="${inv.number}.pdf"`)
          .send(await renderInvoicePdf(inv, ctx));
      },
    );
    scope.post(
      '/api/v1/invoices/:ref/credit-notes',
      { config: { right: 'billing:run' }, schema: { ...tags, params: RefParam, body: CreditNoteBody } },
      async (req, reply) => {
        const b = req.body as Static<typeof CreditNoteBody>;
        const note = await s.invoices.creditNote(
          {
            invoice: (req.params as { ref: string }).ref,
            reason: b.reason,
            ...(b.lines ? { lines: b.lines } : {}),
            at: s.clock.now(),
          },
          by(req),
        );
        return reply.status(201).send(note);
      },
    );
    scope.get(
      '/api/v1/payers/:id/invoices',
      { config: { right: 'billing:read' }, schema: { ...tags, params: IdParam } },
      async (req) => ({ items: await s.invoices.listOfPayer((req.params as { id: number }).id) }),
    );
    scope.post(
      '/api/v1/payers/:id/charges',
      { config: { right: 'billing:run' }, schema: { ...tags, params: IdParam, body: ChargeBody } },
      async (req, reply) => {
        const b = req.body as Static<typeof ChargeBody>;
        const id = await s.db.transaction().execute((trx) =>
          s.invoices.postCharge(
            trx,
            {
              payerId: (req.params as { id: number }).id,
              kind: b.kind,
              label: b.label,
              amount: b.amount,
              subscriptionId: b.subscriptionId ?? null,
              at: s.clock.now(),
            },
            by(req),
          ),
        );
        return reply.status(201).send({ id });
      },
    );
    scope.put(
      '/api/v1/payers/:id/billing-cycle',
      {
        config: { right: 'billing:run' },
        schema: {
          ...tags,
          params: IdParam,
          body: Type.Object({ cycle: Type.String({ maxLength: 31 }) }, { additionalProperties: false }),
        },
      },
      async (req) => {
        const id = (req.params as { id: number }).id;
        const { cycle } = req.body as { cycle: string };
        await s.accounts.setCycle(id, cycle, by(req));
        return { payerId: id, cycle };
      },
    );

    // ---- meter readings
    scope.post(
      '/api/v1/meter-readings',
      { config: { right: 'billing:run' }, schema: { ...tags, body: ReadingsBody } },
      async (req) => s.meters.record((req.body as Static<typeof ReadingsBody>).readings, by(req)),
    );
    scope.post(
      '/api/v1/meter-readings/import',
      {
        config: { right: 'billing:run' },
        schema: {
          ...tags,
          description: 'CSV (text/csv) with header line,read_at,index; good rows recorded, bad ones reported',
        },
      },
      async (req) => s.meters.importCsv(csvBody(req.body), by(req)),
    );

    // ---- payments
    scope.post(
      '/api/v1/payments',
      {
        config: { right: 'payment:write' },
        schema: {
          ...tags,
          body: PaymentBody,
          description: 'Cash desk: a payment matched to the designated invoice, then the oldest',
        },
      },
      async (req, reply) => {
        const b = req.body as Static<typeof PaymentBody>;
        const r = await s.payments.record(
          {
            payerId: b.payerId,
            amount: b.amount,
            method: b.method as 'cash',
            reference: b.reference ?? null,
            invoiceNumber: b.invoiceNumber ?? null,
            at: s.clock.now(),
          },
          by(req),
        );
        return reply.status(201).header('location', `/api/v1/payments/${r.number}`).send(r);
      },
    );
    scope.post(
      '/api/v1/payments/import/bank-transfers',
      {
        config: { right: 'payment:write' },
        schema: { ...tags, description: 'CSV: date,amount,reference,payer,invoice' },
      },
      async (req) => s.payments.importBankTransfers(csvBody(req.body), by(req)),
    );
    scope.post(
      '/api/v1/payments/import/mobile-money',
      {
        config: { right: 'payment:write' },
        schema: { ...tags, description: 'CSV: transaction_id,date,msisdn,amount,reference' },
      },
      async (req) => s.payments.importMobileMoney(csvBody(req.body), by(req)),
    );
    scope.get(
      '/api/v1/payments/:ref',
      { config: { right: 'billing:read' }, schema: { ...tags, params: RefParam } },
      async (req) => s.payments.get((req.params as { ref: string }).ref),
    );
    scope.get(
      '/api/v1/payments/:ref/receipt',
      { config: { right: 'billing:read' }, schema: { ...tags, params: RefParam } },
      async (req, reply) => {
        const p = await s.payments.get((req.params as { ref: string }).ref);
        const payer = await s.db
          .selectFrom('payer')
          .select(['code', 'name'])
          .where('id', '=', p.payerId)
          .executeTakeFirstOrThrow();
        const pdf = await renderReceiptPdf({
          ...p,
          payerCode: payer.code,
          payerName: payer.name,
          currency: s.currency,
        });
        return reply
          .type('application/pdf')
          .header('content-disposition', `inline; filename="${p.number}.pdf"`)
          .send(pdf);
      },
    );
    scope.post(
      '/api/v1/deposits/:id/settle',
      {
        config: { right: 'payment:write' },
        schema: {
          ...tags,
          params: IdParam,
          body: Type.Object(
            {
              reason: Type.String({ minLength: 1, maxLength: 500 }),
              applyToDebt: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          description: 'Line ended: the deposit pays what is owed, the rest is refunded',
        },
      },
      async (req) => {
        const b = req.body as { reason: string; applyToDebt?: boolean };
        return s.payments.settleDeposit(
          (req.params as { id: number }).id,
          { reason: b.reason, applyToDebt: b.applyToDebt ?? true, at: s.clock.now() },
          by(req),
        );
      },
    );

    // ---- accounts
    scope.get(
      '/api/v1/payers/:id/statement',
      {
        config: { right: 'billing:read' },
        schema: {
          ...tags,
          params: IdParam,
          querystring: Type.Object(
            {
              from: Type.Optional(Type.String({ format: 'date' })),
              to: Type.Optional(Type.String({ format: 'date' })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => {
        const q = req.query as { from?: string; to?: string };
        const to = q.to ? new Date(`${q.to}T00:00:00Z`) : new Date(s.clock.now().getTime() + 1000);
        const from = q.from ? new Date(`${q.from}T00:00:00Z`) : new Date(to.getTime() - 365 * 86_400_000);
        return s.accounts.statement((req.params as { id: number }).id, from, to);
      },
    );
    scope.get(
      '/api/v1/customers/:ref/billing-account',
      {
        config: { right: 'billing:read' },
        schema: { ...tags, params: RefParam, description: 'The customer’s consolidated view across payers' },
      },
      async (req) => s.accounts.customerAccount((req.params as { ref: string }).ref, s.clock.now()),
    );

    registerCollectionRoutes(scope, s);
    registerDeliveryRoutes(scope, s);
    registerRefundRoutes(scope, s);
  });
}
