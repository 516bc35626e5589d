import type { Db } from '../../platform/db.js';
import type { ActivationModule } from '../activation/index.js';
import {
  TmfReply,
  tmfInvalid,
  type TmfApiDef,
  type TmfContext,
  type TmfEventMapping,
  type TmfResourceDef,
} from './framework.js';
import { serviceEvents } from './service-inventory.js';
import {
  characteristicsOf,
  MONITOR_STATE,
  ORDER_PUSHDOWN,
  SERVICE_ACTIVATION_API,
  SERVICE_PUSHDOWN,
  TmfActivationOrders,
  TmfServices,
  toMonitor,
} from './services.js';

/**
 * TMF640 Service Activation and Configuration over the activation automaton. The `service` is the
 * line on its network element (id = directory number, as in TMF638); writing it queues an
 * activation order (right `activation:write`), which the automaton runs:
 * - POST `{id, state: 'active'}`: create the line on the switch (on its equipment number) or the
 *   subscriber in the HLR (from its SIM card);
 * - PATCH `state` inactive/active: suspend/restore; PATCH the `barring` characteristic: a fixed
 *   line's barring class;
 * - DELETE: remove the line from its element.
 * Every order is a `monitor` (id = the order number, listed in the service's serviceOrderItem);
 * the spec's monitor pattern: POST answers 202 with the monitor (Location: its href); PATCH answers
 * the swagger's 200 with the service, DELETE its 204, both with `Link: <monitor>; rel="monitor"`,
 * or 202 with the monitor when the client sends `Prefer: respond-async`. The monitor's state
 * follows the order (InProgress → Completed | InError) and, once done, its response carries the
 * resulting service.
 */

const WRITABLE = new Set(['id', 'href', '@type', '@baseType', 'state', 'serviceCharacteristic', 'name']);

function readBody(body: Record<string, unknown>): {
  state?: unknown;
  characteristics: Record<string, unknown>;
} {
  for (const k of Object.keys(body))
    if (!WRITABLE.has(k))
      throw tmfInvalid(k, 'cannot be changed through TMF640 (state, serviceCharacteristic)');
  return {
    ...(body.state !== undefined ? { state: body.state } : {}),
    characteristics: characteristicsOf(body.serviceCharacteristic, 'serviceCharacteristic'),
  };
}

/** `Prefer: respond-async` (RFC 7240): the client wants the monitor of a PATCH or DELETE too. */
function wantsAsync(ctx: TmfContext): boolean {
  return /(^|[,;\s])respond-async($|[,;\s])/i.test(ctx.prefer ?? '');
}

/** The journal rows of an order's outcome and the monitor state each leads to. */
const MONITOR_AFTER: Record<string, string> = {
  'activation.order_done': MONITOR_STATE.done!,
  'activation.order_refused': MONITOR_STATE.refused!,
  'activation.order_cancelled': MONITOR_STATE.cancelled!,
};

export function serviceActivationApi(db: Db, activation: ActivationModule): TmfApiDef {
  const services = new TmfServices(db, activation);
  const orders = new TmfActivationOrders(db);
  const get = (id: string, ctx: TmfContext) => services.get(id, ctx, SERVICE_ACTIVATION_API);
  /** Monitors with, for the orders done, the resulting service (one read for the page). */
  const monitorsOf = async (
    rows: Awaited<ReturnType<TmfActivationOrders['select']>>['rows'],
    ctx: TmfContext,
  ) => {
    const done = await services.byIds(
      rows.filter((r) => r.status === 'done').map((r) => r.line_id),
      ctx,
      SERVICE_ACTIVATION_API,
    );
    return rows.map((r) => toMonitor(r, ctx, r.status === 'done' ? done.get(r.line_id) : undefined));
  };
  const monitorHref = (orderId: number, ctx: TmfContext) =>
    ctx.href(SERVICE_ACTIVATION_API, 'monitor', String(orderId));
  const monitorLink = (orderId: number, ctx: TmfContext) => `<${monitorHref(orderId, ctx)}>; rel="monitor"`;
  /** 202 Accepted with the monitor of the order just queued (Location: the monitor). */
  const accepted = async (orderId: number, ctx: TmfContext) => {
    const r = await orders.one(String(orderId));
    const m = (await monitorsOf(r ? [r] : [], ctx))[0];
    return new TmfReply(202, m, { Location: monitorHref(orderId, ctx), Link: monitorLink(orderId, ctx) });
  };

  const service: TmfResourceDef = {
    path: 'service',
    type: 'Service',
    read: 'activation:read',
    write: 'activation:write',
    pushdown: SERVICE_PUSHDOWN,
    list: (q, ctx) => services.list(q, ctx, SERVICE_ACTIVATION_API),
    get,
    create: async (body, ctx) => {
      const { state, characteristics } = readBody(body);
      const id =
        typeof body.id === 'string'
          ? body.id
          : typeof characteristics.directoryNumber === 'string'
            ? characteristics.directoryNumber
            : undefined;
      if (!id) throw tmfInvalid('id', 'the directory number of the line to activate is required');
      if (state !== undefined && state !== 'active')
        throw tmfInvalid('state', 'a service is created active (its line put on the network)');
      const order = await services.queue(id, { action: 'add', characteristics, field: 'service' }, ctx);
      if (!order) throw tmfInvalid('id', `no line has the directory number ${id}`);
      // the spec's 202: the activation runs on the automaton; the monitor follows it
      return accepted(order.id, ctx);
    },
    patch: async (id, body, ctx) => {
      const { state, characteristics } = readBody(body);
      if (!(await get(id, ctx))) return undefined;
      const order = await services.queue(
        id,
        { action: 'modify', state, characteristics, field: 'service' },
        ctx,
      );
      if (!order) return undefined;
      if (wantsAsync(ctx)) return accepted(order.id, ctx);
      // the swagger's only success for PATCH: 200 with the service (as it is when the order is queued)
      return new TmfReply(200, await get(id, ctx), { Link: monitorLink(order.id, ctx) });
    },
    remove: async (id, ctx) => {
      const order = await services.queue(
        id,
        { action: 'delete', characteristics: {}, field: 'service' },
        ctx,
      );
      if (!order) return false;
      if (wantsAsync(ctx)) return accepted(order.id, ctx);
      return new TmfReply(204, undefined, { Link: monitorLink(order.id, ctx) });
    },
    events: serviceEvents(services),
  };

  const monitorEvents: TmfEventMapping = {
    entityTypes: ['activation_order'],
    classify: ({ kind }) => {
      if (kind === 'activation.order_queued' || kind === 'activation.order_replayed') return 'CreateEvent';
      if (kind in MONITOR_AFTER) return 'StateChangeEvent';
      return null;
    },
    // the state the change led to, not the one at delivery
    atEvent: (m, { kind }) => (MONITOR_AFTER[kind] ? { ...m, state: MONITOR_AFTER[kind] } : m),
  };
  const monitor: TmfResourceDef = {
    path: 'monitor',
    type: 'Monitor',
    read: 'activation:read',
    pushdown: ORDER_PUSHDOWN,
    list: async (q, ctx) => {
      const { rows, total } = await orders.select(q, MONITOR_STATE);
      return { items: await monitorsOf(rows, ctx), total };
    },
    get: async (id, ctx) => {
      const r = await orders.one(id);
      return r && (await monitorsOf([r], ctx))[0];
    },
    events: monitorEvents,
  };
  return {
    name: SERVICE_ACTIVATION_API,
    title: 'TMF640 Service Activation and Configuration',
    resources: [service, monitor],
  };
}
