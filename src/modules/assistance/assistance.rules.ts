import type { ApprovalLevel } from './assistance.tables.js';
import { faultyAtSwitch, type LineStatus } from './line-status.js';

/**
 * The assistance's business rules as plain functions: first diagnosis, rebate amounts and who may
 * approve them, deadlines. Services call them; `assistance.rules.test.ts` checks them alone.
 */

export type Verdict = 'incident' | 'switch' | 'mdf' | 'field';

/**
 * The first diagnosis of a fault on a line: a known plant incident on the line's chain explains it;
 * then an access restriction in force that explains the symptom (a barring class, a temporary change,
 * a limitation for unpaid bills): nothing is broken, the switch's or HLR's settings are checked;
 * otherwise the exchange's view of the line decides where testing starts. A line the switch sees
 * idle or busy answers there, so the fault is further out: the MDF tests the pair first. A line out
 * of service, unknown to the switch, barred, or that could not be asked, is tested at the switch.
 * Mobile lines have no copper: their faults are always checked at the network (switch/HLR) first.
 */
export function firstVerdict(i: {
  productKind: string;
  incidentNumber: string | null;
  status: LineStatus;
  symptom?: string;
}): {
  verdict: Verdict;
  why: string;
} {
  if (i.incidentNumber)
    return { verdict: 'incident', why: `plant incident ${i.incidentNumber} covers the line's chain` };
  const restricted = i.symptom ? restrictionExplaining(i.symptom, i.status) : null;
  if (restricted) return { verdict: 'switch', why: restricted };
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

/**
 * The symptoms each restriction of access produces (switch barring classes, HLR CS/PS). INTL and
 * NATL explain none of them: they bar some destinations only (every new line has INTL), and a
 * customer who "cannot call" a local number has a fault to test.
 */
const BARRING_SYMPTOMS: Record<string, { symptoms: string[]; what: string }> = {
  OUTG: { symptoms: ['no_outgoing_calls'], what: 'outgoing calls are barred' },
  ALL: { symptoms: ['no_outgoing_calls', 'no_incoming_calls'], what: 'all calls are barred' },
};
const VOICE_SYMPTOMS = ['no_outgoing_calls', 'no_incoming_calls', 'no_network'];
const LIMITED_SYMPTOMS = ['no_outgoing_calls', 'no_data', 'no_network'];

/**
 * Why the access in force explains what the customer says, or null: the agent then tells the
 * customer (a limitation is lifted by paying, a temporary change ends at its date) instead of
 * sending a technician to a line that works as configured.
 */
export function restrictionExplaining(symptom: string, status: LineStatus): string | null {
  const a = status.access;
  if (!a) return null;
  if (a.limitation && LIMITED_SYMPTOMS.includes(symptom))
    return a.limitation === 'limited'
      ? 'the line is limited for unpaid bills: paying lifts the limitation'
      : 'the limitation for unpaid bills is being put on or lifted: check again in a few minutes';
  // the server does not know the agent's time zone: the time is said in UTC, and says so
  const until = (t: { until: string }) =>
    ` (temporary change until ${t.until.slice(0, 16).replace('T', ' ')} UTC)`;
  const barring = a.effectiveBarring ?? a.barring;
  const cls = barring ? BARRING_SYMPTOMS[barring.toUpperCase()] : undefined;
  if (cls?.symptoms.includes(symptom)) {
    const t = a.temporary.find((x) => x.barring?.toUpperCase() === barring!.toUpperCase());
    return `the switch has class ${barring!.toUpperCase()} in force: ${cls.what}${t ? until(t) : ''}`;
  }
  if (a.voice === false && VOICE_SYMPTOMS.includes(symptom)) {
    const t = a.temporary.find((x) => x.voice === false);
    return `the HLR has voice and SMS barred${t ? until(t) : ''}`;
  }
  if (a.data === false && symptom === 'no_data') {
    const t = a.temporary.find((x) => x.data === false);
    return `the HLR has data barred${t ? until(t) : ''}`;
  }
  return null;
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
