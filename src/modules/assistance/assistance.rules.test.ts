import { describe, expect, it } from 'vitest';
import {
  approvalLevel,
  canApprove,
  firstVerdict,
  minutesBetween,
  outageRebate,
  whyNotDecide,
} from './assistance.rules.js';
import type { LineStatus } from './line-status.js';

const status = (over: Partial<LineStatus>): LineStatus => ({
  available: true,
  state: 'idle',
  meterIndex: 10,
  source: 'SW1',
  detail: null,
  at: '2026-01-01T00:00:00Z',
  ...over,
});

describe('first diagnosis', () => {
  it('blames a known incident before anything else', () => {
    expect(
      firstVerdict({ productKind: 'fixed_wired', incidentNumber: 'INC1', status: status({}) }).verdict,
    ).toBe('incident');
  });
  it('sends a line the switch sees to the MDF, a dead or unreadable one to the switch', () => {
    const v = (s: Partial<LineStatus>, kind = 'fixed_wired') =>
      firstVerdict({ productKind: kind, incidentNumber: null, status: status(s) }).verdict;
    expect(v({ state: 'idle' })).toBe('mdf');
    expect(v({ state: 'busy' })).toBe('mdf');
    expect(v({ state: 'out_of_service' })).toBe('switch');
    expect(v({ state: 'not_on_switch' })).toBe('switch');
    expect(v({ state: 'barred' })).toBe('switch');
    expect(v({ available: false, state: 'unknown' })).toBe('switch');
    expect(v({ state: 'idle' }, 'mobile_postpaid')).toBe('switch');
    expect(v({ state: 'idle' }, 'fixed_radio')).toBe('switch');
  });
});

describe('first diagnosis: access in force', () => {
  const access = (over: Partial<NonNullable<LineStatus['access']>>): NonNullable<LineStatus['access']> => ({
    voice: null,
    data: null,
    barring: 'NONE',
    effectiveBarring: 'NONE',
    temporary: [],
    limitation: null,
    ...over,
  });
  const diagnose = (symptom: string, a: NonNullable<LineStatus['access']>, kind = 'fixed_wired') =>
    firstVerdict({ productKind: kind, incidentNumber: null, status: status({ access: a }), symptom });

  it('names a barring class in force that explains the symptom, temporary or not, instead of the MDF', () => {
    const temporary = access({
      barring: 'NONE',
      effectiveBarring: 'OUTG',
      temporary: [{ orderId: 4, until: '2026-12-01T18:00:00.000Z', barring: 'OUTG' }],
    });
    expect(diagnose('no_outgoing_calls', temporary)).toEqual({
      verdict: 'switch',
      why: 'the switch has class OUTG in force: outgoing calls are barred (temporary change until 2026-12-01 18:00 UTC)',
    });
    // every new line has INTL (or NATL): a customer who cannot call out has a fault to test
    expect(diagnose('no_outgoing_calls', access({ barring: 'INTL', effectiveBarring: 'INTL' })).verdict).toBe(
      'mdf',
    );
    expect(diagnose('no_outgoing_calls', access({ barring: 'NATL', effectiveBarring: 'NATL' })).verdict).toBe(
      'mdf',
    );
    // a suspended line: the switch's state says so, not a barring class
    expect(
      firstVerdict({
        productKind: 'fixed_wired',
        incidentNumber: null,
        status: status({ state: 'barred', access: access({ barring: 'INTL', effectiveBarring: 'INTL' }) }),
        symptom: 'no_outgoing_calls',
      }).why,
    ).toBe('the line is barred at the switch: check its class of service');
    // a class that does not bar what the customer says: the pair is tested as before
    expect(diagnose('no_incoming_calls', temporary).verdict).toBe('mdf');
    expect(diagnose('noise', access({ effectiveBarring: 'ALL' })).verdict).toBe('mdf');
    expect(diagnose('no_incoming_calls', access({ effectiveBarring: 'ALL' })).why).toMatch(/class ALL/);
    expect(diagnose('no_outgoing_calls', access({})).verdict).toBe('mdf');
  });
  it('names a limitation for unpaid bills and the HLR barring of a mobile line', () => {
    expect(diagnose('no_outgoing_calls', access({ limitation: 'limited' })).why).toBe(
      'the line is limited for unpaid bills: paying lifts the limitation',
    );
    expect(diagnose('no_data', access({ limitation: 'changing' })).why).toBe(
      'the limitation for unpaid bills is being put on or lifted: check again in a few minutes',
    );
    // noise on the line is not something a limitation explains
    expect(diagnose('noise', access({ limitation: 'limited' })).verdict).toBe('mdf');
    const mobile = access({
      barring: null,
      effectiveBarring: null,
      voice: true,
      data: false,
      temporary: [{ orderId: 9, until: '2026-12-02T08:30:00.000Z', data: false }],
    });
    expect(diagnose('no_data', mobile, 'mobile_prepaid').why).toBe(
      'the HLR has data barred (temporary change until 2026-12-02 08:30 UTC)',
    );
    expect(diagnose('no_outgoing_calls', mobile, 'mobile_prepaid').why).toBe(
      'a line without copper plant is tested at the network first',
    );
    expect(diagnose('no_network', access({ voice: false }), 'mobile_prepaid').why).toBe(
      'the HLR has voice and SMS barred',
    );
  });
  it('a known incident still comes first', () => {
    expect(
      firstVerdict({
        productKind: 'fixed_wired',
        incidentNumber: 'INC2',
        status: status({ access: access({ effectiveBarring: 'OUTG' }) }),
        symptom: 'no_outgoing_calls',
      }).verdict,
    ).toBe('incident');
  });
});

describe('rebates', () => {
  it('computes an outage rebate pro rata of the monthly price over 30 days', () => {
    expect(outageRebate(30 * 24 * 60, 5000)).toBe(5000);
    expect(outageRebate(24 * 60, 6000)).toBe(200);
    expect(outageRebate(90, 6000)).toBe(13); // 12.5 rounds half up
    expect(outageRebate(1, 5000)).toBe(1); // never zero
    expect(() => outageRebate(0, 5000)).toThrow();
    expect(() => outageRebate(1.5, 5000)).toThrow();
  });
  it('counts a started minute of outage', () => {
    const t = new Date('2026-01-01T10:00:00Z');
    expect(minutesBetween(t, new Date('2026-01-01T10:00:01Z'))).toBe(1);
    expect(minutesBetween(t, new Date('2026-01-01T12:30:00Z'))).toBe(150);
  });
  it('binds approval to amount thresholds and rights', () => {
    expect(approvalLevel(10_000, 10_000)).toBe('small');
    expect(approvalLevel(10_001, 10_000)).toBe('large');
    expect(canApprove('small', new Set(['rebate:approve_small']))).toBe(true);
    expect(canApprove('large', new Set(['rebate:approve_small']))).toBe(false);
    expect(canApprove('large', new Set(['rebate:approve_large']))).toBe(true);
    expect(canApprove('small', new Set(['rebate:approve_large']))).toBe(true);
    expect(canApprove('large', new Set(['*']))).toBe(true);
    expect(canApprove('small', new Set(['fault:write']))).toBe(false);
  });
  it('says who may decide a rebate, and why not: state first, then the right, then four eyes', () => {
    const r = {
      status: 'pending',
      approvalLevel: 'large' as const,
      amount: 50_000,
      currency: 'XOF',
      requestedBy: 7,
    };
    const small = new Set(['rebate:approve_small']);
    const large = new Set(['rebate:approve_large']);
    expect(whyNotDecide(r, { userId: 8, rights: large })).toBeNull();
    expect(whyNotDecide(r, { userId: 8, rights: small })).toEqual({
      kind: 'forbidden',
      why: 'a large rebate (50000 XOF) needs the right "rebate:approve_large"',
    });
    expect(whyNotDecide(r, { userId: 7, rights: large })?.kind).toBe('rule');
    // a decided rebate is refused for everyone, the one who asked for it included
    expect(whyNotDecide({ ...r, status: 'credited' }, { userId: 7, rights: large })?.kind).toBe('conflict');
    // a rebate requested by the system (no user) may be decided by any holder of the right
    expect(whyNotDecide({ ...r, requestedBy: null }, { userId: null, rights: new Set(['*']) })).toBeNull();
  });
});
