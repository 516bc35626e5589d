import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../platform/auth/auth.service.js';
import { principalOf } from '../../platform/http/auth-hook.js';
import { PageQuery } from '../../platform/http/pagination.js';
import * as S from './referential.schemas.js';
import type { ReferentialServices } from './index.js';

const by = (request: Parameters<typeof principalOf>[0]) => actorOf(principalOf(request));

/** Thin HTTP adapter: parse (schemas), call one service function, shape the reply. */
export function registerReferentialRoutes(app: FastifyInstance, s: ReferentialServices): void {
  const tags = (t: string) => ({ tags: [t] });

  // Categories
  app.get(
    '/api/v1/categories',
    {
      config: { right: 'catalogue:read' },
      schema: {
        ...tags('categories'),
        querystring: Type.Object({ kind: Type.Optional(S.CategoryKind) }, { additionalProperties: false }),
      },
    },
    async (req) => s.categories.list((req.query as { kind?: S.CategoryCreate['kind'] }).kind),
  );
  app.post(
    '/api/v1/categories',
    { config: { right: 'category:write' }, schema: { ...tags('categories'), body: S.CategoryCreate } },
    async (req, reply) =>
      reply.status(201).send(await s.categories.create(req.body as S.CategoryCreate, by(req))),
  );
  app.patch(
    '/api/v1/categories/:id',
    {
      config: { right: 'category:write' },
      schema: { ...tags('categories'), params: S.IdParam, body: S.CategoryPatch },
    },
    async (req) =>
      s.categories.update((req.params as { id: number }).id, req.body as S.CategoryPatch, by(req)),
  );

  // Customers
  app.get(
    '/api/v1/customers',
    { config: { right: 'customer:read' }, schema: { ...tags('customers'), querystring: S.CustomerSearch } },
    // PostgreSQL builds the page's JSON text ({ items, nextCursor }); it goes out as it is.
    async (req, reply) =>
      reply
        .type('application/json; charset=utf-8')
        .send(await s.customers.searchJson(req.query as S.CustomerSearch)),
  );
  app.post(
    '/api/v1/customers',
    { config: { right: 'customer:write' }, schema: { ...tags('customers'), body: S.CustomerCreate } },
    async (req, reply) => {
      const customer = await s.customers.create(req.body as S.CustomerCreate, by(req));
      return reply.status(201).header('location', `/api/v1/customers/${customer.code}`).send(customer);
    },
  );
  app.get(
    '/api/v1/customers/:ref',
    {
      config: { right: 'customer:read' },
      schema: {
        ...tags('customers'),
        params: S.RefParam,
        description: 'The customer 360°: identity, payers, users, subscriptions and the last 50 events',
        response: { 200: S.Customer360View },
      },
    },
    // PostgreSQL builds the JSON text (Customer360View); it goes out without a parse/serialise in Node.
    async (req, reply) =>
      reply
        .type('application/json; charset=utf-8')
        .send(await s.customers.view360Json((req.params as { ref: string }).ref)),
  );
  app.patch(
    '/api/v1/customers/:ref',
    {
      config: { right: 'customer:write' },
      schema: { ...tags('customers'), params: S.RefParam, body: S.CustomerPatch },
    },
    async (req) =>
      s.customers.update((req.params as { ref: string }).ref, req.body as S.CustomerPatch, by(req)),
  );
  app.get(
    '/api/v1/customers/:ref/events',
    {
      config: { right: 'customer:read' },
      schema: { ...tags('customers'), params: S.RefParam, querystring: PageQuery },
    },
    async (req) => {
      const q = req.query as PageQuery;
      return s.customers.timeline((req.params as { ref: string }).ref, q.cursor, q.limit ?? 50);
    },
  );
  app.get(
    '/api/v1/customers/:ref/blacklist-check',
    { config: { right: 'blacklist:read' }, schema: { ...tags('blacklist'), params: S.RefParam } },
    async (req) => {
      const ref = (req.params as { ref: string }).ref;
      return s.blacklist.checkCustomer(
        /^[0-9]+$/.test(ref) ? { id: Number(ref) } : { code: ref.toUpperCase() },
      );
    },
  );

  // Payers
  app.get(
    '/api/v1/customers/:ref/payers',
    { config: { right: 'customer:read' }, schema: { ...tags('payers'), params: S.RefParam } },
    async (req) => s.payers.listPayers((req.params as { ref: string }).ref),
  );
  const PayerCreate = Type.Composite(
    [S.PayerInput, Type.Object({ isDefault: Type.Optional(Type.Boolean()) })],
    { additionalProperties: false },
  );
  const PayerPatch = Type.Composite(
    [
      S.PayerInput,
      Type.Object({
        isDefault: Type.Optional(Type.Boolean()),
        status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('closed')])),
      }),
    ],
    { additionalProperties: false, minProperties: 1 },
  );
  app.post(
    '/api/v1/customers/:ref/payers',
    {
      config: { right: 'customer:write' },
      schema: { ...tags('payers'), params: S.RefParam, body: PayerCreate },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          await s.payers.createPayer((req.params as { ref: string }).ref, req.body as S.PayerInput, by(req)),
        ),
  );
  app.get(
    '/api/v1/payers/:id',
    { config: { right: 'customer:read' }, schema: { ...tags('payers'), params: S.IdParam } },
    async (req) => s.payers.getPayer((req.params as { id: number }).id),
  );
  app.patch(
    '/api/v1/payers/:id',
    {
      config: { right: 'customer:write' },
      schema: { ...tags('payers'), params: S.IdParam, body: PayerPatch },
    },
    async (req) => s.payers.updatePayer((req.params as { id: number }).id, req.body as S.PayerInput, by(req)),
  );

  // Subscription users
  app.get(
    '/api/v1/customers/:ref/users',
    { config: { right: 'customer:read' }, schema: { ...tags('users'), params: S.RefParam } },
    async (req) => s.payers.listUsers((req.params as { ref: string }).ref),
  );
  app.post(
    '/api/v1/customers/:ref/users',
    {
      config: { right: 'customer:write' },
      schema: { ...tags('users'), params: S.RefParam, body: S.UserInput },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          await s.payers.createUser((req.params as { ref: string }).ref, req.body as S.UserInput, by(req)),
        ),
  );
  app.patch(
    '/api/v1/subscription-users/:id',
    {
      config: { right: 'customer:write' },
      schema: { ...tags('users'), params: S.IdParam, body: S.UserPatch },
    },
    async (req) => s.payers.updateUser((req.params as { id: number }).id, req.body as S.UserPatch, by(req)),
  );

  // Catalogue
  app.get(
    '/api/v1/products',
    {
      config: { right: 'catalogue:read' },
      schema: {
        ...tags('catalogue'),
        querystring: Type.Object({ kind: Type.Optional(S.ProductKind) }, { additionalProperties: false }),
      },
    },
    async (req) => s.catalogue.list((req.query as { kind?: S.ProductCreate['kind'] }).kind),
  );
  app.get(
    '/api/v1/products/:code',
    {
      config: { right: 'catalogue:read' },
      schema: { ...tags('catalogue'), params: Type.Object({ code: Type.String({ maxLength: 31 }) }) },
    },
    async (req) => s.catalogue.get((req.params as { code: string }).code),
  );
  app.post(
    '/api/v1/products',
    { config: { right: 'catalogue:write' }, schema: { ...tags('catalogue'), body: S.ProductCreate } },
    async (req, reply) =>
      reply.status(201).send(await s.catalogue.create(req.body as S.ProductCreate, by(req))),
  );
  app.post(
    '/api/v1/products/:code/versions',
    {
      config: { right: 'catalogue:write' },
      schema: {
        ...tags('catalogue'),
        params: Type.Object({ code: Type.String({ maxLength: 31 }) }),
        body: S.PriceInput,
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          await s.catalogue.addVersion(
            (req.params as { code: string }).code,
            req.body as S.PriceInput,
            by(req),
          ),
        ),
  );

  // Subscriptions
  app.post(
    '/api/v1/customers/:ref/subscriptions',
    {
      config: { right: 'customer:write' },
      schema: { ...tags('subscriptions'), params: S.RefParam, body: S.SubscriptionCreate },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          await s.subscriptions.create(
            (req.params as { ref: string }).ref,
            req.body as S.SubscriptionCreate,
            by(req),
          ),
        ),
  );
  app.get(
    '/api/v1/subscriptions/:id',
    { config: { right: 'customer:read' }, schema: { ...tags('subscriptions'), params: S.IdParam } },
    async (req) => s.subscriptions.get((req.params as { id: number }).id),
  );
  app.post(
    '/api/v1/subscriptions/:id/status',
    {
      config: { right: 'customer:write' },
      schema: { ...tags('subscriptions'), params: S.IdParam, body: S.SubscriptionStatusChange },
    },
    async (req) =>
      s.subscriptions.changeStatus(
        (req.params as { id: number }).id,
        req.body as S.SubscriptionStatusChange,
        by(req),
      ),
  );
  app.post(
    '/api/v1/subscriptions/:id/payer',
    {
      config: { right: 'customer:write' },
      schema: {
        ...tags('subscriptions'),
        params: S.IdParam,
        body: Type.Object({ payerId: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      },
    },
    async (req) =>
      s.subscriptions.movePayer(
        (req.params as { id: number }).id,
        (req.body as { payerId: number }).payerId,
        by(req),
      ),
  );

  // Blacklist
  app.get(
    '/api/v1/blacklist',
    {
      config: { right: 'blacklist:read' },
      schema: {
        ...tags('blacklist'),
        querystring: Type.Composite(
          [PageQuery, Type.Object({ includeLifted: Type.Optional(Type.Boolean()) })],
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const q = req.query as PageQuery & { includeLifted?: boolean };
      return s.blacklist.list(q.includeLifted ?? false, q.cursor, q.limit ?? 50);
    },
  );
  app.post(
    '/api/v1/blacklist',
    { config: { right: 'blacklist:write' }, schema: { ...tags('blacklist'), body: S.BlacklistCreate } },
    async (req, reply) =>
      reply.status(201).send(await s.blacklist.add(req.body as S.BlacklistCreate, by(req))),
  );
  app.post(
    '/api/v1/blacklist/:id/lift',
    {
      config: { right: 'blacklist:write' },
      schema: {
        ...tags('blacklist'),
        params: S.IdParam,
        body: Type.Object(
          { reason: Type.String({ minLength: 1, maxLength: 500 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) =>
      s.blacklist.lift((req.params as { id: number }).id, (req.body as { reason: string }).reason, by(req)),
  );
  app.post(
    '/api/v1/blacklist/check',
    { config: { right: 'blacklist:read' }, schema: { ...tags('blacklist'), body: S.BlacklistCheck } },
    async (req) => s.blacklist.check(req.body as S.BlacklistCheck),
  );
}
