import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../platform/auth/auth.service.js';
import { principalOf } from '../../platform/http/auth-hook.js';
import type { RequestService } from './request.service.js';
import * as S from './requests.schemas.js';

const RefParam = Type.Object({ ref: Type.String({ minLength: 1, maxLength: 30 }) });

/** Service requests over HTTP: take, follow, list, cancel; their documents as issued. */
export function registerRequestRoutes(app: FastifyInstance, requests: RequestService): void {
  const tags = ['requests'];
  app.post(
    '/api/v1/requests',
    { config: { right: 'request:write' }, schema: { tags, body: S.RequestCreate } },
    async (req, reply) => {
      const r = await requests.create(req.body as S.RequestCreate, actorOf(principalOf(req)));
      return reply.status(201).header('location', `/api/v1/requests/${r.number}`).send(r);
    },
  );
  app.get(
    '/api/v1/requests',
    { config: { right: 'request:read' }, schema: { tags, querystring: S.RequestList } },
    async (req) => {
      const q = req.query as {
        customer?: string;
        status?: string;
        kind?: string;
        cursor?: string;
        limit?: number;
      };
      return requests.list({ ...q, limit: q.limit ?? 50 });
    },
  );
  app.get(
    '/api/v1/requests/:ref',
    {
      config: { right: 'request:read' },
      schema: {
        tags,
        params: RefParam,
        description:
          'The request with its workflow: every task, who got it and why, timers, compensations, documents',
      },
    },
    async (req) => requests.get((req.params as { ref: string }).ref),
  );
  app.post(
    '/api/v1/requests/:ref/cancel',
    { config: { right: 'request:write' }, schema: { tags, params: RefParam, body: S.RequestCancel } },
    async (req) =>
      requests.cancel(
        (req.params as { ref: string }).ref,
        (req.body as { reason: string }).reason,
        actorOf(principalOf(req)),
      ),
  );
  app.get(
    '/api/v1/requests/:ref/documents/:id',
    {
      config: { right: 'request:read' },
      schema: {
        tags,
        params: Type.Object({ ref: Type.String({ maxLength: 30 }), id: Type.Integer({ minimum: 1 }) }),
      },
    },
    async (req, reply) => {
      const p = req.params as { ref: string; id: number };
      const d = await requests.document(p.ref, p.id);
      return reply
        .type(d.contentType)
        .header('content-disposition', `inline; filename="${d.title.replace(/[^\w.-]+/g, '_')}"`)
        .send(d.body);
    },
  );
}
