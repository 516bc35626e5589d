import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { bootstrap } from '../../platform/bootstrap.js';
import { SYSTEM } from '../../platform/events.js';
import { createWorkflow, workOnce, type WorkflowServices } from './index.js';
import type { ScenarioDef } from './scenario.schema.js';

// StepBatch.afterCommit runs once the worker's transaction has committed, never for a step that was
// rolled back; WorkOptions.hold leaves the held actors' steps ready.

const scenario = (code: string, actor: string): ScenarioDef => ({
  code,
  name: code,
  start: ['s'],
  nodes: {
    s: { kind: 'automatic', label: 'S', actor, handler: 'ac.step', outcomes: ['ok'], maxAttempts: 3 },
    done: { kind: 'end', label: 'Done', result: 'completed' },
  },
  transitions: [{ from: 's', on: 'ok', to: ['done'] }],
});

describe('worker: after commit, and held actors', () => {
  let tdb: TestDb;
  let wf: WorkflowServices;
  const seen: { instance: number; status: Promise<string | undefined> }[] = [];

  beforeAll(async () => {
    tdb = await createTestDb();
    await bootstrap(tdb.db, 'admin-password-long');
    wf = createWorkflow(tdb.db);
    wf.handlers.task('ac.step', async (ctx) => {
      const instance = ctx.instance.id;
      ctx.batch?.afterCommit(() =>
        // read on another connection: only a committed step is seen done
        seen.push({
          instance,
          status: tdb.db
            .selectFrom('wf_task')
            .select('status')
            .where('instance_id', '=', instance)
            .where('node', '=', 's')
            .executeTakeFirst()
            .then((r) => r?.status),
        }),
      );
      if (ctx.instance.data.fail) throw new Error('this step fails after asking for an after-commit');
      return { outcome: 'ok' };
    });
    await wf.scenarios.createVersion(scenario('ac_a', 'workflow_automaton'), SYSTEM);
    await wf.scenarios.createVersion(scenario('ac_b', 'activation_automaton'), SYSTEM);
  });
  afterAll(async () => {
    await tdb?.close();
  });

  const start = (code: string, data: Record<string, unknown>, n: number) =>
    tdb.db.transaction().execute(async (trx) => {
      const ids: number[] = [];
      for (let i = 0; i < n; i++)
        ids.push(
          await wf.engine.start(trx, {
            scenarioCode: code,
            subjectType: 'test',
            subjectId: `${code}-${Date.now()}-${i}`,
            customerId: null,
            lineId: null,
            data,
            by: SYSTEM,
          }),
        );
      return ids;
    });

  it('runs a step’s after-commit once its batch committed, not a failed step’s', async () => {
    const ok = await start('ac_a', {}, 3);
    const failing = await start('ac_a', { fail: true }, 1);
    seen.length = 0;
    const r = await workOnce(tdb.db, wf.engine, { batch: 10, actors: ['workflow_automaton'] });
    expect(r).toMatchObject({ completed: 3, failed: 1 });
    expect(seen.map((s) => s.instance).sort((a, b) => a - b)).toEqual(ok);
    expect(await Promise.all(seen.map((s) => s.status))).toEqual(['done', 'done', 'done']);
    expect(seen.some((s) => failing.includes(s.instance))).toBe(false);
  });

  it('leaves the steps of held actors ready and works the others', async () => {
    const held = await start('ac_b', {}, 2);
    const free = await start('ac_a', {}, 1);
    const r = await workOnce(tdb.db, wf.engine, { batch: 10, hold: () => ['activation_automaton'] });
    expect(r.completed).toBe(1);
    const status = async (ids: number[]) =>
      (
        await tdb.db
          .selectFrom('wf_task')
          .select('status')
          .where('instance_id', 'in', ids)
          .where('node', '=', 's')
          .execute()
      ).map((x) => x.status);
    expect(await status(held)).toEqual(['ready', 'ready']);
    expect(await status(free)).toEqual(['done']);
    const r2 = await workOnce(tdb.db, wf.engine, { batch: 10, hold: () => [] });
    expect(r2.completed).toBe(2);
    expect(await status(held)).toEqual(['done', 'done']);
  });
});
