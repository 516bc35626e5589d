import type { Db } from '../../platform/db.js';
import type { ActivationModule } from '../activation/index.js';
import {
  tmfInvalid,
  type TmfApiDef,
  type TmfContext,
  type TmfEventMapping,
  type TmfObject,
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
 * The answer shows the service as it is now; its state changes when the order is done. Every order
 * is a `monitor` (id = the order number, listed in the service's serviceOrderItem).
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

export function serviceActivationApi(db: Db, activation: ActivationModule): TmfApiDef {
  const services = new TmfServices(db, activation);
  const orders = new TmfActivationOrders(db);
  const get = (id: string, ctx: TmfContext) => services.get(id, ctx, SERVICE_ACTIVATION_API);

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
      return (await get(id, ctx)) as TmfObject;
    },
    patch: async (id, body, ctx) => {
      const { state, characteristics } = readBody(body);
      if (!(await get(id, ctx))) return undefined;
      await services.queue(id, { action: 'modify', state, characteristics, field: 'service' }, ctx);
      return get(id, ctx);
    },
    remove: async (id, ctx) =>
      (await services.queue(id, { action: 'delete', characteristics: {}, field: 'service' }, ctx)) !==
      undefined,
    events: serviceEvents(services),
  };

  const monitorEvents: TmfEventMapping = {
    entityTypes: ['activation_order'],
    classify: ({ kind }) => {
      if (kind === 'activation.order_queued' || kind === 'activation.order_replayed') return 'CreateEvent';
      if (kind === 'activation.order_done' || kind === 'activation.order_refused') return 'StateChangeEvent';
      return null;
    },
  };
  const monitor: TmfResourceDef = {
    path: 'monitor',
    type: 'Monitor',
    read: 'activation:read',
    pushdown: ORDER_PUSHDOWN,
    list: async (q, ctx) => {
      const { rows, total } = await orders.select(q, MONITOR_STATE);
      return { items: rows.map((r) => toMonitor(r, ctx)), total };
    },
    get: async (id, ctx) => {
      const r = await orders.one(id);
      return r && toMonitor(r, ctx);
    },
    events: monitorEvents,
  };
  return {
    name: SERVICE_ACTIVATION_API,
    title: 'TMF640 Service Activation and Configuration',
    resources: [service, monitor],
  };
}
