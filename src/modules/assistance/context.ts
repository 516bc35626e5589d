import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db.js';
import type { BillingServices } from '../billing/index.js';
import type { InventoryServices } from '../inventory/index.js';
import type { ReferentialServices } from '../referential/index.js';
import type { WorkflowServices } from '../workflow/index.js';
import type { LineStatusSource } from './line-status.js';
import { PlantPort } from './plant-port.js';

export interface AssistanceDeps {
  referential: ReferentialServices;
  workflow: WorkflowServices;
  billing: BillingServices;
  inventory: InventoryServices;
}

export interface AssistanceConfig {
  currency: string;
  /** Rebates up to this amount need `rebate:approve_small`; above it `rebate:approve_large`. */
  rebateSmallLimit: number;
}

/** What every assistance service shares: the database, the other modules' services, the ports. */
export class AssistanceContext {
  readonly plant: PlantPort;
  constructor(
    readonly db: Db,
    readonly deps: AssistanceDeps,
    readonly config: AssistanceConfig,
    public lineStatus: LineStatusSource,
  ) {
    this.plant = new PlantPort(db, deps.inventory);
  }

  now(): Date {
    return this.deps.workflow.engine.clock.now();
  }
}

/** Public codes from sequences: prefix, year, zero-padded counter (never reused). */
export async function nextNumber(
  db: Executor,
  sequence: string,
  prefix: string,
  at: Date,
  width = 7,
): Promise<string> {
  const r = await sql<{ n: number }>`SELECT nextval(${sequence}::regclass)::int AS n`.execute(db);
  return `${prefix}${at.getUTCFullYear()}${String(r.rows[0]!.n).padStart(width, '0')}`;
}

export const iso = (d: Date | string | null | undefined): string | null =>
  d === null || d === undefined ? null : new Date(d).toISOString();
