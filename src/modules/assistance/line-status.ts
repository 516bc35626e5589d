/**
 * Where live line status and the meter index come from. The activation automaton answers these
 * "information requests" (seed: état de la ligne, index du compteur) from the switch or the HLR;
 * until its module exposes the query, assistance depends only on this small interface and the app
 * plugs the automaton in (`AssistanceModule.setLineStatusSource`).
 */

/** `in_service`: a mobile line its HLR knows with voice open (the HLR cannot tell idle from busy). */
export type LineState =
  'idle' | 'busy' | 'in_service' | 'out_of_service' | 'barred' | 'not_on_switch' | 'unknown';

/**
 * What the line may do on the network now — as the element has it, and what in the records holds it
 * so — for the agent on the phone ("I have no data"): a limitation for unpaid bills, a temporary
 * change of access in force.
 */
export interface LineAccess {
  /** Mobile: voice and SMS (CS) and data (PS) as the HLR has them; null on a fixed line. */
  voice: boolean | null;
  data: boolean | null;
  /** Fixed: the permanent barring class, and the one in force (a temporary authorisation's). */
  barring: string | null;
  effectiveBarring: string | null;
  /** The temporary changes of access in force (the records'), each reverted at its `until`. */
  temporary: { orderId: number; until: string; voice?: boolean; data?: boolean; barring?: string }[];
  /** A limitation for unpaid bills: in force, or being put on or lifted; null when none. */
  limitation: 'limited' | 'changing' | null;
}

export interface LineStatus {
  /** False when no element could be asked (no source wired, element down): the rest is then empty. */
  available: boolean;
  state: LineState;
  /** Charge-pulse meter of a fixed line, when the switch reports one. */
  meterIndex: number | null;
  /** Which element answered (switch code, HLR), or why none did. */
  source: string;
  detail: string | null;
  at: string;
  /** What the line may do, and why (when the source knows it). */
  access?: LineAccess;
}

export interface LineRef {
  directoryNumber: string;
  /** fixed_wired | fixed_radio | mobile_* (the product kind). */
  productKind: string;
  equipmentNumber: string | null;
  iccid: string | null;
  imsi: string | null;
  /**
   * What the caller's own read found held in the records (the consultation's one statement): only
   * those are read in detail. Absent: the source reads both.
   */
  held?: { temporary: boolean; limitation: boolean };
}

export interface LineStatusSource {
  query(line: LineRef): Promise<LineStatus>;
}

/** The source used when none is wired: it says so instead of pretending the line is fine. */
export const NO_LINE_STATUS: LineStatusSource = {
  async query(): Promise<LineStatus> {
    return {
      available: false,
      state: 'unknown',
      meterIndex: null,
      source: 'none',
      detail: 'no activation automaton is connected to this GPTo',
      at: new Date().toISOString(),
    };
  },
};

/** Whether a status says the line itself is faulty at the exchange (decides the first test). */
export function faultyAtSwitch(s: LineStatus): boolean {
  return s.available && (s.state === 'out_of_service' || s.state === 'not_on_switch');
}
