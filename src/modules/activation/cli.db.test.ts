import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../../../test/app.js';
import { SYSTEM } from '../../platform/events.js';
import { SwitchSimulator } from './switch-sim/simulator.js';

// `gpto activation …` on the database of DATABASE_URL, as an administrator runs it beside a live
// GPTo: elements (probed from the shell), refused orders, the journal, replay.

describe('gpto activation (CLI)', () => {
  let t: TestApp;
  const sim = new SwitchSimulator({ name: 'SWC', user: 'op', password: 'pw' });
  let refusedId = 0;
  let doneId = 0;

  // spawned, not spawnSync: the simulator lives in this process and must answer the probe
  const gpto = (...args: string[]) => gptoIn({ DATABASE_URL: t.tdb.url }, ...args);
  const gptoIn = (env: Record<string, string | undefined>, ...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'activation', ...args], {
        // the key that sealed the switch's password: the probe logs in with it
        env: { ...process.env, GPTO_SECRET_KEY: TEST_SECRET_KEY.toString('hex'), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });

  beforeAll(async () => {
    let port: number;
    [t, port] = await Promise.all([createTestApp(), sim.start()]);
    const s = t.app.activation.service;
    await s.upsertElement(
      {
        code: 'SWC',
        kind: 'mml_switch',
        name: 'CLI switch',
        host: '127.0.0.1',
        port,
        username: 'op',
        password: 'pw',
        isDefault: true,
      },
      SYSTEM,
    );
    // an element nobody listens for: the probe says so
    await s.upsertElement(
      { code: 'HLRX', kind: 'osmo_hlr', name: 'gone HLR', host: '127.0.0.1', port: 1, isDefault: true },
      SYSTEM,
    );
    doneId = (
      await s.order(
        { operation: 'fixed.activate', lineId: '338270001', params: { dn: '338270001', en: '05-01-001' } },
        SYSTEM,
      )
    ).id;
    refusedId = (
      await s.order(
        { operation: 'fixed.services', lineId: '338270002', params: { dn: '338270002', add: ['CW'] } },
        SYSTEM,
      )
    ).id;
    await t.app.activation.automaton.drain();
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await sim.stop();
  });

  it('says which database it cannot find or reach, without a stack trace, and creates none', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'gpto-cli-'));
    try {
      // a data directory where GPTo never ran: named, and left empty (no new database in it)
      const none = await gptoIn({ DATABASE_URL: undefined, GPTO_DATA_DIR: empty }, 'orders');
      expect(none.status).toBe(1);
      expect(none.stderr).toContain(`no GPTo database in ${empty}`);
      expect(readdirSync(empty)).toEqual([]);
      // a server that does not answer
      const down = await gptoIn({ DATABASE_URL: 'postgres://gpto:gpto@127.0.0.1:1/gpto' }, 'orders');
      expect(down.status).toBe(1);
      expect(down.stderr).toMatch(/^gpto: cannot reach the database \(ECONNREFUSED/);
      expect(down.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('elements: each with its orders, probed from the shell; an unreachable one fails the command', async () => {
    // what the automaton of gpto start journaled when the HLR went away
    await t.tdb.db
      .insertInto('event')
      .values({
        entity_type: 'network_element',
        entity_id: 'HLRX',
        kind: 'activation.element_unreachable',
        actor: 'activation_automaton',
        payload: JSON.stringify({ error: 'connect ECONNREFUSED 127.0.0.1:1', seenBy: 'node1:42' }),
      })
      .execute();
    const r = await gpto('elements');
    expect(r.status, r.stderr).toBe(2);
    const swc = r.stdout.split('\n').find((l) => l.startsWith('SWC'));
    expect(swc).toMatch(
      /mml_switch\s+127\.0\.0\.1:\d+\s+yes\s+unlimited\s+2×4\s+0\/0\s+1\s+reachable \([0-9.]+ ms\)/,
    );
    expect(r.stdout.split('\n').find((l) => l.startsWith('HLRX'))).toMatch(/UNREACHABLE: .*connect/);
    expect(r.stdout).toMatch(/^HLRX: UNREACHABLE for the automaton node1:42 since .*: connect ECONNREFUSED/m);
    expect(r.stdout).toContain('SWC: 1 refused order(s) to handle (gpto activation replay --element SWC)');
    const quiet = await gpto('elements', '--no-probe');
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(/^SWC .* not probed$/m);
  });

  it('orders: the refused ones by default, any status on demand; a bad status is named', async () => {
    const r = await gpto('orders');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3); // header, rule, the refused order
    expect(lines[2]).toMatch(
      new RegExp(`^${refusedId}\\s+fixed\\.services\\s+338270002\\s+SWC\\s+refused\\s+1 .*DNUNK`),
    );
    const all = await gpto('orders', '--status', 'all', '--line', '33 82 70 001');
    expect(all.stdout).toMatch(new RegExp(`^${doneId}\\s+fixed\\.activate\\s+338270001\\s+SWC\\s+done`, 'm'));
    const bad = await gpto('orders', '--status', 'lost');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--status.*one of pending, running, done, refused, cancelled or all/);
    // an element nobody declared is a typo: said, exit 1 (was "no order matches", exit 0)
    for (const cmd of ['orders', 'journal']) {
      const typo = await gpto(cmd, '--element', 'SWQ');
      expect(typo.status, cmd).toBe(1);
      expect(typo.stderr).toContain('network element SWQ does not exist');
    }
  });

  it('journal: by order, line or element, newest first; exactly one filter', async () => {
    const byOrder = await gpto('journal', '--order', String(refusedId));
    expect(byOrder.status, byOrder.stderr).toBe(0);
    expect(byOrder.stdout).toMatch(/ADD-SERV DN=338270002,SERV=CW\s+DNUNK no line .*refused/);
    const byLine = await gpto('journal', '--line', '338270001');
    expect(byLine.stdout).toMatch(/CRT-LINE DN=338270001/);
    expect(byLine.stdout).not.toContain('338270002');
    const byElement = await gpto('journal', '--element', 'swc', '--limit', '1');
    expect(byElement.stdout.trim().split('\n')).toHaveLength(3);
    const none = await gpto('journal');
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('name one of --line, --request, --element or --order');
    const noRequest = await gpto('journal', '--request', 'DS999999');
    expect(noRequest.status).toBe(1);
    expect(noRequest.stderr).toContain('there is no service request DS999999');
  });

  it('replay: a refused order becomes a new pending order the automaton carries out; a done one is refused', async () => {
    // put right on the network first
    await t.app.activation.service.order(
      { operation: 'fixed.activate', lineId: '338270002', params: { dn: '338270002', en: '05-01-002' } },
      SYSTEM,
    );
    await t.app.activation.automaton.drain();
    const r = await gpto('replay', String(refusedId));
    expect(r.status, r.stderr).toBe(0);
    const next = Number(new RegExp(`order ${refusedId} replayed as order (\\d+)`).exec(r.stdout)?.[1]);
    const o = await t.app.activation.service.get(next);
    expect(o).toMatchObject({ status: 'pending', replayOf: refusedId, operation: 'fixed.services' });
    expect(o.createdBy).toMatch(/^cli:/);
    await t.app.activation.automaton.drain();
    expect((await t.app.activation.service.get(next)).status).toBe('done');
    expect(sim.lines.get('338270002')?.services).toContain('CW');
    const again = await gpto('replay', String(doneId));
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`order ${doneId} is done; only a refused order is replayed`);
    const twice = await gpto('replay', String(refusedId));
    expect(twice.status).toBe(1);
    expect(twice.stderr).toContain(`order ${refusedId} was already replayed as order ${next}`);
    // still among the refused orders, marked with its replay; no longer among those to handle
    expect((await gpto('orders')).stdout).toMatch(new RegExp(`^${refusedId}\\s.*refused → ${next}\\s`, 'm'));
    expect((await gpto('orders', '--to-handle')).stdout).toContain('no order matches');
  });

  it('replay --element: every refused order of the element not replayed yet, and what is left to the basket', async () => {
    const s = t.app.activation.service;
    const refused = await s.order(
      { operation: 'fixed.services', lineId: '338270003', params: { dn: '338270003', add: ['CW'] } },
      SYSTEM,
    );
    await t.app.activation.automaton.drain();
    await s.order(
      { operation: 'fixed.activate', lineId: '338270003', params: { dn: '338270003', en: '05-01-003' } },
      SYSTEM,
    );
    await t.app.activation.automaton.drain();
    const r = await gpto('replay', '--element', 'swc', '--since', '2020-01-01');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`order ${refused.id} replayed as order \\d+`));
    expect(r.stdout).toMatch(/\d refused order\(s\) of SWC replayed/);
    // replayed already (by the test before, or just now): nothing is replayed twice
    const none = await gpto('replay', '--element', 'SWC');
    expect(none.stdout).toContain('0 refused order(s) of SWC replayed');
    await t.app.activation.automaton.drain();
    expect(sim.lines.get('338270003')?.services).toContain('CW');
  });

  it('audit: the switch against the records, its commands journaled before the command ends', async () => {
    const since = new Date();
    // no fixed subscription in these records: every line on the switch is unknown to them
    const r = await gpto('audit', 'SWC');
    expect(r.status, r.stderr).toBe(2); // differences left
    expect(r.stdout).toContain(
      `0 line(s) checked, 0 in line with the records, ${sim.lines.size} difference(s)`,
    );
    expect(r.stdout).toContain('unknown_on_element');
    // the listing the CLI sent is in the journal (written every 200 ms: flushed at the end)
    const sent = await t.tdb.db
      .selectFrom('act_command')
      .select(['command', 'outcome'])
      .where('element_code', '=', 'SWC')
      .where('sent_at', '>=', since)
      .execute();
    expect(sent).toEqual([{ command: 'LST-LINE COUNT=500,DETAIL=YES', outcome: 'ok' }]);
  });
});
