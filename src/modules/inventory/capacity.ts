import type { PendingCause } from './inventory.tables.js';

/**
 * What a held request waits for, and what new capacity announces: the same (type, code) pair, so
 * that a capacity event finds exactly the requests it may serve through one index probe.
 * - cp: free distribution pairs at a concentration point
 * - sdf: free primary pairs towards a cabinet
 * - site: free line ports on the switches of an exchange site
 * - base_station: free radio capacity
 * - number_pool: free numbers for a product (code = product code)
 * - shop: SIM cards in stock at a shop
 * - zone: coverage of a locality/district (code = zone key, `locality/district` normalised;
 *   `locality/` covers every district of the locality)
 */
export type ElementType = 'cp' | 'sdf' | 'site' | 'base_station' | 'number_pool' | 'shop' | 'zone';

export interface CapacitySignal {
  elementType: ElementType;
  code: string;
  /** why: pairs_added, repaired, equipment_installed, pool_extended, coverage_added, released… */
  reason: string;
}

export interface NotFeasible {
  feasible: false;
  cause: PendingCause;
  elementType: ElementType;
  elementCode: string;
  detail: string;
}

export type CapacityListener = (signals: CapacitySignal[]) => Promise<void>;

/** Plant, pools and stock announce capacity here after their commit; the pending service listens. */
export class CapacityBus {
  private listeners: CapacityListener[] = [];

  subscribe(listener: CapacityListener): void {
    this.listeners.push(listener);
  }

  async announce(signals: CapacitySignal[]): Promise<void> {
    if (signals.length === 0) return;
    const unique = new Map(signals.map((s) => [`${s.elementType}:${s.code}`, s]));
    for (const l of this.listeners) await l([...unique.values()]);
  }
}
