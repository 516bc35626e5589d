import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf } from '../../platform/auth/auth.service.js';
import { hasRight } from '../../platform/auth/rights.js';
import { principalOf } from '../../platform/http/auth-hook.js';
import type { Agent } from '../workflow/index.js';
import type { AssistanceModule } from './index.js';
import type { Approver } from './rebate.service.js';
import * as S from './assistance.schemas.js';

function agentOf(req: FastifyRequest): Agent {
  const p = principalOf(req);
  return {
    ...actorOf(p),
    userId: p.userId,
    actors: p.actors,
    supervisor: hasRight(p.rights, 'task:supervise'),
  };
}

function approverOf(req: FastifyRequest): Approver {
  const p = principalOf(req);
  return { ...actorOf(p), rights: p.rights };
}

const ref = (req: FastifyRequest) => (req.params as { ref: string }).ref;

/** Line consultation, faults, plant incidents, complaints, rebates, work orders and follow-up. */
export function registerAssistanceRoutes(app: FastifyInstance, m: AssistanceModule): void {
  const tags = ['assistance'];

  app.get(
    '/api/v1/lines/:number',
    {
      config: { right: 'line:read' },
      schema: {
        tags,
        params: S.LineParam,
        description:
          'Line consultation: subscription, customer, payer, technical file (or SIM), live status and meter index, incident, faults, history, consumption and the payer account',
      },
    },
    async (req) => m.lines.view((req.params as { number: string }).number),
  );
  app.get(
    '/api/v1/lines/:number/events',
    {
      config: { right: 'line:read' },
      schema: {
        tags,
        params: S.LineParam,
        querystring: S.LinePage,
        description: 'The history of events on the line, newest first, paged',
      },
    },
    async (req) => {
      const q = req.query as S.LinePage;
      return m.lines.events((req.params as { number: string }).number, { ...q, limit: q.limit ?? 50 });
    },
  );
  app.get(
    '/api/v1/lines/:number/meter-readings',
    {
      config: { right: 'line:read' },
      schema: {
        tags,
        params: S.LineParam,
        querystring: S.LinePage,
        description: 'The meter readings of the line (its consumption), newest first, paged',
      },
    },
    async (req) => {
      const q = req.query as S.LinePage;
      return m.lines.readings((req.params as { number: string }).number, { ...q, limit: q.limit ?? 60 });
    },
  );
  app.post(
    '/api/v1/lines/:number/meter-readings',
    { config: { right: 'fault:write' }, schema: { tags, params: S.LineParam } },
    async (req, reply) =>
      reply
        .status(201)
        .send(await m.lines.readMeter((req.params as { number: string }).number, actorOf(principalOf(req)))),
  );

  // Faults (trouble tickets)
  app.post(
    '/api/v1/faults',
    { config: { right: 'fault:write' }, schema: { tags, body: S.FaultReport } },
    async (req, reply) => {
      const f = await m.faults.report(req.body as S.FaultReport, actorOf(principalOf(req)));
      return reply.status(201).header('location', `/api/v1/faults/${f.number}`).send(f);
    },
  );
  app.get(
    '/api/v1/faults',
    { config: { right: 'fault:read' }, schema: { tags, querystring: S.FaultList } },
    async (req) => {
      const q = req.query as {
        status?: 'open' | 'resolved' | 'closed';
        zone?: string;
        actor?: string;
        customer?: number;
        line?: string;
        overdue?: boolean;
        olderThanHours?: number;
        cursor?: string;
        limit?: number;
      };
      return m.followUp.faults({
        ...(q.status ? { status: q.status } : {}),
        ...(q.zone ? { zone: q.zone } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.customer ? { customerId: q.customer } : {}),
        ...(q.line ? { line: q.line } : {}),
        ...(q.overdue ? { overdue: true } : {}),
        ...(q.olderThanHours !== undefined ? { olderThanHours: q.olderThanHours } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
        limit: q.limit ?? 50,
      });
    },
  );
  app.get(
    '/api/v1/faults/:ref',
    { config: { right: 'fault:read' }, schema: { tags, params: S.RefParam } },
    async (req) => m.faults.detail(ref(req)),
  );
  app.post(
    '/api/v1/faults/:ref/close',
    { config: { right: 'fault:write' }, schema: { tags, params: S.RefParam, body: S.Close } },
    async (req) => m.faults.close(ref(req), req.body as { note?: string }, actorOf(principalOf(req))),
  );
  app.post(
    '/api/v1/faults/:ref/reopen',
    { config: { right: 'fault:write' }, schema: { tags, params: S.RefParam, body: S.Reopen } },
    async (req) => m.faults.reopen(ref(req), req.body as { reason: string }, actorOf(principalOf(req))),
  );

  // Plant incidents
  app.post(
    '/api/v1/incidents',
    { config: { right: 'incident:write' }, schema: { tags, body: S.IncidentOpen } },
    async (req, reply) => {
      const i = await m.incidents.open(req.body as S.IncidentOpen, actorOf(principalOf(req)));
      return reply.status(201).header('location', `/api/v1/incidents/${i.number}`).send(i);
    },
  );
  app.get(
    '/api/v1/incidents',
    { config: { right: 'fault:read' }, schema: { tags, querystring: S.IncidentList } },
    async (req) => {
      const q = req.query as { status?: 'open' | 'repaired'; cursor?: string; limit?: number };
      return m.incidents.list({ ...q, limit: q.limit ?? 50 });
    },
  );
  app.get(
    '/api/v1/incidents/:ref',
    { config: { right: 'fault:read' }, schema: { tags, params: S.RefParam } },
    async (req) => m.incidents.get(ref(req)),
  );
  app.post(
    '/api/v1/incidents/:ref/repair',
    { config: { right: 'incident:write' }, schema: { tags, params: S.RefParam, body: S.IncidentRepair } },
    async (req) => m.incidents.repair(ref(req), req.body as { report: string }, actorOf(principalOf(req))),
  );

  // Complaints
  app.post(
    '/api/v1/complaints',
    { config: { right: 'complaint:write' }, schema: { tags, body: S.ComplaintOpen } },
    async (req, reply) => {
      const c = await m.complaints.open(req.body as S.ComplaintOpen, actorOf(principalOf(req)));
      return reply.status(201).header('location', `/api/v1/complaints/${c.number}`).send(c);
    },
  );
  app.get(
    '/api/v1/complaints',
    { config: { right: 'fault:read' }, schema: { tags, querystring: S.ComplaintList } },
    async (req) => {
      const q = req.query as Record<string, never> & { customer?: number; limit?: number };
      return m.complaints.list({
        ...q,
        ...(q.customer ? { customerId: q.customer } : {}),
        limit: q.limit ?? 50,
      });
    },
  );
  app.get(
    '/api/v1/complaints/:ref',
    { config: { right: 'fault:read' }, schema: { tags, params: S.RefParam } },
    async (req) => m.complaints.detail(ref(req)),
  );

  // Rebates
  app.post(
    '/api/v1/rebates',
    { config: { right: 'rebate:write' }, schema: { tags, body: S.RebateRequest } },
    async (req, reply) => {
      const r = await m.rebates.request(req.body as S.RebateRequest, actorOf(principalOf(req)));
      return reply.status(201).header('location', `/api/v1/rebates/${r.number}`).send(r);
    },
  );
  app.get(
    '/api/v1/rebates',
    { config: { right: 'fault:read' }, schema: { tags, querystring: S.RebateList } },
    async (req) => {
      const { decidableBy, ...q } = req.query as Record<string, never> & {
        customer?: number;
        decidableBy?: 'me';
        limit?: number;
      };
      const by = approverOf(req);
      const page = await m.rebates.list({
        ...q,
        ...(q.customer ? { customerId: q.customer } : {}),
        ...(decidableBy ? { decidableBy: by } : {}),
        limit: q.limit ?? 50,
      });
      return { ...page, items: page.items.map((r) => m.rebates.forDecider(r, by)) };
    },
  );
  app.get(
    '/api/v1/rebates/:ref',
    { config: { right: 'fault:read' }, schema: { tags, params: S.RefParam } },
    async (req) => m.rebates.forDecider(await m.rebates.get(ref(req)), approverOf(req)),
  );
  // The route needs the smaller approval right; the service checks the larger one by amount.
  app.post(
    '/api/v1/rebates/:ref/approve',
    {
      config: { right: 'rebate:approve_small' },
      schema: { tags, params: S.RefParam, body: S.RebateDecision },
    },
    async (req) =>
      m.rebates.decide(
        ref(req),
        { decision: 'approve', ...(req.body as { note?: string }) },
        approverOf(req),
      ),
  );
  app.post(
    '/api/v1/rebates/:ref/reject',
    {
      config: { right: 'rebate:approve_small' },
      schema: { tags, params: S.RefParam, body: S.RebateDecision },
    },
    async (req) =>
      m.rebates.decide(ref(req), { decision: 'reject', ...(req.body as { note?: string }) }, approverOf(req)),
  );

  // Work orders
  app.get(
    '/api/v1/work-orders',
    { config: { right: 'fault:read' }, schema: { tags, querystring: S.WorkOrderList } },
    async (req) => {
      const q = req.query as Record<string, never> & { limit?: number };
      return m.workOrders.list({ ...q, limit: q.limit ?? 50 });
    },
  );
  app.get(
    '/api/v1/work-orders/:ref',
    { config: { right: 'fault:read' }, schema: { tags, params: S.RefParam } },
    async (req) => m.workOrders.get(ref(req)),
  );
  app.get(
    '/api/v1/work-orders/:ref/pdf',
    {
      config: { right: 'fault:read' },
      schema: { tags, params: S.RefParam, description: 'The printable work order' },
    },
    async (req, reply) => {
      const d = await m.workOrders.pdf(ref(req));
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="${d.number}.pdf"`)
        .send(d.body);
    },
  );
  app.post(
    '/api/v1/work-orders/:ref/start',
    { config: { right: 'workorder:write' }, schema: { tags, params: S.RefParam } },
    async (req) => m.workOrders.start(ref(req), agentOf(req)),
  );
  app.post(
    '/api/v1/work-orders/:ref/report',
    { config: { right: 'workorder:write' }, schema: { tags, params: S.RefParam, body: S.WorkOrderReport } },
    async (req) => m.workOrders.report(ref(req), req.body as S.WorkOrderReport, agentOf(req)),
  );

  app.get(
    '/api/v1/assistance/stats',
    {
      config: { right: 'fault:read' },
      schema: { tags, querystring: S.Stats, description: 'Volumes per day, mean time to repair, backlog' },
    },
    async (req) => m.followUp.stats((req.query as { days?: number }).days ?? 30),
  );
}
