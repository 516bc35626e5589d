import { existsSync } from 'node:fs';
import path from 'node:path';
import { SYSTEM } from '../../platform/events.js';
import type { ActivationModule } from './index.js';
import { SwitchSimulator } from './switch-sim/simulator.js';
import { OSMO_HLR_BIN, osmoHlrAvailable, startOsmoHlr, type OsmoHlr } from './testing/osmo-hlr.js';

/** The demo plant's exchanges (inventory switch codes) and the simulated switch element of each. */
export const LOCAL_SWITCHES = [
  { code: 'SIM1', exchanges: ['DKR-E10', 'THS-E10'] },
  { code: 'SIM2', exchanges: ['GYF-5ESS'] },
] as const satisfies readonly { code: string; exchanges: string[] }[];

/**
 * `gpto start` on one machine: the switch simulator and, where the Debian package is installed, an
 * osmo-hlr (config and database in `<dataDir>/osmo-hlr`, on 127.0.0.42 so a system osmo-hlr on the
 * default address does not clash), registered as the default elements when none is configured, then
 * the automaton — so a request placed through the API or UI really activates its line.
 * GPTO_LOCAL_ELEMENTS=0 turns the local elements off (real network elements configured instead).
 */
export async function startLocalElements(
  activation: ActivationModule,
  dataDir: string,
  say: (line: string) => void,
  /** Tests: another HLR address, no switch simulators. */
  local: { hlrHost?: string; switches?: boolean } = {},
): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  // elements that start empty (a new simulator state file, a new HLR database): aligned with the
  // operator's records once the automaton runs, as an operator does with a new or restored element
  const fresh: string[] = [];
  if (process.env.GPTO_LOCAL_ELEMENTS !== '0') {
    const elements = await activation.service.elements();
    // ours unless the operator made an element of their own the default of its kind (making
    // SIM2 the default switch still runs the simulators)
    const localCodes = new Set<string>([...LOCAL_SWITCHES.map((x) => x.code), 'HLR1']);
    const ours = (kind: string) =>
      !elements.some((e) => e.kind === kind && e.isDefault && !localCodes.has(e.code));
    // an element registered before keeps what the administrator set (name, throttle, default,
    // exchanges, enabled…): a start only puts its address right (PUT keeps what it leaves out)
    const known = new Map(elements.map((e) => [e.code, e]));
    const settings = <T extends object>(code: string, first: T): Partial<T> => (known.has(code) ? {} : first);
    if (local.switches !== false && ours('mml_switch')) {
      // one simulated switch per exchange of the demo plant (src/demo/plant.ts): SIM1 is the
      // default and drives the two E10 exchanges, SIM2 the 5ESS of Grand-Yoff
      const base = Number(process.env.GPTO_SWITCH_SIM_PORT ?? 4710);
      const password = process.env.GPTO_SWITCH_PASSWORD ?? 'gpto';
      for (const [i, x] of LOCAL_SWITCHES.entries()) {
        const port = base + i;
        // the simulator keeps its lines in the data directory across restarts, as an exchange does
        const stateFile = path.join(dataDir, 'switch-sim', `${x.code}.json`);
        const isNew = !existsSync(stateFile);
        const sim = new SwitchSimulator({
          name: x.code,
          port,
          user: 'gpto',
          password,
          trafficPerSecond: 1,
          stateFile,
        });
        try {
          await sim.start(port);
          stops.push(() => sim.stop());
          await activation.service.upsertElement(
            {
              code: x.code,
              kind: 'mml_switch',
              name: known.get(x.code)?.name ?? `Switch simulator (${x.exchanges.join(', ')})`,
              host: '127.0.0.1',
              port,
              // the simulator's own login, as this start gives it (GPTO_SWITCH_PASSWORD)
              username: 'gpto',
              password,
              ...settings(x.code, {
                isDefault: i === 0,
                // fast enough to load a new simulator with the demo's lines in seconds (its alignment)
                ratePerSecond: 2000,
                exchanges: [...x.exchanges],
              }),
            },
            SYSTEM,
          );
          if (isNew) fresh.push(x.code);
          say(
            `  Switch simulator ${x.code} on 127.0.0.1:${port} for ${x.exchanges.join(', ')} (gpto switch-sim protocol, ${sim.lines.size} lines)`,
          );
        } catch (err) {
          say(`  Switch simulator ${x.code} not started: ${(err as Error).message}`);
        }
      }
    }
    if (ours('osmo_hlr') && !osmoHlrAvailable())
      say(
        `  osmo-hlr not installed (${OSMO_HLR_BIN}): with no HLR configured, mobile activation steps go to the switching basket`,
      );
    if (ours('osmo_hlr') && osmoHlrAvailable()) {
      let hlr: OsmoHlr | null = null;
      try {
        const dir = path.join(dataDir, 'osmo-hlr');
        const isNew = !existsSync(path.join(dir, 'hlr.db'));
        const log = path.join(dir, 'osmo-hlr.log');
        let stopping = false;
        // osmo-hlr dying under GPTo (a crash, a kill): said, and started again on the same address
        // and database, retried with a growing delay; meanwhile the element's circuit is open and
        // its orders wait, as for any element down
        const revive = async (delay: number): Promise<void> => {
          await new Promise((r) => setTimeout(r, delay).unref());
          if (stopping) return;
          try {
            await h.start();
            say(`  osmo-hlr HLR1 started again on ${h.host}:${h.port}`);
          } catch (err) {
            say(
              `  osmo-hlr HLR1 did not start again (${(err as Error).message}): next try in ${Math.min(delay * 2, 30_000) / 1000} s`,
            );
            return revive(Math.min(delay * 2, 30_000));
          }
        };
        hlr = await startOsmoHlr({
          dir,
          host: local.hlrHost ?? '127.0.0.42',
          log,
          onExit: (code, signal) => {
            if (stopping) return;
            say(
              `  osmo-hlr HLR1 exited (${signal ?? `code ${code}`}): starting it again; its messages are in ${log}`,
            );
            void revive(1000);
          },
        });
        const h = hlr;
        stops.push(() => {
          stopping = true;
          return h.stop();
        });
        await activation.service.upsertElement(
          {
            code: 'HLR1',
            kind: 'osmo_hlr',
            name: known.get('HLR1')?.name ?? 'osmo-hlr',
            host: h.host,
            port: h.port,
            ...settings('HLR1', { isDefault: true, ratePerSecond: 0 }),
          },
          SYSTEM,
        );
        if (isNew) fresh.push('HLR1');
        say(`  osmo-hlr HLR1 on ${h.host}:${h.port} (CTRL)`);
      } catch (err) {
        say(`  osmo-hlr not started: ${(err as Error).message}`);
      }
    }
  }
  // GPTO_AUTOMATON=0: the automaton runs elsewhere (`gpto worker --role automaton`); the elements
  // are still loaded here for the on-demand queries
  if (process.env.GPTO_AUTOMATON === '0') {
    await activation.service.loadElements();
    say('  Activation automaton not run here (GPTO_AUTOMATON=0): run `gpto worker --role automaton`');
  } else await activation.start();
  // A new element is aligned with the records: the audit queues the orders that put the live lines
  // on it (journaled as AUDIT-<id>); skipped where no automaton runs here to carry them out.
  if (process.env.GPTO_AUTOMATON !== '0')
    for (const code of fresh) {
      try {
        const a = await activation.audit.start(code, { repair: true }, SYSTEM);
        say(
          `  ${code} is new: aligning it with the operator's records (network audit ${a.id}, on /activation)`,
        );
      } catch (err) {
        say(`  ${code}: alignment with the records not started: ${(err as Error).message}`);
      }
    }
  return async () => {
    // the local elements first, synchronously (a process exit may follow at once), then the automaton
    for (const s of stops.reverse()) void s().catch(() => undefined);
    await activation.stop();
  };
}
