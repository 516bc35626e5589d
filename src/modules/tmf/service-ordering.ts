import type { Db } from '../../platform/db.js';
import type { ActivationModule } from '../activation/index.js';
import type { RequestsModule } from '../requests/index.js';
import { cancelServiceOrderResource } from './cancel-service-order.js';
import { tmfInvalid, type TmfApiDef, type TmfObject, type TmfResourceDef } from './framework.js';
import {
  characteristicsOf,
  ORDER_PUSHDOWN,
  ORDER_STATE,
  SERVICE_ORDERING_API,
  TmfActivationOrders,
  TmfServices,
  toServiceOrder,
} from './services.js';

/**
 * TMF641 Service Ordering over the activation automaton: a serviceOrder is one activation order
 * (`act_order`, id = its number) with one item on one line (service id = directory number). POST
 * queues it through ActivationService.order (right `activation:write`): `add` puts the line on
 * its element, `delete` removes it, `modify` suspends (state inactive), restores (state active) or
 * changes a fixed line's barring class (`barring` characteristic). The order's state follows the
 * automaton: acknowledged → inProgress → completed | failed. Orders made by GPTo's own requests
 * (the workflow's activation steps) are listed too, with their request number as externalId.
 */

const ORDER_FIELDS = new Set([
  'serviceOrderItem',
  'description',
  'category',
  'externalId',
  'priority',
  'requestedStartDate',
  'requestedCompletionDate',
  'relatedParty',
  'note',
  '@type',
  '@baseType',
]);

/**
 * The journal rows of an activation order's state changes and the TMF641 state each leads to:
 * claimed by the automaton (migration 0750's `activation.order_started`), done, refused, withdrawn.
 */
const STATE_AFTER: Record<string, string> = {
  'activation.order_started': ORDER_STATE.running!,
  'activation.order_done': ORDER_STATE.done!,
  'activation.order_refused': ORDER_STATE.refused!,
  'activation.order_cancelled': ORDER_STATE.cancelled!,
};

export function serviceOrderingApi(
  db: Db,
  activation: ActivationModule,
  requests: RequestsModule,
): TmfApiDef {
  const services = new TmfServices(db, activation);
  const orders = new TmfActivationOrders(db);

  const serviceOrder: TmfResourceDef = {
    path: 'serviceOrder',
    type: 'ServiceOrder',
    read: 'activation:read',
    write: 'activation:write',
    pushdown: ORDER_PUSHDOWN,
    list: async (q, ctx) => {
      const { rows, total } = await orders.select(q, ORDER_STATE);
      return { items: rows.map((r) => toServiceOrder(r, ctx)), total };
    },
    get: async (id, ctx) => {
      const r = await orders.one(id);
      return r && toServiceOrder(r, ctx);
    },
    create: async (body, ctx) => {
      for (const k of Object.keys(body))
        if (!ORDER_FIELDS.has(k)) throw tmfInvalid(k, 'is not an attribute a client sets on a ServiceOrder');
      const items = body.serviceOrderItem;
      if (!Array.isArray(items) || items.length === 0)
        throw tmfInvalid('serviceOrderItem', 'one item is required');
      if (items.length > 1)
        throw tmfInvalid(
          'serviceOrderItem',
          'GPTo runs one operation per service order (one activation order on one line): send one item per order',
        );
      const item = items[0] as Record<string, unknown> | null;
      if (!item || typeof item !== 'object') throw tmfInvalid('serviceOrderItem[0]', 'must be an object');
      if (typeof item.id !== 'string' || item.id === '')
        throw tmfInvalid('serviceOrderItem[0].id', 'is required');
      if (typeof item.action !== 'string') throw tmfInvalid('serviceOrderItem[0].action', 'is required');
      const svc = item.service as Record<string, unknown> | undefined;
      if (!svc || typeof svc !== 'object') throw tmfInvalid('serviceOrderItem[0].service', 'is required');
      const characteristics = characteristicsOf(
        svc.serviceCharacteristic,
        'serviceOrderItem[0].service.serviceCharacteristic',
      );
      const id =
        typeof svc.id === 'string'
          ? svc.id
          : typeof characteristics.directoryNumber === 'string'
            ? characteristics.directoryNumber
            : undefined;
      if (!id)
        throw tmfInvalid(
          'serviceOrderItem[0].service.id',
          'the directory number of the line (the service id) is required',
        );
      const order = await services.queue(
        id,
        {
          action: item.action,
          ...(svc.state !== undefined ? { state: svc.state } : {}),
          characteristics,
          field: 'serviceOrderItem[0].service',
        },
        ctx,
      );
      if (!order)
        throw tmfInvalid('serviceOrderItem[0].service.id', `no line has the directory number ${id}`);
      const r = await orders.one(String(order.id));
      return toServiceOrder(r as NonNullable<typeof r>, ctx) as TmfObject;
    },
    events: {
      entityTypes: ['activation_order'],
      classify: ({ kind }) => {
        if (kind === 'activation.order_queued' || kind === 'activation.order_replayed') return 'CreateEvent';
        if (kind in STATE_AFTER) return 'StateChangeEvent';
        return null;
      },
      // the state the change led to, not the one at delivery
      atEvent: (order, { kind }) => {
        const state = STATE_AFTER[kind];
        if (!state) return order;
        const items = (order.serviceOrderItem as Record<string, unknown>[] | undefined) ?? [];
        return { ...order, state, serviceOrderItem: items.map((i) => ({ ...i, state })) };
      },
    },
  };
  return {
    name: SERVICE_ORDERING_API,
    title: 'TMF641 Service Ordering',
    resources: [serviceOrder, cancelServiceOrderResource(db, activation, requests)],
  };
}
