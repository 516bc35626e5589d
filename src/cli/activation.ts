import { InvalidArgumentError, type Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { userInfo } from 'node:os';
import { createActivation, type ActivationModule } from '../modules/activation/index.js';
import { lineLimitations, LIMITATION_BARRING } from '../modules/billing/cycle.index.js';
import { fixedLineProfile } from '../modules/requests/index.js';
import { loadConfig } from '../config.js';
import { DomainError } from '../platform/errors.js';
import { openDatabase, textTable } from './database.js';

const say = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

const STATUSES = ['pending', 'running', 'done', 'refused', 'cancelled'];

const whole = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number above 0');
  return n;
};
const limit = (v: string) => {
  const n = whole(v);
  if (n > 500) throw new InvalidArgumentError('at most 500');
  return n;
};
const statusOrAll = (v: string) => {
  if (v !== 'all' && !STATUSES.includes(v))
    throw new InvalidArgumentError(`one of ${STATUSES.join(', ')} or all`);
  return v;
};

const instant = (v: string) => {
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime()))
    throw new InvalidArgumentError('an ISO 8601 date or time, e.g. 2026-11-27T08:00');
  return d;
};

const time = (iso: string | null) => (iso ? iso.replace('T', ' ').slice(0, 19) : null);

/**
 * The activation module on the command's database. No automaton runs here (`gpto start` or
 * `gpto worker --role automaton` carry out the orders) and no SIM key is read.
 */
async function withActivation<T>(fn: (a: ActivationModule) => Promise<T>): Promise<T> {
  const { db, close } = await openDatabase();
  const a = createActivation(db, {
    keys: () => Promise.reject(new Error('this command reads no SIM key')),
    // the audit compares and re-creates fixed lines with what their options give them, and what a
    // limitation for unpaid bills cuts, as gpto start's does
    lineProfile: fixedLineProfile,
    limitations: { lines: (dn) => lineLimitations(db, dn), barring: LIMITATION_BARRING },
    // opens the switches' passwords for the probe; without it a switch's login is refused
    secretKey: secretKeyIfAny(),
  });
  try {
    return await fn(a);
  } finally {
    // the journal is written every 200 ms: what a command sent (an audit's reads) must not be lost
    await a.journal.flush().catch(() => undefined);
    a.manager.close();
    await close();
  }
}

/** GPTO_SECRET_KEY (or the embedded data directory's key), if this shell has it. */
function secretKeyIfAny(): Buffer | undefined {
  try {
    return loadConfig().secretKey;
  } catch {
    return undefined;
  }
}

/** A refusal or a missing row: its message and exit code 1, no stack. */
async function run(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof DomainError) {
      process.stderr.write(`gpto activation: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

/** `gpto activation …`: the switching service's view of the automaton, from a shell. */
export function registerActivationCommands(program: Command): void {
  const act = program
    .command('activation')
    .description('network elements, activation orders, the command journal, replay');

  act
    .command('elements')
    .description(
      'the network elements with their open and refused orders, each probed from here (a connection and a harmless command: reachable and how fast)',
    )
    .option('--no-probe', 'do not connect to the elements')
    .action((opts: { probe: boolean }) =>
      run(() =>
        withActivation(async (a) => {
          await a.service.loadElements();
          const elements = await a.service.elements();
          const refused = await a.service.refusedSince(new Date(Date.now() - 24 * 3600_000));
          const rows = await Promise.all(
            elements.map(async (e) => {
              let reach = 'not probed';
              if (!e.enabled) reach = 'disabled';
              else if (opts.probe)
                reach = await a.manager.probe(e.code).then(
                  (p) => `reachable (${p.ms.toFixed(1)} ms)`,
                  (err: Error) => `UNREACHABLE: ${err.message}`,
                );
              return [
                e.code,
                e.kind,
                `${e.host}:${e.port}`,
                e.isDefault ? 'yes' : '',
                e.ratePerSecond > 0 ? `${e.ratePerSecond}/s` : 'unlimited',
                `${e.poolSize}×${e.pipeline}`,
                `${e.queue.pending ?? 0}/${e.queue.running ?? 0}`,
                refused.get(e.code) ?? 0,
                reach,
              ];
            }),
          );
          if (rows.length === 0) return say('no network element is declared');
          say(
            textTable(
              [
                'element',
                'kind',
                'address',
                'default',
                'throttle',
                'pool',
                'pending/running',
                'refused 24h',
                'from here',
              ],
              rows,
              80,
            ),
          );
          // what the automata saw: the last outage of each element that had one, and what is left to handle
          for (const e of elements) {
            const o = e.lastOutage;
            if (o)
              say(
                o.until
                  ? `${e.code}: last outage ${time(o.since)} → ${time(o.until)} (${Math.round((o.durationMs ?? 0) / 1000)} s)${o.error ? `: ${o.error}` : ''}${o.closedBy ? ` (ended by ${o.closedBy} at its start: the automaton that saw it had stopped${o.takenOver ? '; still down, carried on' : ''})` : ''}`
                  : `${e.code}: UNREACHABLE for the automaton ${o.seenBy ?? ''} since ${time(o.since)}${o.error ? `: ${o.error}` : ''}`,
              );
            if (e.toHandle > 0)
              say(
                `${e.code}: ${e.toHandle} refused order(s) to handle (gpto activation replay --element ${e.code})`,
              );
          }
          if (rows.some((r) => String(r[8]).startsWith('UNREACHABLE'))) process.exitCode = 2;
        }),
      ),
    );

  act
    .command('orders')
    .description(
      'activation orders, newest first (by default the refused ones: the switching service’s to-do)',
    )
    .option('--status <status>', `${STATUSES.join(' | ')} | all`, statusOrAll, 'refused')
    .option('--line <number>', 'one line’s orders')
    .option('--element <code>', 'one element’s orders')
    .option('--limit <n>', 'how many (at most 500)', limit, 50)
    .option(
      '--to-handle',
      'only refused orders left to handle (not replayed; a request’s: its step still in the switching basket)',
    )
    .action((opts: { status: string; line?: string; element?: string; limit: number; toHandle?: boolean }) =>
      run(() =>
        withActivation(async (a) => {
          const st = opts.status === 'all' ? undefined : opts.status;
          // an element nobody declared is a typo, not "no order": said, exit 1
          if (opts.element) await a.service.requireElement(opts.element.toUpperCase());
          const page = await a.service.orders(
            {
              ...(st ? { status: st } : {}),
              ...(opts.toHandle ? { toHandle: true } : {}),
              ...(opts.line ? { lineId: opts.line.replace(/[\s.+-]/g, '') } : {}),
              ...(opts.element ? { element: opts.element.toUpperCase() } : {}),
            },
            { limit: opts.limit },
          );
          if (page.items.length === 0) return say('no order matches');
          say(
            textTable(
              ['order', 'operation', 'line', 'element', 'status', 'attempts', 'created', 'error'],
              page.items.map((o) => [
                o.id,
                o.operation,
                o.lineId,
                o.element,
                o.replayedBy
                  ? `${o.status} → ${o.replayedBy}`
                  : o.dismissed
                    ? `${o.status} (set aside)`
                    : o.status,
                o.attempts,
                time(o.createdAt),
                o.error,
              ]),
            ),
          );
          if (page.nextCursor) say(`… more: --limit ${Math.min(500, opts.limit * 2)}`);
        }),
      ),
    );

  act
    .command('journal')
    .description(
      'the commands sent and their replies, newest first, for a line, a request, an element or an order',
    )
    .option('--line <number>', 'a line (directory number or MSISDN)')
    .option('--request <number>', 'a service request (its number or id)')
    .option('--element <code>', 'a network element')
    .option('--order <id>', 'an activation order', whole)
    .option('--limit <n>', 'how many commands (at most 500)', limit, 50)
    .action((opts: { line?: string; request?: string; element?: string; order?: number; limit: number }) =>
      run(() =>
        withActivation(async (a) => {
          const given = [opts.line, opts.request, opts.element, opts.order].filter((x) => x !== undefined);
          if (given.length !== 1) {
            process.stderr.write(
              'gpto activation journal: name one of --line, --request, --element or --order\n',
            );
            process.exitCode = 2;
            return;
          }
          let filter: Parameters<typeof a.service.journal>[0];
          if (opts.line) filter = { lineId: opts.line.replace(/[\s.+-]/g, '') };
          else if (opts.element) {
            await a.service.requireElement(opts.element.toUpperCase());
            filter = { element: opts.element.toUpperCase() };
          } else if (opts.order) filter = { orderId: opts.order };
          else {
            const instance = await a.service.requestInstance(opts.request!);
            if (instance === null) {
              process.stderr.write(`gpto activation journal: there is no service request ${opts.request}\n`);
              process.exitCode = 1;
              return;
            }
            filter = { instanceId: instance };
          }
          const page = await a.service.journal(filter, { limit: opts.limit });
          if (page.items.length === 0) return say('no command was sent');
          say(
            textTable(
              ['sent', 'order', 'element', 'line', 'command', 'reply', 'outcome', 'ms'],
              page.items.map((c) => [
                time(c.sentAt),
                c.orderId,
                c.element,
                c.lineId,
                c.command,
                c.reply,
                c.outcome,
                c.durationMs.toFixed(1),
              ]),
              48,
            ),
          );
        }),
      ),
    );

  act
    .command('replay [order]')
    .description(
      'replay a refused order as it was (once the network is put right): a new order the running automaton carries out; with --element, every refused order of that element left to handle (outside requests: their steps are retried from the switching basket or the activation screen)',
    )
    .option('--element <code>', 'replay every refused order of this element left to handle')
    .option(
      '--since <time>',
      'with --element: only orders refused from then on (ISO 8601, e.g. 2026-11-27T08:00)',
      instant,
    )
    .action((order: string | undefined, o: { element?: string; since?: Date }) =>
      run(() =>
        withActivation(async (a) => {
          const by = { userId: null, username: `cli:${userInfo().username}`, actor: 'switching' };
          const usage = (why: string) => {
            process.stderr.write(`gpto activation replay: ${why}\n`);
            process.exitCode = 2;
          };
          if ((order === undefined) === (o.element === undefined))
            return usage('name an order, or --element <code> for all its refused orders');
          if (order !== undefined && o.since) return usage('--since goes with --element');
          if (order === undefined) {
            const element = o.element!.toUpperCase();
            let total = 0;
            let inRequests = 0;
            for (;;) {
              const r = await a.service.replayRefused({ element, since: o.since }, by);
              total += r.replayed.length;
              inRequests = r.left.length;
              for (const x of r.replayed) say(`order ${x.replayOf} replayed as order ${x.id}`);
              if (!r.more) break;
            }
            say(
              `${total} refused order(s) of ${element} replayed: pending, the automaton of gpto start or gpto worker carries them out`,
            );
            if (inRequests)
              say(
                `${inRequests}${inRequests >= 500 ? ' or more' : ''} refused order(s) of requests left as they are: retry them from the switching basket (or the activation screen), which carries the request on`,
              );
            return;
          }
          const id = whole(order);
          const next = await a.service.replay(id, by);
          say(
            `order ${id} replayed as order ${next.id} (${next.operation} on ${next.lineId}, ${next.element}): pending, the automaton of gpto start or gpto worker carries it out`,
          );
        }),
      ),
    );

  act
    .command('audit <element>')
    .description(
      'network audit: the element’s lines against the live subscriptions and their technical files (present, number, port, suspended or not); with --repair, the orders that realign every difference the records settle are queued for the automaton of gpto start or gpto worker',
    )
    .option('--repair', 'queue the orders that realign the differences')
    .option('--show <n>', 'differences listed at the end (default 20)', limit, 20)
    .action((element: string, o: { repair?: boolean; show: number }) =>
      run(() =>
        withActivation(async (a) => {
          const code = element.toUpperCase();
          await a.service.loadElements();
          const by = { userId: null, username: `cli:${userInfo().username}`, actor: 'switching' };
          const total = await a.audit.estimate(code);
          const bar = new SingleBar(
            {
              format: `${code} |{bar}| {value}/{total} lines · {differences} difference(s)`,
              hideCursor: true,
              noTTYOutput: false,
              stopOnComplete: false,
            },
            Presets.shades_classic,
          );
          if (process.stdout.isTTY) bar.start(Math.max(total, 1), 0, { differences: 0 });
          const done = await a.audit.run(code, { repair: o.repair ?? false }, by, (p) =>
            bar.update(p.checked, { differences: p.differences }),
          );
          if (process.stdout.isTTY) bar.stop();
          if (done.status === 'failed') {
            process.stderr.write(
              `gpto activation audit: audit ${done.id} of ${code} failed: ${done.error ?? ''}\n`,
            );
            process.exitCode = 1;
            return;
          }
          say(
            `audit ${done.id} of ${code}: ${done.checked} line(s) checked, ${done.consistent} in line with the records, ${done.differences} difference(s)`,
          );
          if (done.warning) process.stderr.write(`gpto activation audit: warning: ${done.warning}\n`);
          const kinds = Object.entries(done.byKind);
          if (kinds.length)
            say(
              textTable(
                ['difference', 'lines'],
                kinds.map(([k, n]) => [k, n]),
              ),
            );
          const items = await a.audit.items(done.id, {}, { limit: o.show });
          if (items.items.length)
            say(
              textTable(
                ['line', 'difference', 'subscription', 'detail', 'orders'],
                items.items.map((i) => [
                  i.lineId,
                  i.kind,
                  i.subscription ?? '',
                  i.detail,
                  i.orderIds.join(' '),
                ]),
              ),
            );
          if (o.repair)
            say(
              `${done.repaired} difference(s) realigned by orders AUDIT-${done.id}: pending, the automaton of gpto start or gpto worker carries them out`,
            );
          else if (done.repairable)
            say(
              `gpto activation audit ${code} --repair queues the orders that realign ${done.repairable} of them`,
            );
          // exit code 2: differences left (with --repair: those only switching can settle)
          if (done.differences > done.repaired) process.exitCode = 2;
        }),
      ),
    );
}
