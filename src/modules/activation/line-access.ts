import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import type { Params } from './operations.js';
import { BARRING_CLASSES } from './switch-sim/protocol.js';

/** A line's limitation for unpaid bills: in force, or being put on / lifted (element either way). */
export type Limitation = 'limited' | 'changing';

/**
 * The lines under a limitation for unpaid bills (billing's collection, injected: activation does
 * not import billing): `limited` while its request waits for the payment (data cut, outgoing calls
 * barred), `changing` while the limitation is being put on or lifted.
 */
export interface Limitations {
  /** Every limited line, or the one line `dn`. */
  lines: (dn?: string) => Promise<Map<string, Limitation>>;
  /** The barring class a limited fixed line has (billing's LIMITATION_BARRING). */
  barring: string;
}

/**
 * The line's subscription in the records: `active` or `suspended` (its live one), `terminated` (it
 * had one, none is live), `unknown` (none, or only one not on the network yet).
 */
export async function liveStatus(
  db: Executor,
  dn: string,
): Promise<'active' | 'suspended' | 'terminated' | 'unknown'> {
  const r = await sql<{ status: string }>`
    SELECT s.status FROM subscription s
     WHERE s.directory_number = ${dn} AND s.parent_id IS NULL
     ORDER BY (s.status IN ('active', 'suspended')) DESC, s.id DESC LIMIT 1`.execute(db);
  const status = r.rows[0]?.status;
  if (status === 'active' || status === 'suspended') return status;
  // a pending subscription is not on the network yet; any other status has left it
  return status === undefined || status === 'pending' ? 'unknown' : 'terminated';
}

/**
 * Whether a temporary change of access is in force on the line, as an SQL expression to embed in
 * another module's statement (the line consultation's one read): the pending reverts' index, one
 * relation. `ActivationService.temporaryInForce` reads them, only for the lines it flags.
 */
export const lineHasTemporaryAccess = (number: string) => sql<boolean>`EXISTS (
    SELECT 1 FROM act_revert WHERE line_id = ${number} AND done_at IS NULL AND revert_order_id IS NULL)`;

/** How restrictive a barring class is (NONE 0 … ALL 4); unknown classes rank as NONE. */
export function barringRank(c: unknown): number {
  return Math.max(0, BARRING_CLASSES.indexOf(c as (typeof BARRING_CLASSES)[number]));
}

/**
 * The CS/PS access the records give a mobile line now — what a temporary change goes back to at its
 * end, rather than what the HLR had when it began (a limitation put on or lifted in between, a
 * suspension, would otherwise be undone):
 * - `records`: active → voice open, data open unless limited; suspended → both cut;
 * - `unknown`: the line is not in the records (an order placed on a bare number) or no billing
 *   tells its limitation: the caller keeps what it had;
 * - `terminated`: the line has left the network since: nothing to give back;
 * - `changing`: a limitation is being put on or lifted: its own order settles the access, wait.
 */
export async function recordsAccess(
  db: Executor,
  dn: string,
  limitations: Limitations | null,
): Promise<
  | { kind: 'records'; access: { cs: boolean; ps: boolean }; why: string }
  | { kind: 'unknown' | 'terminated' | 'changing' }
> {
  const status = await liveStatus(db, dn);
  if (status === 'unknown' || status === 'terminated') return { kind: status };
  if (status === 'suspended')
    return { kind: 'records', access: { cs: false, ps: false }, why: 'suspended in the records' };
  if (!limitations) return { kind: 'unknown' };
  const limitation = (await limitations.lines(dn)).get(dn) ?? null;
  if (limitation === 'changing') return { kind: 'changing' };
  return limitation === 'limited'
    ? { kind: 'records', access: { cs: true, ps: false }, why: 'active, limited for unpaid bills' }
    : { kind: 'records', access: { cs: true, ps: true }, why: 'active in the records' };
}

/**
 * Why a change of access asked of the automaton would undo a limitation for unpaid bills or a
 * suspension the records hold, or null: a temporary change may restrict a line further, never open
 * what they closed (data of a limited or suspended mobile line, voice of a suspended one, a fixed
 * line's calls below the limitation's barring class).
 */
export async function accessConflict(
  db: Executor,
  operation: string,
  dn: string,
  p: Params,
  limitations: Limitations | null,
): Promise<string | null> {
  const mobile = operation === 'mobile.temporary_access';
  if (!mobile && operation !== 'fixed.temporary_access') return null;
  const status = await liveStatus(db, dn);
  if (mobile && status === 'suspended' && (p.cs === true || p.ps === true))
    return `line ${dn} is suspended in the records: a temporary change cannot open its ${p.cs === true ? 'voice' : 'data'} access`;
  if (!limitations || status === 'unknown' || status === 'terminated') return null;
  if ((await limitations.lines(dn)).get(dn) !== 'limited') return null;
  if (mobile && p.ps === true)
    return `line ${dn} is limited for unpaid bills (data cut until the debt is paid): a temporary change cannot open its data access`;
  if (!mobile && barringRank(p.barring) < barringRank(limitations.barring))
    return `line ${dn} is limited for unpaid bills (barring class ${limitations.barring} until the debt is paid): a temporary authorisation ${String(p.barring)} would lift it`;
  return null;
}
