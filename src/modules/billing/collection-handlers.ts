import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import type { Data, HandlerRegistry } from '../workflow/index.js';
import { DEBT_CHECK_HANDLER, LIMITATION_SCENARIO, LINE_HANDLER } from './collection-scenario.js';

/**
 * Whether a payer is still a debtor at `at`: an open invoice past due and a receivable balance of
 * at least its collection rule's minimum (1 without a rule). Shared by the daily run, the
 * restoration after a payment and the limitation scenario's check before it waits.
 */
export async function payerOwes(db: Executor, payerId: number, at: Date): Promise<boolean> {
  const r = await sql<{ owes: boolean }>`
    SELECT EXISTS (SELECT 1 FROM billing_invoice WHERE payer_id = ${payerId} AND status = 'open' AND due_at < ${at})
       AND coalesce((SELECT sum(amount) FROM billing_ledger_entry WHERE payer_id = ${payerId} AND account = 'receivable'), 0)
           >= coalesce((SELECT r.min_amount FROM payer p JOIN customer c ON c.id = p.customer_id
                        JOIN billing_collection_rule r ON r.category_id = c.collection_id WHERE p.id = ${payerId}), 1) AS owes`.execute(
    db,
  );
  return r.rows[0]?.owes ?? false;
}

/** The barring class a fixed line gets while limited for unpaid bills: outgoing calls barred. */
export const LIMITATION_BARRING = 'OUTG';

/**
 * The lines under a limitation for unpaid bills, by directory number (the network audit's view):
 * `limited` while its request waits for the payment (data cut, outgoing calls barred), `changing`
 * while the limitation is being put on or lifted (the element may be either way). One read of the
 * running limitation requests (a partial index serves it), not one per line; or of the one line `dn`
 * (migration 0831's index; the scenario is written as a literal so the planner matches its predicate).
 */
export async function lineLimitations(
  db: Executor,
  dn?: string,
): Promise<Map<string, 'limited' | 'changing'>> {
  const rows = await sql<{ line_id: string; held: boolean }>`
    SELECT i.line_id, bool_or(t.node = 'wait_payment') AS held
    FROM wf_instance i
    LEFT JOIN wf_task t ON t.instance_id = i.id AND t.status NOT IN ('done', 'cancelled')
    WHERE i.scenario_code = ${sql.lit(LIMITATION_SCENARIO)} AND i.status = 'running' AND i.line_id IS NOT NULL
      ${dn === undefined ? sql`` : sql`AND i.line_id = ${dn}`}
    GROUP BY i.line_id`.execute(db);
  return new Map(rows.rows.map((r) => [r.line_id, r.held ? 'limited' : 'changing']));
}

/**
 * Whether a limitation request runs on the line (in force or changing), as an SQL expression to
 * embed in another module's statement (the line consultation's one read): migration 0831's index,
 * one relation. `lineLimitations(db, dn)` then says which, only for the lines it flags.
 */
export const lineHasLimitation = (number: string) => sql<boolean>`EXISTS (
    SELECT 1 FROM wf_instance WHERE line_id = ${number} AND status = 'running'
       AND scenario_code = ${sql.lit(LIMITATION_SCENARIO)})`;

/**
 * The steps of the collection scenarios that are not the automaton's:
 *
 * - `collection.line` reads the line as it is now (number, SIM card, mobile or fixed) and puts at
 *   the top of the request's data what the activation steps read (`directoryNumber`, `simIccid`,
 *   the barring class of a fixed limitation under `activationParams.limit_fixed`); outcome
 *   `mobile` or `fixed`.
 * - `collection.check_debt`, between the limitation and the wait: a payment recorded while the
 *   element was limiting the line found no hold to resume, so the debt is looked at again here
 *   (`settled` lifts at once). It also notes the barring class the switch reported before the
 *   limitation, which the lift gives back.
 */
export function registerCollectionHandlers(registry: HandlerRegistry): void {
  registry.task(LINE_HANDLER, async (ctx) => {
    const sub = (ctx.instance.data.subscription ?? {}) as { id?: number };
    if (!sub.id) throw new Error('the request names no line (subscription)');
    const line = await ctx.trx
      .selectFrom('subscription as s')
      .innerJoin('product_version as v', 'v.id', 's.product_version_id')
      .innerJoin('product as p', 'p.id', 'v.product_id')
      .select(['s.directory_number', 's.sim_iccid', 'p.kind'])
      .where('s.id', '=', sub.id)
      .executeTakeFirst();
    if (!line) throw new Error(`subscription ${sub.id} does not exist`);
    if (!line.directory_number) throw new Error('the line has no directory number: nothing to act on');
    const mobile = line.kind.startsWith('mobile');
    if (mobile && !line.sim_iccid)
      throw new Error(
        `mobile line ${line.directory_number} has no SIM card on record: the HLR cannot be told`,
      );
    const params = (ctx.instance.data.activationParams ?? {}) as Data;
    return {
      outcome: mobile ? 'mobile' : 'fixed',
      data: {
        collectionLine: mobile ? 'mobile' : 'fixed',
        directoryNumber: line.directory_number,
        ...(mobile ? { simIccid: line.sim_iccid } : {}),
        // a temporary authorisation in force would override the limitation's class: it ends with it
        activationParams: { ...params, limit_fixed: { barring: LIMITATION_BARRING, clearTemporary: true } },
      },
    };
  });

  registry.task(DEBT_CHECK_HANDLER, async (ctx) => {
    const payerId = Number(ctx.instance.data.payerId);
    const act = (ctx.instance.data.activation ?? {}) as Record<string, { result?: { before?: unknown } }>;
    const before = act.limit_fixed?.result?.before;
    const params = (ctx.instance.data.activationParams ?? {}) as Data;
    return {
      outcome: (await payerOwes(ctx.trx, payerId, ctx.now)) ? 'owing' : 'settled',
      data: {
        activationParams: {
          ...params,
          lift_fixed: {
            barring: typeof before === 'string' && before !== LIMITATION_BARRING ? before : 'NONE',
          },
        },
      },
    };
  });
}
