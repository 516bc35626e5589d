/**
 * What a service request asks of the network elements, worked out at intake from the line and the
 * product, and kept in the request's data as `network`: the scenarios' activation steps take their
 * parameters from it (see default-scenarios.ts), the automaton carries them out.
 *
 * An option or an access change the elements cannot express (osmo-hlr has no supplementary
 * services nor barring classes) carries `manual`: the step goes to switching with that reason.
 */

export interface NetworkFacts {
  /** `mobile` or `fixed`: which element serves the line (HLR or switch). */
  lineKind: 'mobile' | 'fixed';
  /** The line's directory number (an option's: its line's). */
  dn: string | null;
  /** The line's SIM card (mobile). */
  sim: string | null;
  /** A new fixed line's barring class on the switch. */
  barring?: string;
  /** Option added or removed: services to add/remove on the switch, or its barring class. */
  option?: { add?: string[]; remove?: string[]; barring?: string; manual?: string };
  /** Temporary access change: the barring class (fixed) or CS/PS access (mobile) until `until`. */
  access?: { barring?: string; cs?: boolean; ps?: boolean; until: string; manual?: string };
}

/**
 * How the catalogue's options show on a switch: supplementary services added while the option is
 * held, or the barring class it gives the line (a new fixed line has international calls barred
 * until it takes the international access option). Options not listed have no network effect.
 */
const OPTION_EFFECTS: Record<string, { services?: string[]; barring?: string; without?: string }> = {
  'OPT-RENVOI': { services: ['CFU', 'CFB', 'CFNR'] },
  'OPT-HOTLINE': { services: ['HOTLINE'] },
  'OPT-INTER': { barring: 'NONE', without: 'INTL' },
  'OPT-RESTR': { barring: 'NATL', without: 'INTL' },
};
const NO_NETWORK_EFFECT = new Set(['OPT-ANNUAIRE']);

/** The barring class a new fixed line gets: international calls need the OPT-INTER option. */
export const NEW_FIXED_LINE_BARRING = 'INTL';

/**
 * What a fixed line with these live options holds on its switch: the barring class (a new line's,
 * unless an option sets another; the later option wins) and the supplementary services. The
 * network audit compares the switch with it and re-creates a lost line with it.
 */
export function fixedLineProfile(optionCodes: string[]): { barring: string; services: string[] } {
  let barring = NEW_FIXED_LINE_BARRING;
  const services = new Set<string>();
  for (const code of optionCodes) {
    const e = OPTION_EFFECTS[code];
    if (e?.barring) barring = e.barring;
    for (const x of e?.services ?? []) services.add(x);
  }
  return { barring, services: [...services].sort() };
}

/** Access changes by name: the switch's barring class, the HLR's CS/PS access. */
const ACCESS_CHANGES: Record<string, { barring?: string; cs?: boolean; ps?: boolean }> = {
  bar_international: { barring: 'INTL' },
  bar_national: { barring: 'NATL' },
  bar_outgoing: { barring: 'OUTG' },
  bar_all: { barring: 'ALL', cs: false, ps: false },
  allow_international: { barring: 'NONE' },
  bar_data: { cs: true, ps: false },
  allow_all: { barring: 'NONE', cs: true, ps: true },
};

/** The temporary access changes a request may ask for (the counter's list; `accessChange.change`). */
export const ACCESS_CHANGE_CODES: readonly string[] = Object.keys(ACCESS_CHANGES);

/**
 * The changes that mean something for a line of this kind: a fixed line has barring classes only
 * (no data to cut); a mobile line takes them all — those the HLR cannot express (its CS/PS access
 * only: the barring of some destinations) go to switching, who set them on the MSC by hand.
 */
export function accessChangesFor(kind: 'mobile' | 'fixed'): string[] {
  return Object.entries(ACCESS_CHANGES)
    .filter(([, e]) => kind === 'mobile' || e.barring !== undefined)
    .map(([code]) => code);
}

export function lineKindOfProduct(productKind: string | undefined): 'mobile' | 'fixed' {
  return productKind?.startsWith('mobile') ? 'mobile' : 'fixed';
}

function optionEffect(
  code: string,
  kind: 'mobile' | 'fixed',
  adding: boolean,
): NonNullable<NetworkFacts['option']> {
  if (NO_NETWORK_EFFECT.has(code)) return {};
  const e = OPTION_EFFECTS[code];
  if (!e) return { manual: `option ${code} has no known effect on the network elements: set it by hand` };
  if (kind === 'mobile')
    return {
      manual: `osmo-hlr holds no supplementary services nor barring classes: set option ${code} by hand`,
    };
  if (e.barring) return { barring: adding ? e.barring : (e.without ?? 'NONE') };
  return adding ? { add: e.services ?? [] } : { remove: e.services ?? [] };
}

function accessEffect(
  change: string,
  until: string,
  kind: 'mobile' | 'fixed',
): NonNullable<NetworkFacts['access']> {
  const e = ACCESS_CHANGES[change];
  if (kind === 'fixed' && e?.barring) return { barring: e.barring, until };
  if (kind === 'mobile' && e?.cs !== undefined && e.ps !== undefined) return { cs: e.cs, ps: e.ps, until };
  return {
    until,
    manual: `the access change "${change}" is not something the ${kind === 'mobile' ? 'HLR (CS/PS access only)' : 'switch'} can apply: do it by hand`,
  };
}

/** The `network` facts of a request, from what intake knows. */
export function networkFacts(input: {
  kind: string;
  productCode?: string;
  productKind?: string;
  line?: { number: string | null; sim: string | null; productKind: string; productCode: string };
  /** For options: the line the option is on. */
  parentLine?: { number: string | null; productKind: string };
  accessChange?: { change: string; until: string };
}): NetworkFacts {
  const onLine = input.parentLine ?? input.line;
  const lineKind = lineKindOfProduct(onLine?.productKind ?? input.productKind);
  const facts: NetworkFacts = {
    lineKind,
    dn: onLine?.number ?? null,
    sim: input.line?.sim ?? null,
  };
  if (input.kind === 'new_line' && lineKind === 'fixed') facts.barring = NEW_FIXED_LINE_BARRING;
  if (input.kind === 'add_option' && input.productCode)
    facts.option = optionEffect(input.productCode, lineKind, true);
  if (input.kind === 'remove_option' && input.line)
    facts.option = optionEffect(input.line.productCode, lineKind, false);
  if (input.kind === 'access_change' && input.accessChange)
    facts.access = accessEffect(input.accessChange.change, input.accessChange.until, lineKind);
  return facts;
}
