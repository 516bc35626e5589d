import { describe, expect, it } from 'vitest';
import { activationLineStatus, type AccessRecords } from './activation-line-status.js';
import type { LineRef } from './line-status.js';

// The element's side is a stand-in here (the real HLR and switch are in
// billing/collection.automaton.db.test.ts): what is checked is how the records' side joins it.
const mobile: LineRef = {
  directoryNumber: '221770000001',
  productKind: 'mobile_postpaid',
  equipmentNumber: null,
  iccid: '8922101000000000001',
  imsi: '608010000000001',
};
const fixed: LineRef = { ...mobile, productKind: 'fixed_wired', iccid: null, imsi: null };

function records(calls: string[], fail = false): AccessRecords {
  return {
    temporary: async (dn) => {
      calls.push(`temporary ${dn}`);
      if (fail) throw new Error('database gone');
      return [{ orderId: 7, until: '2026-12-01T00:00:00.000Z', voice: false, data: false }];
    },
    limitation: async (dn) => {
      calls.push(`limitation ${dn}`);
      return 'limited';
    },
  };
}

describe('the line status from the activation automaton, with what holds the access', () => {
  it('joins voice/data from the HLR with the records, and reads only what the caller flagged', async () => {
    const calls: string[] = [];
    const source = activationLineStatus(
      async () => ({ exists: true, access: { cs: true, ps: false } }),
      records(calls),
    );
    const s = await source.query({ ...mobile, held: { temporary: false, limitation: true } });
    expect(s).toMatchObject({
      available: true,
      state: 'in_service',
      access: { voice: true, data: false, barring: null, temporary: [], limitation: 'limited' },
    });
    expect(calls).toEqual(['limitation 221770000001']);
    calls.length = 0;
    await source.query({ ...mobile, held: { temporary: false, limitation: false } });
    expect(calls).toEqual([]);
    // no flags given (the fault diagnosis): both read
    await source.query(mobile);
    expect(calls).toEqual(['temporary 221770000001', 'limitation 221770000001']);
  });

  it('a fixed line: the permanent and the effective barring class; an element down still shows the records', async () => {
    const calls: string[] = [];
    const up = activationLineStatus(
      async () => ({ exists: true, status: 'idle', meter: 4, barring: 'OUTG', effectiveBarring: 'NONE' }),
      records(calls),
    );
    expect((await up.query(fixed)).access).toMatchObject({
      voice: null,
      barring: 'OUTG',
      effectiveBarring: 'NONE',
      limitation: 'limited',
    });
    const down = activationLineStatus(async () => {
      throw new Error('SW1 unreachable');
    }, records(calls));
    expect(await down.query(fixed)).toMatchObject({
      available: false,
      detail: 'SW1 unreachable',
      access: { barring: null, temporary: [{ orderId: 7 }], limitation: 'limited' },
    });
  });

  it('records that cannot be read leave the element answer as it is', async () => {
    const source = activationLineStatus(
      async () => ({ exists: true, access: { cs: false, ps: false } }),
      records([], true),
    );
    const s = await source.query(mobile);
    expect(s).toMatchObject({ available: true, state: 'barred' });
    expect(s.access).toBeUndefined();
  });
});
