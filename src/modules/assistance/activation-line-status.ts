import type { ActivationModule } from '../activation/index.js';
import type { LineAccess, LineState, LineStatus, LineStatusSource } from './line-status.js';

type Query = ActivationModule['service']['query'];

/** What the records say holds a line's access (activation's temporary changes, billing's limitation). */
export interface AccessRecords {
  temporary: (dn: string) => Promise<LineAccess['temporary']>;
  limitation: (dn: string) => Promise<LineAccess['limitation']>;
}

const FIXED_STATES: Record<string, LineState> = {
  idle: 'idle',
  busy: 'busy',
  out_of_order: 'out_of_service',
  barred: 'barred',
};

/**
 * The line status and meter index from the activation automaton's on-demand queries: the switch
 * (DSP-LINE) for fixed lines, the HLR for mobile ones (by IMSI, so no SIM secret is read). An
 * element that is missing, down or refuses gives an unavailable status saying why, never an error:
 * the consultation and the fault diagnosis go on without it.
 */
export function activationLineStatus(query: Query, records?: AccessRecords): LineStatusSource {
  return {
    async query(line): Promise<LineStatus> {
      const at = new Date().toISOString();
      const mobile = line.productKind.startsWith('mobile');
      // read beside the element's answer: the records' side of the line's access
      const dn = line.directoryNumber;
      const held = records
        ? Promise.all([
            line.held?.temporary === false ? [] : records.temporary(dn),
            line.held?.limitation === false ? null : records.limitation(dn),
          ])
        : null;
      held?.catch(() => undefined);
      const access = async (a: Omit<LineAccess, 'temporary' | 'limitation'>) => {
        if (!held) return {};
        try {
          const [temporary, limitation] = await held;
          return { access: { ...a, temporary, limitation } };
        } catch {
          return {}; // the element's answer is shown without them
        }
      };
      try {
        if (mobile) {
          if (!line.imsi)
            return {
              available: false,
              state: 'unknown',
              meterIndex: null,
              source: 'hlr',
              detail: 'no SIM card (IMSI) on the line',
              at,
              ...(await access({ voice: null, data: null, barring: null, effectiveBarring: null })),
            };
          const r = (await query('mobile.status', { imsi: line.imsi })) as {
            exists?: boolean;
            access?: { cs?: boolean; ps?: boolean } | null;
          };
          // the HLR knows the subscriber and its access, not whether the phone is in a call
          const state: LineState = !r.exists
            ? 'not_on_switch'
            : r.access?.cs === false
              ? 'barred'
              : 'in_service';
          return {
            available: true,
            state,
            meterIndex: null,
            source: 'hlr',
            detail: null,
            at,
            ...(await access({
              voice: r.exists ? (r.access?.cs ?? null) : null,
              data: r.exists ? (r.access?.ps ?? null) : null,
              barring: null,
              effectiveBarring: null,
            })),
          };
        }
        const r = (await query('fixed.status', { dn: line.directoryNumber })) as {
          exists?: boolean;
          status?: string | null;
          meter?: number | null;
          barring?: string | null;
          effectiveBarring?: string | null;
        };
        const state: LineState = !r.exists ? 'not_on_switch' : (FIXED_STATES[r.status ?? ''] ?? 'unknown');
        return {
          available: true,
          state,
          meterIndex: typeof r.meter === 'number' ? r.meter : null,
          source: 'switch',
          detail: null,
          at,
          ...(await access({
            voice: null,
            data: null,
            barring: r.barring ?? null,
            effectiveBarring: r.effectiveBarring ?? r.barring ?? null,
          })),
        };
      } catch (err) {
        return {
          available: false,
          state: 'unknown',
          meterIndex: null,
          source: mobile ? 'hlr' : 'switch',
          detail: err instanceof Error ? err.message : String(err),
          at,
          // the element is out of reach: what the records hold still tells the agent why
          ...(await access({ voice: null, data: null, barring: null, effectiveBarring: null })),
        };
      }
    },
  };
}
