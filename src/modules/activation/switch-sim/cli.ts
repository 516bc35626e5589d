import type { Command } from 'commander';
import { SwitchSimulator } from './simulator.js';

/** `gpto switch-sim`: runs the fixed-line switch simulator in the foreground until Ctrl-C. */
export function registerSwitchSimCommand(program: Command): void {
  program
    .command('switch-sim')
    .description('run the fixed-line switch simulator (MML-style protocol over TCP, docs/switch-protocol.md)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port', '4710')
    .option('--name <name>', 'switch name shown in the greeting', 'SIM1')
    .option('--user <user>', 'login user', process.env.GPTO_SWITCH_USER ?? 'gpto')
    .option('--password <password>', 'login password', process.env.GPTO_SWITCH_PASSWORD ?? 'gpto')
    .option('--traffic <callsPerSecond>', 'simulated calls per second (meters advance)', '0')
    .option(
      '--response-ms <ms>',
      "the exchange's time per command: a session's commands one after the other, each answered that long after the previous one",
      '0',
    )
    .action(
      async (opts: {
        host: string;
        port: string;
        name: string;
        user: string;
        password: string;
        traffic: string;
        responseMs: string;
      }) => {
        const sim = new SwitchSimulator({
          name: opts.name,
          host: opts.host,
          user: opts.user,
          password: opts.password,
          trafficPerSecond: Number(opts.traffic) || 0,
          responseMs: Math.max(0, Number(opts.responseMs) || 0),
        });
        const port = await sim.start(Number(opts.port));
        process.stdout.write(`switch simulator ${opts.name} listening on ${opts.host}:${port}\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await sim.stop();
      },
    );
}
