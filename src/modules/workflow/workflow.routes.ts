import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf } from '../../platform/auth/auth.service.js';
import { hasRight } from '../../platform/auth/rights.js';
import { principalOf } from '../../platform/http/auth-hook.js';
import { DomainError } from '../../platform/errors.js';
import type { WorkflowServices } from './index.js';
import type { Agent } from './task.service.js';

const IdParam = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const CodeParam = Type.Object({ code: Type.String({ pattern: '^[a-z][a-z0-9_]{1,60}$' }) });
const Page = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(Type.Union([Type.Literal('ready'), Type.Literal('claimed')])),
  },
  { additionalProperties: false },
);

/** The signed-in user as a workflow agent (their baskets, supervisor or not). */
export function agentOf(req: FastifyRequest): Agent {
  const p = principalOf(req);
  return {
    ...actorOf(p),
    userId: p.userId,
    actors: p.actors,
    supervisor: hasRight(p.rights, 'task:supervise'),
  };
}

/** Baskets, task work, scenarios and signals over HTTP. */
export function registerWorkflowRoutes(app: FastifyInstance, wf: WorkflowServices): void {
  const tags = ['workflow'];

  app.get(
    '/api/v1/baskets/actors/:actor',
    {
      config: { right: 'task:work' },
      schema: {
        tags,
        params: Type.Object({ actor: Type.String({ maxLength: 41 }) }),
        querystring: Page,
        description: 'An actor’s basket, by priority then deadline',
      },
    },
    async (req) => {
      const agent = agentOf(req);
      const actor = (req.params as { actor: string }).actor;
      if (!agent.supervisor && !agent.actors.includes(actor))
        throw new DomainError('forbidden', 'task.actor', `you are not an agent of ${actor}`);
      const q = req.query as { limit?: number; cursor?: string; status?: 'ready' | 'claimed' };
      return wf.tasks.basket(actor, {
        limit: q.limit ?? 50,
        ...(q.cursor ? { cursor: q.cursor } : {}),
        ...(q.status ? { status: q.status } : {}),
      });
    },
  );
  app.get(
    '/api/v1/baskets/me',
    {
      config: { right: 'task:work' },
      schema: { tags, querystring: Page, description: 'The tasks pushed to me or claimed by me' },
    },
    async (req) => {
      const q = req.query as { limit?: number; cursor?: string };
      return wf.tasks.agentBasket(principalOf(req).userId, {
        limit: q.limit ?? 50,
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
    },
  );
  app.get(
    '/api/v1/baskets/agents/:id',
    { config: { right: 'task:supervise' }, schema: { tags, params: IdParam, querystring: Page } },
    async (req) => {
      const q = req.query as { limit?: number; cursor?: string };
      return wf.tasks.agentBasket((req.params as { id: number }).id, {
        limit: q.limit ?? 50,
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
    },
  );
  app.get(
    '/api/v1/tasks/:id',
    { config: { right: 'task:work' }, schema: { tags, params: IdParam } },
    async (req) => wf.tasks.get((req.params as { id: number }).id),
  );
  app.post(
    '/api/v1/tasks/:id/claim',
    { config: { right: 'task:work' }, schema: { tags, params: IdParam } },
    async (req) => wf.tasks.claim((req.params as { id: number }).id, agentOf(req)),
  );
  app.post(
    '/api/v1/tasks/:id/release',
    { config: { right: 'task:work' }, schema: { tags, params: IdParam } },
    async (req) => wf.tasks.release((req.params as { id: number }).id, agentOf(req)),
  );
  app.post(
    '/api/v1/tasks/:id/complete',
    {
      config: { right: 'task:work' },
      schema: {
        tags,
        params: IdParam,
        body: Type.Object(
          {
            outcome: Type.String({ minLength: 1, maxLength: 41 }),
            data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) =>
      wf.tasks.complete(
        (req.params as { id: number }).id,
        req.body as { outcome: string; data?: Record<string, unknown> },
        agentOf(req),
      ),
  );
  app.post(
    '/api/v1/tasks/:id/reassign',
    {
      config: { right: 'task:supervise' },
      schema: {
        tags,
        params: IdParam,
        body: Type.Object(
          {
            actor: Type.Optional(Type.String({ maxLength: 41 })),
            userId: Type.Optional(Type.Integer({ minimum: 1 })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
      },
    },
    async (req) =>
      wf.tasks.reassign(
        (req.params as { id: number }).id,
        req.body as { actor?: string; userId?: number },
        agentOf(req),
      ),
  );
  app.post(
    '/api/v1/tasks/:id/retry',
    {
      config: { right: 'task:retry' },
      schema: {
        tags,
        params: IdParam,
        description:
          'Retry now: an automatic step waiting for its back-off, or fallen out to a basket, goes back to its worker at once',
      },
    },
    async (req) => wf.tasks.retryNow((req.params as { id: number }).id, agentOf(req)),
  );

  // Scenarios
  app.get('/api/v1/scenarios', { config: { right: 'request:read' }, schema: { tags } }, async () =>
    wf.scenarios.list(),
  );
  app.get(
    '/api/v1/scenarios/:code',
    {
      config: { right: 'request:read' },
      schema: {
        tags,
        params: CodeParam,
        querystring: Type.Object(
          { version: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) =>
      wf.scenarios.get((req.params as { code: string }).code, (req.query as { version?: number }).version),
  );
  app.get(
    '/api/v1/scenarios/:code/versions',
    { config: { right: 'request:read' }, schema: { tags, params: CodeParam } },
    async (req) => wf.scenarios.versions((req.params as { code: string }).code),
  );
  app.get(
    '/api/v1/scenarios/:code/export',
    {
      config: { right: 'scenario:admin' },
      schema: {
        tags,
        params: CodeParam,
        querystring: Type.Object(
          { version: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const code = (req.params as { code: string }).code;
      const def = await wf.scenarios.export(code, (req.query as { version?: number }).version);
      return reply.header('content-disposition', `attachment; filename="${code}.scenario.json"`).send(def);
    },
  );
  // Create a version and import a file are the same act: a validated document becomes the next version.
  for (const url of ['/api/v1/scenarios', '/api/v1/scenarios/import']) {
    app.post(
      url,
      { config: { right: 'scenario:admin' }, schema: { tags, body: Type.Unknown() } },
      async (req, reply) =>
        reply.status(201).send(await wf.scenarios.createVersion(req.body, actorOf(principalOf(req)))),
    );
  }
  app.post(
    '/api/v1/scenarios/validate',
    { config: { right: 'scenario:admin' }, schema: { tags, body: Type.Unknown() } },
    async (req) => wf.scenarios.validate(req.body),
  );
  app.post(
    '/api/v1/scenarios/simulate',
    {
      config: { right: 'request:read' },
      schema: {
        tags,
        description:
          'Runs a stored scenario (code, version) or a draft (definition) on some data, without side effects, and shows the path',
        body: Type.Object(
          {
            code: Type.Optional(Type.String({ maxLength: 61 })),
            version: Type.Optional(Type.Integer({ minimum: 1 })),
            definition: Type.Optional(Type.Unknown()),
            data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            outcomes: Type.Optional(
              Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())])),
            ),
            stepData: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()))),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const b = req.body as {
        code?: string;
        version?: number;
        definition?: unknown;
        data?: Record<string, unknown>;
        outcomes?: Record<string, string | string[]>;
        stepData?: Record<string, Record<string, unknown>>;
      };
      const source =
        b.definition !== undefined
          ? { definition: b.definition }
          : b.code
            ? { code: b.code, ...(b.version ? { version: b.version } : {}) }
            : undefined;
      if (!source)
        throw new DomainError('invalid', 'scenario.invalid', 'give a scenario code or a definition', 'code');
      return wf.scenarios.simulate(source, b.data ?? {}, {
        ...(b.outcomes ? { outcomes: b.outcomes } : {}),
        ...(b.stepData ? { data: b.stepData } : {}),
      });
    },
  );

  // An event from outside the engine (capacity added, payment received…) resumes matching holds.
  app.post(
    '/api/v1/workflow/signals',
    {
      config: { right: 'task:supervise' },
      schema: {
        tags,
        body: Type.Object(
          {
            event: Type.String({ pattern: '^[a-z][a-z0-9_.]{1,80}$' }),
            payload: Type.Record(Type.String(), Type.Unknown()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const b = req.body as { event: string; payload: Record<string, unknown> };
      return { resumed: await wf.signal(b.event, b.payload, actorOf(principalOf(req))) };
    },
  );
}
