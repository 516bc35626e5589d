import { assertNever } from '../../platform/errors.js';
import type { ResourceStatus, SimStatus } from './inventory.tables.js';

/**
 * TM Forum's resource model (TMF639) splits a resource's state in three: administrative (may it be
 * used?), operational (does it work?) and usage (is it used?). Our plant keeps the one status the MDF
 * technicians speak of, and derives TMF's view from it.
 */
export interface TmfStates {
  administrativeState: 'locked' | 'unlocked' | 'shutdown';
  operationalState: 'enable' | 'disable';
  usageState: 'idle' | 'active' | 'busy';
  resourceStatus: 'available' | 'reserved' | 'alarm' | 'suspended' | 'standby';
}

export function tmfStates(status: ResourceStatus): TmfStates {
  switch (status) {
    case 'free':
      return {
        administrativeState: 'unlocked',
        operationalState: 'enable',
        usageState: 'idle',
        resourceStatus: 'available',
      };
    case 'reserved':
      return {
        administrativeState: 'unlocked',
        operationalState: 'enable',
        usageState: 'active',
        resourceStatus: 'reserved',
      };
    case 'in_service':
      return {
        administrativeState: 'unlocked',
        operationalState: 'enable',
        usageState: 'busy',
        resourceStatus: 'available',
      };
    case 'faulty':
      return {
        administrativeState: 'unlocked',
        operationalState: 'disable',
        usageState: 'idle',
        resourceStatus: 'alarm',
      };
    case 'out_of_order':
      return {
        administrativeState: 'locked',
        operationalState: 'disable',
        usageState: 'idle',
        resourceStatus: 'suspended',
      };
    default:
      return assertNever(status);
  }
}

/**
 * Status changes an agent may make by hand on a port or pair. Reserved and in-service are reached
 * only through a study and the commit of its reservation, so a line is never half-built by hand; a
 * line in service may be reported faulty, and a repaired resource goes back to free (or to service
 * when a line still uses it — the caller decides which with `inUse`).
 */
export function canChangeResourceStatus(from: ResourceStatus, to: ResourceStatus, inUse: boolean): boolean {
  if (from === to) return false;
  switch (from) {
    case 'free':
      return to === 'faulty' || to === 'out_of_order';
    case 'faulty':
      return inUse ? to === 'in_service' : to === 'free' || to === 'out_of_order';
    case 'out_of_order':
      return !inUse && to === 'free';
    case 'in_service':
      return to === 'faulty';
    case 'reserved':
      return false;
    default:
      return assertNever(from);
  }
}

/** True when the change gives capacity back: pending requests may now be served. */
export function releasesCapacity(from: ResourceStatus, to: ResourceStatus): boolean {
  return to === 'free' && from !== 'free';
}

export type SimAction =
  | 'allocate'
  | 'return_to_stock'
  | 'activate'
  | 'suspend'
  | 'restore'
  | 'replace'
  | 'destroy'
  | 'declare_lost';

/** The SIM card's life (seed: activation, suspension, restoration, replacement, destruction). */
export function simTransition(from: SimStatus, action: SimAction): SimStatus | null {
  switch (action) {
    case 'allocate':
      return from === 'in_stock' || from === 'allocated' ? 'allocated' : null;
    case 'return_to_stock':
      return from === 'allocated' ? 'in_stock' : null;
    case 'activate':
      return from === 'in_stock' || from === 'allocated' ? 'active' : null;
    case 'suspend':
      return from === 'active' ? 'suspended' : null;
    case 'restore':
      return from === 'suspended' ? 'active' : null;
    case 'replace':
      return from === 'active' || from === 'suspended' || from === 'lost_stolen' ? 'replaced' : null;
    case 'destroy':
      return from === 'in_stock' || from === 'allocated' || from === 'replaced' || from === 'lost_stolen'
        ? 'destroyed'
        : null;
    case 'declare_lost':
      return from === 'active' || from === 'suspended' || from === 'allocated' || from === 'in_stock'
        ? 'lost_stolen'
        : null;
    default:
      return assertNever(action);
  }
}

/** The same normal form as the database's gpto_norm(): lower case, no accents, single spaces. */
export function norm(text: string | null | undefined): string {
  if (!text) return '';
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9@.]+/g, ' ')
    .trim();
}

/** Pending requests are grouped by zone: the locality and district planners invest in. */
export function zoneKey(locality: string | null | undefined, district: string | null | undefined): string {
  return `${norm(locality)}/${norm(district)}`;
}
