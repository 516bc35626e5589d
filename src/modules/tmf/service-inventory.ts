import type { Db } from '../../platform/db.js';
import type { ActivationModule } from '../activation/index.js';
import type { TmfApiDef, TmfEventMapping, TmfResourceDef } from './framework.js';
import { SERVICE_INVENTORY_API, SERVICE_PUSHDOWN, TmfServices } from './services.js';

/**
 * TMF638 Service Inventory: GPTo's lines as the network knows them (see services.ts), read-only —
 * a service changes through TMF640 (activation) or TMF641 (a service order), and a line is made
 * or ended by a TMF622 product order, as at the counter.
 */

const STATE_OPERATIONS = /\.(activate|deactivate|suspend|restore|sim_swap)$/;

/** The service events of a line, shared by TMF638 and TMF640. */
export function serviceEvents(services: TmfServices): TmfEventMapping {
  return {
    entityTypes: ['subscription', 'activation_order'],
    classify: ({ kind, payload }) => {
      if (kind === 'subscription.created') return 'CreateEvent';
      if (['subscription.active', 'subscription.suspended', 'subscription.terminated'].includes(kind))
        return 'StateChangeEvent';
      if (kind === 'subscription.technical_changed') return 'AttributeValueChangeEvent';
      if (kind === 'activation.order_done') {
        const op = (payload as { operation?: unknown } | null)?.operation;
        return typeof op === 'string' && STATE_OPERATIONS.test(op)
          ? 'StateChangeEvent'
          : 'AttributeValueChangeEvent';
      }
      return null;
    },
    idOf: (entityId, event) =>
      event.kind.startsWith('activation.')
        ? services.dnOfOrder(entityId)
        : services.dnOfSubscription(entityId),
  };
}

export function serviceInventoryApi(db: Db, activation: ActivationModule): TmfApiDef {
  const services = new TmfServices(db, activation);
  const service: TmfResourceDef = {
    path: 'service',
    type: 'Service',
    read: 'inventory:read',
    pushdown: SERVICE_PUSHDOWN,
    list: (q, ctx) => services.list(q, ctx, SERVICE_INVENTORY_API),
    get: (id, ctx) => services.get(id, ctx, SERVICE_INVENTORY_API),
    events: serviceEvents(services),
  };
  return { name: SERVICE_INVENTORY_API, title: 'TMF638 Service Inventory', resources: [service] };
}
