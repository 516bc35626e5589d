import { stringify } from 'csv-stringify/sync';
import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { BillingCycleError } from './cycle.errors.js';
import { periodOf } from './period.js';

export interface JournalLine {
  account: string;
  label: string;
  debit: number;
  credit: number;
  entries: number;
}

export interface Journal {
  period: string;
  periodStart: string;
  periodEnd: string;
  currency: string;
  status: 'open' | 'closed';
  lines: JournalLine[];
  totalDebit: number;
  totalCredit: number;
  balanced: boolean;
  /** Receivables per collective account: what each accounting category's customers owe at period end. */
  collective: { account: string; label: string; debit: number; credit: number }[];
}

export const JOURNAL_CODE = 'VTE';
export const CSV_HEADER = [
  'journal',
  'period',
  'date',
  'account',
  'label',
  'debit',
  'credit',
  'currency',
  'entries',
];

/**
 * Centralisation of the payer ledger into the general ledger: every movement of a period
 * (invoices, cancellations, credit notes, rebates, payments, deposits received, applied and
 * refunded) becomes a double entry, the customer side on the collective account of the
 * customer's accounting category (or the deposits account), the other side on revenue, taxes,
 * rebates or treasury (by payment method) — then summed per account. Closing a period stores its
 * export and freezes it: no ledger entry can be dated in it any more and it is never re-run.
 */
export class CentralisationService {
  constructor(
    private readonly db: Db,
    private readonly currency: string,
  ) {}

  async journal(period: string): Promise<Journal> {
    const p = periodOf(period);
    const state = await this.db
      .selectFrom('billing_period')
      .select('status')
      .where('period', '=', period)
      .executeTakeFirst();
    const r = await sql<{
      account: string;
      label: string;
      debit: number;
      credit: number;
      entries: number;
      collective: boolean;
    }>`
      WITH gl AS (SELECT key, account, label FROM billing_gl_account),
      e AS (
        SELECT e.id, e.account AS ledger_account, e.kind, e.amount, acc.collective_account, acc.label AS collective_label,
               i.kind AS inv_kind, i.amount_excl_tax, i.taxes, coalesce(p.method, 'cash') AS method
        FROM billing_ledger_entry e
        JOIN customer cu ON cu.id = e.customer_id
        JOIN category acc ON acc.id = cu.accounting_id
        LEFT JOIN billing_invoice i ON i.id = e.invoice_id
        LEFT JOIN billing_payment p ON p.id = e.payment_id
        WHERE e.occurred_at >= ${p.start}::timestamp AT TIME ZONE 'UTC'
          AND e.occurred_at < ${p.end}::timestamp AT TIME ZONE 'UTC'
      ), priced AS (
        SELECT * FROM e WHERE kind IN ('invoice', 'invoice_cancelled') OR (kind = 'credit' AND inv_kind = 'credit_note')
      ), lines AS (
        -- the customer's side: collective account of the accounting category, or deposits held
        SELECT CASE WHEN ledger_account = 'receivable' THEN collective_account ELSE (SELECT account FROM gl WHERE key = 'deposit') END AS account,
               CASE WHEN ledger_account = 'receivable' THEN collective_label ELSE (SELECT label FROM gl WHERE key = 'deposit') END AS label,
               greatest(amount, 0) AS debit, greatest(-amount, 0) AS credit, (ledger_account = 'receivable') AS collective
        FROM e
        UNION ALL -- revenue of invoices, reversed by cancellations and credit notes
        SELECT gl.account, gl.label, CASE WHEN amount < 0 THEN amount_excl_tax ELSE 0 END,
               CASE WHEN amount > 0 THEN amount_excl_tax ELSE 0 END, false
        FROM priced JOIN gl ON gl.key = 'revenue' WHERE amount_excl_tax > 0
        UNION ALL -- each tax on its account
        SELECT coalesce(g1.account, g2.account), coalesce(g1.label, g2.label),
               CASE WHEN amount < 0 THEN (t->>'amount')::bigint ELSE 0 END,
               CASE WHEN amount > 0 THEN (t->>'amount')::bigint ELSE 0 END, false
        FROM priced CROSS JOIN LATERAL jsonb_array_elements(coalesce(taxes, '[]'::jsonb)) AS t
        LEFT JOIN gl g1 ON g1.key = 'tax:' || (t->>'code')
        JOIN gl g2 ON g2.key = 'tax:*'
        WHERE (t->>'amount')::bigint <> 0
        UNION ALL -- rebates granted
        SELECT gl.account, gl.label, -amount, 0, false
        FROM e JOIN gl ON gl.key = 'rebate' WHERE kind = 'credit' AND inv_kind IS DISTINCT FROM 'credit_note'
        UNION ALL -- money in and out, by payment method
        SELECT coalesce(g1.account, g2.account), coalesce(g1.label, g2.label),
               CASE WHEN amount < 0 THEN -amount ELSE 0 END, CASE WHEN amount > 0 THEN amount ELSE 0 END, false
        FROM e LEFT JOIN gl g1 ON g1.key = 'treasury:' || e.method JOIN gl g2 ON g2.key = 'treasury:cash'
        WHERE kind IN ('payment', 'deposit_received', 'deposit_refunded', 'refund')
      )
      SELECT account, min(label) AS label, sum(debit)::bigint AS debit, sum(credit)::bigint AS credit,
             count(*)::int AS entries, bool_or(collective) AS collective
      FROM lines GROUP BY account ORDER BY account`.execute(this.db);
    const lines = r.rows.map((x) => ({
      account: x.account,
      label: x.label,
      debit: Number(x.debit),
      credit: Number(x.credit),
      entries: x.entries,
    }));
    const totalDebit = lines.reduce((s, l) => s + l.debit, 0);
    const totalCredit = lines.reduce((s, l) => s + l.credit, 0);
    return {
      period,
      periodStart: p.start,
      periodEnd: p.last,
      currency: this.currency,
      status: state?.status ?? 'open',
      lines,
      totalDebit,
      totalCredit,
      balanced: totalDebit === totalCredit,
      collective: r.rows
        .filter((x) => x.collective)
        .map((x) => ({
          account: x.account,
          label: x.label,
          debit: Number(x.debit),
          credit: Number(x.credit),
        })),
    };
  }

  /** The journal as the general ledger imports it (docs/billing.md describes the format). */
  toCsv(j: Journal): string {
    return stringify(
      j.lines.map((l) => [
        JOURNAL_CODE,
        j.period,
        j.periodEnd,
        l.account,
        l.label,
        l.debit,
        l.credit,
        j.currency,
        l.entries,
      ]),
      { header: true, columns: CSV_HEADER },
    );
  }

  /** Centralises an open period (a preview: the period stays open). A closed period is never re-run. */
  async centralise(period: string): Promise<Journal> {
    await this.assertOpen(period);
    return this.journal(period);
  }

  private async assertOpen(period: string): Promise<void> {
    const state = await this.db
      .selectFrom('billing_period')
      .select(['status', 'closed_at'])
      .where('period', '=', period)
      .executeTakeFirst();
    if (state?.status === 'closed')
      throw new BillingCycleError(
        'conflict',
        'ledger.period_closed',
        `period ${period} was closed on ${new Date(state.closed_at!).toISOString().slice(0, 10)}: its journal is final`,
        'period',
      );
  }

  /** Closes a period: its journal, balanced, is stored with its CSV and no entry can be dated in it any more. */
  async close(period: string, at: Date, by: Actor): Promise<{ journal: Journal; csv: string }> {
    const p = periodOf(period);
    if (at.getTime() < Date.parse(`${p.end}T00:00:00Z`))
      throw new BillingCycleError(
        'rule',
        'ledger.period_not_ended',
        `period ${period} ends on ${p.last}`,
        'period',
      );
    return this.db.transaction().execute(async (trx) => {
      // closing locks the period row: two closings never both pass the check
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`ledger_period:${period}`}))`.execute(trx);
      // entries being written now would slip in after the journal: wait for them, block new ones
      await sql`LOCK TABLE billing_ledger_entry IN SHARE MODE`.execute(trx);
      const state = await trx
        .selectFrom('billing_period')
        .select(['status', 'closed_at'])
        .where('period', '=', period)
        .executeTakeFirst();
      if (state?.status === 'closed')
        throw new BillingCycleError(
          'conflict',
          'ledger.period_closed',
          `period ${period} is already closed`,
          'period',
        );
      const journal = await new CentralisationService(trx as unknown as Db, this.currency).journal(period);
      if (!journal.balanced)
        throw new BillingCycleError(
          'rule',
          'ledger.unbalanced',
          `the journal of ${period} does not balance (debit ${journal.totalDebit}, credit ${journal.totalCredit})`,
        );
      const csv = this.toCsv(journal);
      const totals = JSON.stringify({
        debit: journal.totalDebit,
        credit: journal.totalCredit,
        lines: journal.lines.length,
      });
      await trx
        .insertInto('billing_period')
        .values({
          period,
          period_start: p.start,
          period_end: p.end,
          status: 'closed',
          totals,
          export_csv: csv,
          closed_at: at,
          closed_by: by.userId,
        })
        .onConflict((oc) =>
          oc
            .column('period')
            .doUpdateSet({ status: 'closed', totals, export_csv: csv, closed_at: at, closed_by: by.userId }),
        )
        .execute();
      await appendEvent(trx, {
        entityType: 'ledger_period',
        entityId: period,
        kind: 'ledger.period_closed',
        userId: by.userId,
        payload: { debit: journal.totalDebit, credit: journal.totalCredit, accounts: journal.lines.length },
      });
      return { journal: { ...journal, status: 'closed' as const }, csv };
    });
  }

  /** The export stored when the period was closed. */
  async export(period: string): Promise<string> {
    const row = await this.db
      .selectFrom('billing_period')
      .select(['status', 'export_csv'])
      .where('period', '=', period)
      .executeTakeFirst();
    if (row?.status === 'closed' && row.export_csv) return row.export_csv;
    return this.toCsv(await this.centralise(period));
  }
}
