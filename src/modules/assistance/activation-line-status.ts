import type { ActivationModule } from '../activation/index.js';
import type { LineState, LineStatus, LineStatusSource } from './line-status.js';

type Query = ActivationModule['service']['query'];

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
export function activationLineStatus(query: Query): LineStatusSource {
  return {
    async query(line): Promise<LineStatus> {
      const at = new Date().toISOString();
      const mobile = line.productKind.startsWith('mobile');
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
            };
          const r = (await query('mobile.status', { imsi: line.imsi })) as {
            exists?: boolean;
            access?: { cs?: boolean; ps?: boolean } | null;
          };
          const state: LineState = !r.exists ? 'not_on_switch' : r.access?.cs === false ? 'barred' : 'idle';
          return { available: true, state, meterIndex: null, source: 'hlr', detail: null, at };
        }
        const r = (await query('fixed.status', { dn: line.directoryNumber })) as {
          exists?: boolean;
          status?: string | null;
          meter?: number | null;
        };
        const state: LineState = !r.exists ? 'not_on_switch' : (FIXED_STATES[r.status ?? ''] ?? 'unknown');
        return {
          available: true,
          state,
          meterIndex: typeof r.meter === 'number' ? r.meter : null,
          source: 'switch',
          detail: null,
          at,
        };
      } catch (err) {
        return {
          available: false,
          state: 'unknown',
          meterIndex: null,
          source: mobile ? 'hlr' : 'switch',
          detail: err instanceof Error ? err.message : String(err),
          at,
        };
      }
    },
  };
}
