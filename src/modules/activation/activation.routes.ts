import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../platform/http/nullable.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasRight } from '../../platform/auth/rights.js';
import { actorOf } from '../../platform/auth/auth.service.js';
import { DomainError } from '../../platform/errors.js';
import { principalOf } from '../../platform/http/auth-hook.js';
import type { ActivationModule } from './index.js';
import { ORDER_OPERATIONS } from './operations.js';
import { EXPORT_LIMIT, type OrderFilter } from './activation.service.js';
import type { AuditItemKind, CommandOutcome } from './activation.tables.js';

const by = (request: Parameters<typeof principalOf>[0]) => actorOf(principalOf(request));

const ElementCode = Type.String({ pattern: '^[A-Z0-9][A-Z0-9_-]{0,31}$' });
const LineId = Type.String({ pattern: '^[0-9A-Za-z+._-]{1,32}$' });
const Page = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
};
const PageQuery = Type.Object(Page, { additionalProperties: false });
type PageQuery = Static<typeof PageQuery>;

const ElementBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('osmo_hlr'), Type.Literal('mml_switch')]),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    host: Type.String({ minLength: 1, maxLength: 255 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    vtyPort: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 65535 }))),
    username: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    password: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    ratePerSecond: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })),
    poolSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    pipeline: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    exchanges: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Z0-9][A-Z0-9_-]{0,30}$' }), {
        maxItems: 200,
        uniqueItems: true,
      }),
    ),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600000 })),
    isDefault: Type.Optional(Type.Boolean()),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
type ElementBody = Static<typeof ElementBody>;

const OrderBody = Type.Object(
  {
    operation: Type.Union(ORDER_OPERATIONS.map((o) => Type.Literal(o))),
    lineId: LineId,
    element: Type.Optional(ElementCode),
    params: Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]{0,30}$' }), Type.Unknown(), {
      maxProperties: 30,
    }),
  },
  { additionalProperties: false },
);
type OrderBody = Static<typeof OrderBody>;

/** Thin HTTP adapter over the activation service. */
export function registerActivationRoutes(
  app: FastifyInstance,
  act: ActivationModule,
  opts: {
    /** Retries a request's fallen-out step as the signed-in user ("retry now", workflow). */
    retryStep?: (taskId: number, req: FastifyRequest) => Promise<void>;
  } = {},
): void {
  const s = act.service;
  const tags = ['activation'];
  /** Retries a request's fallen-out step as the signed-in user, who needs task:retry. */
  const retryStepOf = (req: FastifyRequest) => {
    const retry = opts.retryStep;
    if (!retry) return undefined;
    if (!hasRight(principalOf(req).rights, 'task:retry'))
      return () =>
        Promise.reject(
          new DomainError(
            'forbidden',
            'auth.forbidden',
            'retrying a request’s step needs the right task:retry',
          ),
        );
    return (taskId: number) => retry(taskId, req);
  };

  app.get(
    '/api/v1/activation/elements',
    {
      config: { right: 'activation:read' },
      schema: {
        tags,
        description: 'Network elements with their health (circuit, connections, errors) and queues',
      },
    },
    async () => s.elements(),
  );
  app.get(
    '/api/v1/activation/elements/:code',
    { config: { right: 'activation:read' }, schema: { tags, params: Type.Object({ code: ElementCode }) } },
    async (req) => s.element((req.params as { code: string }).code),
  );
  app.put(
    '/api/v1/activation/elements/:code',
    {
      config: { right: 'activation:admin' },
      schema: { tags, params: Type.Object({ code: ElementCode }), body: ElementBody },
    },
    async (req) =>
      s.upsertElement({ code: (req.params as { code: string }).code, ...(req.body as ElementBody) }, by(req)),
  );
  app.post(
    '/api/v1/activation/elements/:code/probe',
    {
      config: { right: 'activation:write' },
      schema: {
        tags,
        params: Type.Object({ code: ElementCode }),
        description: 'Whether the element answers now, from this server, on a connection of its own',
      },
    },
    async (req) => s.probe((req.params as { code: string }).code),
  );
  app.get(
    '/api/v1/activation/elements/:code/outages',
    {
      config: { right: 'activation:read' },
      schema: {
        tags,
        params: Type.Object({ code: ElementCode }),
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })) },
          { additionalProperties: false },
        ),
        description:
          'When the element was unreachable, and for how long, newest first (each automaton’s view)',
      },
    },
    async (req) =>
      s.outages((req.params as { code: string }).code, (req.query as { limit?: number }).limit ?? 20),
  );
  app.get(
    '/api/v1/activation/elements/:code/activity',
    {
      config: { right: 'activation:read' },
      schema: {
        tags,
        params: Type.Object({ code: ElementCode }),
        querystring: Type.Object(
          { hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 168, default: 24 })) },
          { additionalProperties: false },
        ),
        description:
          'Commands sent over the last `hours` hours (at most a week) per bucket — ok, refused, transport errors, p50/p95/max time — and the outages overlapping the window',
      },
    },
    async (req) =>
      s.activity((req.params as { code: string }).code, (req.query as { hours?: number }).hours ?? 24),
  );
  const AuditKind = Type.Union(
    ['missing', 'state_differs', 'number_differs', 'port_differs', 'unknown_on_element', 'not_placeable'].map(
      (k) => Type.Literal(k),
    ),
  );
  const AuditId = Type.Object({ id: Type.Integer({ minimum: 1 }) });
  app.post(
    '/api/v1/activation/elements/:code/audits',
    {
      config: { right: 'activation:write' },
      schema: {
        tags,
        params: Type.Object({ code: ElementCode }),
        body: Type.Object({ repair: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        description:
          'Starts a network audit of the element: its lines against the live subscriptions and their technical files (202, then GET the audit for its progress); `repair` queues the orders that realign every difference the records settle',
      },
    },
    async (req, reply) => {
      const body = (req.body ?? {}) as { repair?: boolean };
      const a = await act.audit.start((req.params as { code: string }).code, body, by(req));
      return reply.code(202).send(a);
    },
  );
  app.get(
    '/api/v1/activation/audits',
    {
      config: { right: 'activation:read' },
      schema: {
        tags,
        querystring: Type.Object(
          {
            element: Type.Optional(ElementCode),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
          },
          { additionalProperties: false },
        ),
        description: 'The network audits, newest first (of one element with `element`)',
      },
    },
    async (req) => {
      const q = req.query as { element?: string; limit?: number };
      return act.audit.list(q.element, q.limit ?? 20);
    },
  );
  app.get(
    '/api/v1/activation/audits/:id',
    { config: { right: 'activation:read' }, schema: { tags, params: AuditId } },
    async (req) => act.audit.get((req.params as { id: number }).id),
  );
  app.get(
    '/api/v1/activation/audits/:id/items',
    {
      config: { right: 'activation:read' },
      schema: {
        tags,
        params: AuditId,
        querystring: Type.Object(
          { ...Page, kind: Type.Optional(AuditKind) },
          { additionalProperties: false },
        ),
        description: 'The differences the audit found, with the orders that realign each one',
      },
    },
    async (req) => {
      const q = req.query as PageQuery & { kind?: AuditItemKind };
      return act.audit.items((req.params as { id: number }).id, { kind: q.kind }, q);
    },
  );
  app.post(
    '/api/v1/activation/audits/:id/items/:itemId/remove',
    {
      config: { right: 'activation:write' },
      schema: {
        tags,
        params: Type.Object({ id: Type.Integer({ minimum: 1 }), itemId: Type.Integer({ minimum: 1 }) }),
        description:
          'Removes from the element a line the records do not know (an unknown_on_element difference), once switching has decided so: one deactivation order, journaled as the audit’s; the item with its order',
      },
    },
    async (req) => {
      const p = req.params as { id: number; itemId: number };
      return act.audit.remove(p.id, p.itemId, by(req));
    },
  );
  app.post(
    '/api/v1/activation/audits/:id/repair',
    {
      config: { right: 'activation:write' },
      schema: {
        tags,
        params: AuditId,
        description:
          'Queues the orders that realign the differences of a finished audit not yet repaired (lines unknown to the records are left to switching)',
      },
    },
    async (req) => act.audit.repair((req.params as { id: number }).id, by(req)),
  );
  app.get(
    '/api/v1/activation/elements/:code/journal',
    {
      config: { right: 'activation:read' },
      schema: {
        tags,
        params: Type.Object({ code: ElementCode }),
        querystring: Type.Object(
          {
            ...Page,
            since: Type.Optional(Type.String({ format: 'date-time' })),
            until: Type.Optional(Type.String({ format: 'date-time' })),
            outcome: Type.Optional(
              Type.Union([Type.Literal('ok'), Type.Literal('refused'), Type.Literal('transport_error')]),
            ),
          },
          { additionalProperties: false },
        ),
        description:
          'The element’s commands, newest first; `since` / `until` bound when they were sent (an activity bar’s bucket), `outcome` keeps one kind',
      },
    },
    async (req) => {
      const q = req.query as PageQuery & { since?: string; until?: string; outcome?: CommandOutcome };
      return s.journal(
        {
          element: (req.params as { code: string }).code,
          ...(q.since ? { since: new Date(q.since) } : {}),
          ...(q.until ? { until: new Date(q.until) } : {}),
          ...(q.outcome ? { outcome: q.outcome } : {}),
        },
        q,
      );
    },
  );

  app.post(
    '/api/v1/activation/orders',
    {
      config: { right: 'activation:write' },
      schema: { tags, body: OrderBody, description: 'Queue an operation on a line (outside any request)' },
    },
    async (req, reply) => {
      const b = req.body as OrderBody;
      const o = await s.order(
        { operation: b.operation, lineId: b.lineId, params: b.params, element: b.element },
        by(req),
      );
      return reply.status(202).header('location', `/api/v1/activation/orders/${o.id}`).send(o);
    },
  );
  const OrderFilters = {
    lineId: Type.Optional(LineId),
    instanceId: Type.Optional(Type.Integer({ minimum: 1 })),
    element: Type.Optional(ElementCode),
    status: Type.Optional(
      Type.Union(['pending', 'running', 'done', 'refused', 'cancelled'].map((x) => Type.Literal(x))),
    ),
    toHandle: Type.Optional(
      Type.Boolean({
        description:
          "true: only refused orders left to handle (not replayed; a request's: its step still in the switching basket)",
      }),
    ),
  };
  app.get(
    '/api/v1/activation/orders/export',
    {
      config: { right: 'activation:read' },
      schema: {
        tags,
        querystring: Type.Object(
          {
            ...OrderFilters,
            since: Type.Optional(Type.String({ format: 'date-time' })),
            until: Type.Optional(Type.String({ format: 'date-time' })),
          },
          { additionalProperties: false },
        ),
        description: `The orders the filters select (created in [since, until)), newest first, as CSV (UTF-8 with a BOM); at most ${EXPORT_LIMIT}, more is 409 activation.export_too_large`,
      },
    },
    async (req, reply) => {
      const q = req.query as OrderFilter & { since?: string; until?: string };
      const { csv, rows } = await s.ordersCsv({
        ...q,
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
      });
      const name = `activation-orders${q.element ? `-${q.element}` : ''}${q.status ? `-${q.status}` : ''}.csv`;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('x-gpto-rows', String(rows))
        .send(csv);
    },
  );
  app.get(
    '/api/v1/activation/orders',
    {
      config: { right: 'activation:read' },
      schema: {
        tags,
        querystring: Type.Object({ ...Page, ...OrderFilters }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const q = req.query as PageQuery & OrderFilter;
      return s.orders(q, q);
    },
  );
  app.get(
    '/api/v1/activation/orders/:id',
    {
      config: { right: 'activation:read' },
      schema: { tags, params: Type.Object({ id: Type.Integer({ minimum: 1 }) }) },
    },
    async (req) => s.get((req.params as { id: number }).id),
  );
  app.post(
    '/api/v1/activation/orders/replay',
    {
      config: { right: 'activation:write' },
      schema: {
        tags,
        body: Type.Object(
          {
            element: ElementCode,
            since: Type.Optional(Type.String({ format: 'date-time' })),
          },
          { additionalProperties: false },
        ),
        description:
          "Replay the refused orders of an element that were not replayed yet, outside requests (500 at a time, oldest first; `more` says if some are left), and retry the requests' steps that fell out with such an order (the workflow's retry now: needs task:retry and the switching basket)",
      },
    },
    async (req) => {
      const b = req.body as { element: string; since?: string };
      const retryStep = retryStepOf(req);
      return s.replayRefused(
        { element: b.element, since: b.since ? new Date(b.since) : undefined },
        by(req),
        retryStep ? { retryStep } : {},
      );
    },
  );
  app.post(
    '/api/v1/activation/orders/:id/replay',
    {
      config: { right: 'activation:write' },
      schema: {
        tags,
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: Type.Optional(
          Type.Object(
            {
              params: Type.Optional(
                Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]{0,30}$' }), Type.Unknown()),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        description: 'Replay a refused order (optionally with corrected parameters)',
      },
    },
    async (req, reply) => {
      const body = (req.body ?? {}) as { params?: Record<string, unknown> };
      return reply
        .status(202)
        .send(await s.replay((req.params as { id: number }).id, by(req), body.params, retryStepOf(req)));
    },
  );
  app.post(
    '/api/v1/activation/orders/:id/dismiss',
    {
      config: { right: 'activation:write' },
      schema: {
        tags,
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: Type.Object(
          { reason: Type.String({ minLength: 1, maxLength: 500 }) },
          { additionalProperties: false },
        ),
        description:
          'Set a refused order aside (not to be replayed: a line that does not exist, an order placed by mistake), with the reason; it leaves the refusals left to handle',
      },
    },
    async (req) =>
      s.dismiss((req.params as { id: number }).id, (req.body as { reason: string }).reason, by(req)),
  );

  app.get(
    '/api/v1/activation/lines/:lineId/journal',
    {
      config: { right: 'activation:read' },
      schema: { tags, params: Type.Object({ lineId: LineId }), querystring: PageQuery },
    },
    async (req) => s.journal({ lineId: (req.params as { lineId: string }).lineId }, req.query as PageQuery),
  );
  app.get(
    '/api/v1/activation/instances/:id/journal',
    {
      config: { right: 'activation:read' },
      schema: {
        tags,
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        querystring: PageQuery,
        description: 'The commands sent for one request (its workflow instance)',
      },
    },
    async (req) => s.journal({ instanceId: (req.params as { id: number }).id }, req.query as PageQuery),
  );

  const ElementQuery = Type.Object({ element: Type.Optional(ElementCode) }, { additionalProperties: false });
  app.get(
    '/api/v1/activation/lines/:dn/status',
    {
      config: { right: 'activation:read' },
      schema: {
        tags,
        params: Type.Object({ dn: Type.String({ pattern: '^[0-9]{4,15}$' }) }),
        querystring: ElementQuery,
        description:
          'Fixed line status on its switch, now (idle, busy, out_of_order, barred), with services and classes',
      },
    },
    async (req) =>
      s.query(
        'fixed.status',
        { dn: (req.params as { dn: string }).dn },
        (req.query as { element?: string }).element,
      ),
  );
  app.get(
    '/api/v1/activation/lines/:dn/meter',
    {
      config: { right: 'activation:read' },
      schema: {
        tags,
        params: Type.Object({ dn: Type.String({ pattern: '^[0-9]{4,15}$' }) }),
        querystring: ElementQuery,
        description: 'Meter index of a fixed line, read from its switch now',
      },
    },
    async (req) =>
      s.query(
        'fixed.meter',
        { dn: (req.params as { dn: string }).dn },
        (req.query as { element?: string }).element,
      ),
  );
  app.get(
    '/api/v1/activation/subscribers/:imsi/status',
    {
      config: { right: 'activation:read' },
      schema: {
        tags,
        params: Type.Object({ imsi: Type.String({ pattern: '^[0-9]{6,15}$' }) }),
        querystring: ElementQuery,
        description: 'Mobile subscriber status in the HLR (number, CS/PS access, algorithms; never keys)',
      },
    },
    async (req) =>
      s.query(
        'mobile.status',
        { imsi: (req.params as { imsi: string }).imsi },
        (req.query as { element?: string }).element,
      ),
  );
}
