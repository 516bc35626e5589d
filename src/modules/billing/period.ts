import { invalidInput } from './cycle.errors.js';

/** A billing or accounting period: [start, end) in UTC calendar days, `last` the inclusive end. */
export interface Period {
  code: string;
  start: string;
  end: string;
  last: string;
  days: number;
  months: number;
}

const iso = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The period a run of `cycleMonths` months ending with month `code` ("2026-11") covers: a quarterly
 * cycle billed for 2026-12 covers October to December. Days are counted in UTC calendar days,
 * the operator's time zone being UTC (West African operators: XOF zone, no summer time).
 */
export function periodOf(code: string, cycleMonths = 1): Period {
  const m = /^([0-9]{4})-(0[1-9]|1[0-2])$/.exec(code);
  if (!m) throw invalidInput('period', `period must be YYYY-MM, not "${code}"`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const end = new Date(Date.UTC(year, month, 1));
  const start = new Date(Date.UTC(year, month - cycleMonths, 1));
  const lastDay = new Date(end.getTime() - 86_400_000);
  return {
    code,
    start: iso(start),
    end: iso(end),
    last: iso(lastDay),
    days: Math.round((end.getTime() - start.getTime()) / 86_400_000),
    months: cycleMonths,
  };
}

/** A cycle of N months closes on months that are multiples of N (quarterly: 3, 6, 9, 12). */
export function cycleClosesOn(code: string, cycleMonths: number): boolean {
  const month = Number(code.slice(5, 7));
  return month % cycleMonths === 0;
}

/**
 * A recurring fee prorated to the days the subscription was active in the period, rounded half
 * up to the minor unit: the same rule as the SQL of the run (`round(numeric)`), checked in tests.
 */
export function prorate(
  monthlyPrice: number,
  months: number,
  activeDays: number,
  periodDays: number,
): number {
  const num = monthlyPrice * months * activeDays;
  return Math.floor((2 * num + periodDays) / (2 * periodDays));
}

/** Each tax rounded once on the taxable total (as the ledger's `priceLines`). */
export function taxOf(base: number, rateBasisPoints: number): number {
  return Math.floor((2 * base * rateBasisPoints + 10_000) / 20_000);
}
