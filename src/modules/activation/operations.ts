import { ElementRefusal, type ElementKind, type Session } from './drivers/driver.js';
import { ACCESS, hlrOps, type MobileAccess, type MobileKeys } from './drivers/hlr.driver.js';
import { switchOps } from './drivers/switch.driver.js';
import { BARRING_CLASSES, type BarringClass } from './switch-sim/protocol.js';

/**
 * The operations the automaton knows, by name: which kind of element each runs on, how it runs
 * through the driver, and — for temporary changes — what undoes it and when. Params are plain JSON
 * (stored in `act_order.params`); SIM keys are never in them: they are read from the inventory
 * (logged) just before the command is sent.
 */

export type Params = Record<string, unknown>;
export type KeyReader = (iccid: string) => Promise<{ imsi: string } & MobileKeys>;
/** Reads many cards' keys at once (one transaction, one logged read per card); unknown cards are absent. */
export type ManyKeyReader = (iccids: string[]) => Promise<Map<string, { imsi: string } & MobileKeys>>;

export interface OperationDef {
  kind: ElementKind;
  label: string;
  /**
   * Runs before a connection is taken (e.g. reading the SIM's keys from the inventory), so a pooled
   * connection never idles while the database answers; what it returns lives in memory only.
   */
  prepare?: (p: Params, keys: KeyReader) => Promise<Params>;
  /**
   * The SIM cards whose record (IMSI, keys) the operation reads: the automaton reads those of a
   * whole claimed batch in one transaction before running them.
   */
  cards?: (p: Params) => string[];
  /** A query (status, meter): answered on demand, never queued as an order. */
  query?: boolean;
  run: (s: Session, p: Params, keys: KeyReader) => Promise<Params>;
  /** For temporary changes: the order that undoes this one at `until`. */
  revert?: (p: Params, result: Params) => { operation: string; params: Params; dueAt: Date };
}

function str(p: Params, key: string, pattern?: RegExp): string {
  const v = p[key];
  if (typeof v !== 'string' || v === '' || (pattern && !pattern.test(v)))
    throw new ElementRefusal(`parameter ${key} is missing or invalid`, 'invalid');
  return v;
}
const optStr = (p: Params, key: string) =>
  typeof p[key] === 'string' && p[key] !== '' ? (p[key] as string) : undefined;
const strings = (p: Params, key: string): string[] =>
  Array.isArray(p[key]) ? (p[key] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
function barring(p: Params, key: string): BarringClass {
  const v = str(p, key).toUpperCase();
  if (!(BARRING_CLASSES as readonly string[]).includes(v))
    throw new ElementRefusal(`${key} must be one of ${BARRING_CLASSES.join(', ')}`, 'invalid');
  return v as BarringClass;
}
function until(p: Params): Date {
  const d = new Date(str(p, 'until'));
  if (Number.isNaN(d.getTime())) throw new ElementRefusal('until is not a date', 'invalid');
  return d;
}
function access(p: Params): MobileAccess {
  if (typeof p.cs !== 'boolean' || typeof p.ps !== 'boolean')
    throw new ElementRefusal('cs and ps (booleans) are required', 'invalid');
  return { cs: p.cs, ps: p.ps };
}
const asParams = (x: object): Params => ({ ...x }) as Params;

/** The card an operation keyed on the IMSI reads when the IMSI is not given. */
const imsiCard = (p: Params): string[] => (optStr(p, 'imsi') ? [] : [optStr(p, 'iccid')].filter(isStr));
const isStr = (x: unknown): x is string => typeof x === 'string';

/** The IMSI of the order: given, or read from the SIM card's record. */
async function imsiOf(p: Params, keys: KeyReader): Promise<string> {
  const imsi = optStr(p, 'imsi');
  if (imsi) return imsi;
  return (await keys(str(p, 'iccid'))).imsi;
}

export const OPERATIONS: Record<string, OperationDef> = {
  'mobile.activate': {
    kind: 'osmo_hlr',
    label: 'Create the subscriber in the HLR from its SIM card, with its number',
    prepare: async (p, keys) => ({ ...p, card: await keys(str(p, 'iccid')) }),
    cards: (p) => [optStr(p, 'iccid')].filter(isStr),
    run: async (s, p, keys) => {
      const k = (p.card as Awaited<ReturnType<KeyReader>> | undefined) ?? (await keys(str(p, 'iccid')));
      return asParams(await hlrOps.activate(s, { imsi: k.imsi, msisdn: str(p, 'msisdn'), keys: k }));
    },
  },
  'mobile.deactivate': {
    kind: 'osmo_hlr',
    label: 'Delete the subscriber from the HLR',
    cards: imsiCard,
    run: async (s, p, keys) => asParams(await hlrOps.deactivate(s, { imsi: await imsiOf(p, keys) })),
  },
  'mobile.set_msisdn': {
    kind: 'osmo_hlr',
    label: 'Change the subscriber’s number',
    cards: imsiCard,
    run: async (s, p, keys) =>
      asParams(await hlrOps.setMsisdn(s, { imsi: await imsiOf(p, keys), msisdn: str(p, 'msisdn') })),
  },
  'mobile.limit': {
    kind: 'osmo_hlr',
    label: 'Limitation: data (PS) cut, voice and SMS (CS) kept',
    cards: imsiCard,
    run: async (s, p, keys) =>
      asParams(await hlrOps.setAccess(s, { imsi: await imsiOf(p, keys), access: ACCESS.limited })),
  },
  'mobile.suspend': {
    kind: 'osmo_hlr',
    label: 'Suspension: CS and PS access cut',
    cards: imsiCard,
    run: async (s, p, keys) =>
      asParams(await hlrOps.setAccess(s, { imsi: await imsiOf(p, keys), access: ACCESS.suspended })),
  },
  'mobile.restore': {
    kind: 'osmo_hlr',
    label: 'Restoration: CS and PS access given back',
    cards: imsiCard,
    run: async (s, p, keys) =>
      asParams(await hlrOps.setAccess(s, { imsi: await imsiOf(p, keys), access: ACCESS.full })),
  },
  'mobile.set_access': {
    kind: 'osmo_hlr',
    label: 'Set CS/PS access',
    cards: imsiCard,
    run: async (s, p, keys) =>
      asParams(await hlrOps.setAccess(s, { imsi: await imsiOf(p, keys), access: access(p) })),
  },
  'mobile.temporary_access': {
    kind: 'osmo_hlr',
    label: 'Temporary change of CS/PS access, reverted at its end',
    cards: imsiCard,
    run: async (s, p, keys) => {
      until(p);
      return asParams(await hlrOps.setAccess(s, { imsi: await imsiOf(p, keys), access: access(p) }));
    },
    revert: (p, result) => {
      const before = result.before as MobileAccess;
      return {
        operation: 'mobile.set_access',
        params: { imsi: p.imsi, iccid: p.iccid, cs: before.cs, ps: before.ps },
        dueAt: until(p),
      };
    },
  },
  'mobile.sim_swap': {
    kind: 'osmo_hlr',
    label: 'SIM replacement: the new card’s IMSI takes over the number',
    prepare: async (p, keys) => ({ ...p, card: await keys(str(p, 'newIccid')) }),
    cards: (p) =>
      [optStr(p, 'newIccid'), optStr(p, 'oldImsi') ? undefined : optStr(p, 'oldIccid')].filter(isStr),
    run: async (s, p, keys) => {
      const k = (p.card as Awaited<ReturnType<KeyReader>> | undefined) ?? (await keys(str(p, 'newIccid')));
      const oldImsi = optStr(p, 'oldImsi') ?? (await keys(str(p, 'oldIccid'))).imsi;
      return asParams(
        await hlrOps.simSwap(s, { oldImsi, newImsi: k.imsi, keys: k, msisdn: optStr(p, 'msisdn') ?? null }),
      );
    },
  },
  'mobile.status': {
    kind: 'osmo_hlr',
    label: 'Subscriber status in the HLR',
    query: true,
    run: async (s, p, keys) => asParams(await hlrOps.status(s, { imsi: await imsiOf(p, keys) })),
  },
  'fixed.activate': {
    kind: 'mml_switch',
    label: 'Create the line on its equipment number with its services and barring class',
    run: async (s, p) =>
      asParams(
        await switchOps.activate(s, {
          dn: str(p, 'dn'),
          en: str(p, 'en'),
          ...(optStr(p, 'category') ? { category: optStr(p, 'category') } : {}),
          services: strings(p, 'services'),
          barring: p.barring ? barring(p, 'barring') : 'NONE',
        }),
      ),
  },
  'fixed.deactivate': {
    kind: 'mml_switch',
    label: 'Remove the line from the switch (final meter index kept)',
    run: async (s, p) => asParams(await switchOps.deactivate(s, { dn: str(p, 'dn') })),
  },
  'fixed.move': {
    kind: 'mml_switch',
    label: 'Relocation: the line moves to another equipment number, same number, services and class',
    run: async (s, p) => asParams(await switchOps.move(s, { dn: str(p, 'dn'), en: str(p, 'en') })),
  },
  'fixed.services': {
    kind: 'mml_switch',
    label: 'Add or remove supplementary services',
    run: async (s, p) =>
      asParams(
        await switchOps.services(s, {
          dn: str(p, 'dn'),
          add: strings(p, 'add'),
          remove: strings(p, 'remove'),
        }),
      ),
  },
  'fixed.barring': {
    kind: 'mml_switch',
    label: 'Change the barring class',
    run: async (s, p) =>
      asParams(
        await switchOps.barring(s, {
          dn: str(p, 'dn'),
          barring: barring(p, 'barring'),
          clearLooser: p.clearTemporary === true,
        }),
      ),
  },
  'fixed.suspend': {
    kind: 'mml_switch',
    label: 'Suspension: the line is barred',
    run: async (s, p) => asParams(await switchOps.block(s, { dn: str(p, 'dn'), blocked: true })),
  },
  'fixed.restore': {
    kind: 'mml_switch',
    label: 'Restoration: the barring is lifted',
    run: async (s, p) => asParams(await switchOps.block(s, { dn: str(p, 'dn'), blocked: false })),
  },
  'fixed.temporary_access': {
    kind: 'mml_switch',
    label: 'Temporary authorisation (another barring class until a date), reverted at its end',
    run: async (s, p) =>
      asParams(
        await switchOps.temporaryAccess(s, {
          dn: str(p, 'dn'),
          barring: barring(p, 'barring'),
          until: until(p).toISOString(),
        }),
      ),
    revert: (p) => ({ operation: 'fixed.clear_temporary', params: { dn: p.dn }, dueAt: until(p) }),
  },
  'fixed.clear_temporary': {
    kind: 'mml_switch',
    label: 'End of a temporary authorisation',
    run: async (s, p) => asParams(await switchOps.clearTemporaryAccess(s, { dn: str(p, 'dn') })),
  },
  'fixed.status': {
    kind: 'mml_switch',
    label: 'Line status on the switch',
    query: true,
    run: async (s, p) => asParams(await switchOps.status(s, { dn: str(p, 'dn') })),
  },
  'fixed.meter': {
    kind: 'mml_switch',
    label: 'Meter index of the line',
    query: true,
    run: async (s, p) => asParams(await switchOps.meter(s, { dn: str(p, 'dn') })),
  },
};

export const ORDER_OPERATIONS = Object.entries(OPERATIONS)
  .filter(([, d]) => !d.query)
  .map(([name]) => name);
