import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../platform/http/nullable.js';
import type { FastifyInstance } from 'fastify';
import { by, IdParam, Period } from './billing.http.js';
import type { BillingCycleServices } from './cycle.module.js';

const tags = { tags: ['billing'] };
const Day = Nullable(Type.Integer({ minimum: 0, maximum: 3650 }));
const RuleBody = Type.Object(
  {
    reminderDay: Day,
    limitationDay: Day,
    suspensionDay: Day,
    terminationDay: Day,
    minAmount: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
  },
  { additionalProperties: false },
);
const ExemptionBody = Type.Object(
  {
    customer: Type.String({ minLength: 1, maxLength: 30 }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    until: Type.Optional(Nullable(Type.String({ format: 'date' }))),
  },
  { additionalProperties: false },
);
const PeriodParam = Type.Object({ period: Period });

/** HTTP adapter of collection (rules, exemptions, daily run, cases) and of the ledger centralisation. */
export function registerCollectionRoutes(scope: FastifyInstance, s: BillingCycleServices): void {
  // ---- collection
  scope.get(
    '/api/v1/billing/collection/rules',
    { config: { right: 'billing:read' }, schema: tags },
    async () => ({
      items: await s.collection.rules(),
    }),
  );
  scope.put(
    '/api/v1/billing/collection/rules/:category',
    {
      config: { right: 'collection:run' },
      schema: {
        ...tags,
        params: Type.Object({ category: Type.String({ minLength: 1, maxLength: 31 }) }),
        body: RuleBody,
      },
    },
    async (req) => {
      const b = req.body as Static<typeof RuleBody>;
      return s.collection.setRule(
        { category: (req.params as { category: string }).category, ...b, minAmount: b.minAmount ?? 1 },
        by(req),
      );
    },
  );
  scope.post(
    '/api/v1/billing/collection/exemptions',
    { config: { right: 'collection:run' }, schema: { ...tags, body: ExemptionBody } },
    async (req, reply) => {
      const b = req.body as Static<typeof ExemptionBody>;
      const id = await s.collection.exempt(
        { customer: b.customer, reason: b.reason, until: b.until ?? null, at: s.clock.now() },
        by(req),
      );
      return reply.status(201).send({ id });
    },
  );
  scope.delete(
    '/api/v1/billing/collection/exemptions/:id',
    { config: { right: 'collection:run' }, schema: { ...tags, params: IdParam } },
    async (req, reply) => {
      await s.collection.liftExemption((req.params as { id: number }).id, s.clock.now(), by(req));
      return reply.status(204).send();
    },
  );
  scope.post(
    '/api/v1/billing/collection/runs',
    {
      config: { right: 'collection:run' },
      schema: { ...tags, description: 'The daily collection run, now' },
    },
    async (req) => s.collect(by(req)),
  );
  scope.get(
    '/api/v1/billing/collection/cases',
    {
      config: { right: 'billing:read' },
      schema: {
        ...tags,
        querystring: Type.Object(
          {
            open: Type.Optional(Type.Boolean()),
            payerId: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => ({
      items: await s.collection.cases(req.query as { open?: boolean; payerId?: number; limit: number }),
    }),
  );

  // ---- ledger centralisation
  scope.get(
    '/api/v1/ledger/periods/:period/journal',
    {
      config: { right: 'billing:read' },
      schema: {
        ...tags,
        params: PeriodParam,
        description: 'Centralised journal of an open period (refused once closed: use the export)',
      },
    },
    async (req) => s.centralisation.centralise((req.params as { period: string }).period),
  );
  scope.get(
    '/api/v1/ledger/periods/:period/export.csv',
    { config: { right: 'billing:read' }, schema: { ...tags, params: PeriodParam } },
    async (req, reply) => {
      const period = (req.params as { period: string }).period;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="journal-${period}.csv"`)
        .send(await s.centralisation.export(period));
    },
  );
  scope.post(
    '/api/v1/ledger/periods/:period/close',
    { config: { right: 'ledger:close' }, schema: { ...tags, params: PeriodParam } },
    async (req) =>
      (await s.centralisation.close((req.params as { period: string }).period, s.clock.now(), by(req)))
        .journal,
  );
}
