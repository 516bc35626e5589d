import type { ApprovalLevel } from './assistance.tables.js';
import { faultyAtSwitch, type LineStatus } from './line-status.js';

/**
 * The assistance's business rules as plain functions: first diagnosis, rebate amounts and who may
 * approve them, deadlines. Services call them; `assistance.rules.test.ts` checks them alone.
 */

export type Verdict = 'incident' | 'switch' | 'mdf' | 'field';

/**
 * The first diagnosis of a fault on a line: a known plant incident on the line's chain explains it;
 * otherwise the exchange's view of the line decides where testing starts. A line the switch sees
 * idle or busy answers there, so the fault is further out: the MDF tests the pair first. A line out
 * of service, unknown to the switch, barred, or that could not be asked, is tested at the switch.
 * Mobile lines have no copper: their faults are always checked at the network (switch/HLR) first.
 */
export function firstVerdict(i: { productKind: string; incidentNumber: string | null; status: LineStatus }): {
  verdict: Verdict;
  why: string;
} {
  if (i.incidentNumber)
    return { verdict: 'incident', why: `plant incident ${i.incidentNumber} covers the line's chain` };
  if (!i.productKind.startsWith('fixed_wired'))
    return { verdict: 'switch', why: 'a line without copper plant is tested at the network first' };
  if (!i.status.available)
    return {
      verdict: 'switch',
      why: `the line status could not be read (${i.status.detail ?? i.status.source})`,
    };
  if (faultyAtSwitch(i.status))
    return { verdict: 'switch', why: `the switch reports the line ${i.status.state}` };
  if (i.status.state === 'barred')
    return { verdict: 'switch', why: 'the line is barred at the switch: check its class of service' };
  return { verdict: 'mdf', why: `the switch sees the line ${i.status.state}: test the pair at the MDF` };
}

const MINUTES_PER_MONTH = 30 * 24 * 60;

/**
 * A rebate for an outage: the subscription's recurring (monthly) price pro rata of the minutes the
 * line was down over a 30-day month, rounded to the nearest unit, at least one unit.
 */
export function outageRebate(outageMinutes: number, monthlyPrice: number): number {
  if (!Number.isInteger(outageMinutes) || outageMinutes <= 0) throw new RangeError('outage minutes > 0');
  if (!Number.isInteger(monthlyPrice) || monthlyPrice < 0) throw new RangeError('monthly price >= 0');
  return Math.max(1, Math.round((monthlyPrice * outageMinutes) / MINUTES_PER_MONTH));
}

/** Minutes between two instants, rounded up (a started minute of outage counts). */
export function minutesBetween(from: Date, to: Date): number {
  return Math.max(1, Math.ceil((to.getTime() - from.getTime()) / 60_000));
}

/** Rebates up to the limit are approved by a team leader; above it, by a manager. */
export function approvalLevel(amount: number, smallLimit: number): ApprovalLevel {
  return amount <= smallLimit ? 'small' : 'large';
}

/** The approval levels these rights decide: both with the large right, small ones with the small. */
export function approvableLevels(rights: ReadonlySet<string>): ApprovalLevel[] {
  if (rights.has('*') || rights.has('rebate:approve_large')) return ['small', 'large'];
  return rights.has('rebate:approve_small') ? ['small'] : [];
}

export function canApprove(level: ApprovalLevel, rights: ReadonlySet<string>): boolean {
  return approvableLevels(rights).includes(level);
}

/**
 * Why this person may not approve or reject this rebate, or null when they may: it is still pending,
 * they hold the right for its amount, and they are not the agent who asked for it (four eyes). The
 * service enforces it and the API shows it, so a screen offers the buttons only when they would work.
 */
export function whyNotDecide(
  r: {
    status: string;
    approvalLevel: ApprovalLevel;
    amount: number;
    currency: string;
    requestedBy: number | null;
  },
  by: { userId: number | null; rights: ReadonlySet<string> },
): { kind: 'conflict' | 'forbidden' | 'rule'; why: string } | null {
  if (r.status !== 'pending') return { kind: 'conflict', why: `the rebate is already ${r.status}` };
  if (!canApprove(r.approvalLevel, by.rights))
    return {
      kind: 'forbidden',
      why: `a ${r.approvalLevel} rebate (${r.amount} ${r.currency}) needs the right "rebate:approve_${r.approvalLevel}"`,
    };
  if (r.requestedBy !== null && r.requestedBy === by.userId)
    return { kind: 'rule', why: 'a rebate is approved by someone other than the agent who asked for it' };
  return null;
}

/** The repair deadline promised to the customer, by kind of line (hours). */
export function faultSlaHours(productKind: string): number {
  if (productKind.startsWith('mobile')) return 8;
  if (productKind === 'fixed_radio') return 24;
  return 48;
}
