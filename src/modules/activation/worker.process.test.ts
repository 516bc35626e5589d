import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../../../test/app.js';
import { SYSTEM } from '../../platform/events.js';
import type { ScenarioDef } from '../workflow/index.js';
import { directSession } from './drivers/direct-session.js';
import { HlrLink, hlrOps } from './drivers/hlr.driver.js';
import { activationSteps } from './index.js';
import { SwitchSimulator } from './switch-sim/simulator.js';
import { cardsCsv, makeCards } from './testing/fixtures.js';
import { registerSwitch } from './testing/elements.js';
import { osmoHlrSuiteName, startOsmoHlr, type OsmoHlr } from './testing/osmo-hlr.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const suite = osmoHlrSuiteName('gpto worker --role automaton: the automaton as a process of its own');

const act = activationSteps('activate', 'mobile.activate', ['done']);
const scenario: ScenarioDef = {
  code: 'act_worker_mobile',
  name: 'Test: mobile activation by the automaton worker',
  start: ['activate'],
  nodes: { ...act.nodes, done: { kind: 'end', label: 'Done', result: 'completed' } },
  transitions: act.transitions,
};

const waitFor = async (what: string, check: () => Promise<boolean>, ms = 30_000) => {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe.skipIf(suite.skip)(suite.name, () => {
  let t: TestApp;
  let hlr: OsmoHlr;
  let sim: SwitchSimulator;
  let child: ChildProcess | null = null;
  let output = '';
  const cards = makeCards(3, 41);

  beforeAll(async () => {
    [t, hlr] = await Promise.all([createTestApp(), startOsmoHlr()]);
    sim = new SwitchSimulator({ name: 'SWW' });
    const port = await sim.start();
    const s = t.app.activation.service;
    await s.upsertElement(
      { code: 'HLRW', kind: 'osmo_hlr', name: 'HLR', host: hlr.host, port: hlr.port, isDefault: true },
      SYSTEM,
    );
    await registerSwitch(t.app.activation, 'SWW', port);
    await t.app.inventory.sims.importBatch(
      { batch: 'ACTWORKER', manufacturer: 'Test', csv: cardsCsv(cards) },
      SYSTEM,
    );
    await t.app.workflow.scenarios.createVersion(scenario, SYSTEM);
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sim?.stop();
    await hlr?.dispose();
    await t?.close();
  });

  it('carries out orders queued in the database and resumes their requests; SIGTERM stops it cleanly', async () => {
    child = spawn(
      path.join(root, 'node_modules/.bin/tsx'),
      [path.join(root, 'src/cli/main.ts'), 'worker', '--role', 'automaton'],
      {
        env: {
          ...process.env,
          DATABASE_URL: t.tdb.url,
          GPTO_SECRET_KEY: TEST_SECRET_KEY.toString('hex'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    await waitFor('the worker to start', async () => output.includes('worker ready'));
    expect(output).toMatch(/activation automaton automaton-\w+ on 2 network element/);

    // a request's step queues its order here (this process runs the workflow step only)
    const id = await t.tdb.db.transaction().execute((trx) =>
      t.app.workflow.engine.start(trx, {
        scenarioCode: 'act_worker_mobile',
        subjectType: 'test_request',
        subjectId: 'W1',
        customerId: null,
        lineId: '221770009001',
        data: { directoryNumber: '221770009001', simIccid: cards[0]!.iccid },
        by: SYSTEM,
      }),
    );
    await t.app.workflow.drain();
    // and a fixed-line order from the API
    const fixed = await t.app.activation.service.order(
      { operation: 'fixed.activate', lineId: '338260001', params: { dn: '338260001', en: 'W-01' } },
      SYSTEM,
    );
    await waitFor(
      'the worker to complete the request',
      async () => (await t.app.workflow.instances.get(id)).status === 'completed',
    );
    await waitFor(
      'the fixed order',
      async () => (await t.app.activation.service.get(fixed.id)).status === 'done',
    );
    expect(sim.lines.get('338260001')?.en).toBe('W-01');
    const raw = new HlrLink({ host: hlr.host });
    try {
      expect(await hlrOps.status(directSession(raw), { imsi: cards[0]!.imsi })).toMatchObject({
        exists: true,
        msisdn: '221770009001',
      });
    } finally {
      raw.close();
    }
    // the orders were claimed by the worker's automaton, not this process's
    const orders = await t.tdb.db
      .selectFrom('act_order')
      .select(['claimed_by'])
      .where('line_id', 'in', ['221770009001', '338260001'])
      .execute();
    expect(orders).toHaveLength(2);
    expect(orders.every((o) => o.claimed_by !== t.app.activation.automaton.id)).toBe(true);
    expect(output).toContain(orders[0]!.claimed_by!);

    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) =>
      child!.exitCode !== null ? resolve(child!.exitCode) : child!.once('exit', (c) => resolve(c)),
    );
    expect(code).toBe(0);
  });
});
