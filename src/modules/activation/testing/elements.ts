import { SYSTEM } from '../../../platform/events.js';
import { directSession } from '../drivers/direct-session.js';
import { HlrLink, hlrOps, type MobileStatus } from '../drivers/hlr.driver.js';
import type { ActivationModule } from '../index.js';
import { SwitchSimulator } from '../switch-sim/simulator.js';
import { startOsmoHlr, type OsmoHlr } from './osmo-hlr.js';

/**
 * The network of a test database: a real osmo-hlr (own loopback address, own database) and the
 * switch simulator, registered as the default elements `HLR1` and `SW1`, so that scenarios' activation
 * steps really reach them. Tests read the elements back (`subscriber`, `line`) to check what the
 * automaton did. Callers skip or fail first when osmo-hlr is missing (`osmoHlrSuiteName`).
 */
export interface TestElements {
  hlr: OsmoHlr;
  sim: SwitchSimulator;
  /** The subscriber as osmo-hlr holds it, read over CTRL (never keys). */
  subscriber(imsi: string): Promise<MobileStatus>;
  /** The line as the switch simulator holds it, with its status now. */
  line(
    dn: string,
  ):
    | { en: string; status: string; barring: string; tmpBarring: string | null; services: string[] }
    | undefined;
  close(): Promise<void>;
}

/** Registers a switch simulator listening on 127.0.0.1:`port` as the default switch element `code`. */
export async function registerSwitch(
  activation: ActivationModule,
  code: string,
  port: number,
): Promise<void> {
  await activation.service.upsertElement(
    {
      code,
      kind: 'mml_switch',
      name: 'Switch simulator',
      host: '127.0.0.1',
      port,
      username: 'gpto',
      password: 'gpto',
      isDefault: true,
    },
    SYSTEM,
  );
}

export async function startTestElements(activation: ActivationModule): Promise<TestElements> {
  const hlr = await startOsmoHlr();
  const sim = new SwitchSimulator({ name: 'SW1' });
  const port = await sim.start();
  const link = new HlrLink({ host: hlr.host });
  const s = activation.service;
  await s.upsertElement(
    { code: 'HLR1', kind: 'osmo_hlr', name: 'osmo-hlr', host: hlr.host, port: hlr.port, isDefault: true },
    SYSTEM,
  );
  await registerSwitch(activation, 'SW1', port);
  return {
    hlr,
    sim,
    subscriber: (imsi) => hlrOps.status(directSession(link), { imsi }),
    line: (dn) => {
      const l = sim.lines.get(dn);
      if (!l) return undefined;
      return {
        en: l.en,
        status: sim.status(l),
        barring: l.barring,
        tmpBarring: l.tmpBarring,
        services: [...l.services],
      };
    },
    close: async () => {
      link.close();
      await activation.stop();
      await sim.stop();
      await hlr.dispose();
    },
  };
}
