import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { loadDemoPlant } from '../../demo/plant.js';
import { SYSTEM } from '../../platform/events.js';
import type { ScenarioDef, TaskHandler } from '../workflow/index.js';

/**
 * The inventory's changes belong to the workflow step that makes them: a step that fails after its
 * study leaves nothing reserved, a cancellation that fails after its release leaves the
 * reservation whole.
 */

const STUDY_OUTCOMES = ['feasible', 'not_feasible', 'number_unavailable'];

/** Study (then fail when armed), then a human step to wait on. */
const STUDY_THEN_FAIL: ScenarioDef = {
  code: 'test_study_then_fail',
  name: 'Study, then a failure in the same step',
  start: ['arm'],
  nodes: {
    arm: {
      kind: 'automatic',
      label: 'Records a compensation that fails when armed',
      actor: 'workflow_automaton',
      handler: 'test.arm_failing_compensation',
      outcomes: ['done'],
    },
    study: {
      kind: 'automatic',
      label: 'Study, then fail when armed',
      actor: 'network_studies',
      handler: 'test.study_then_fail',
      outcomes: STUDY_OUTCOMES,
      maxAttempts: 1,
    },
    works: { kind: 'human', label: 'Works', actor: 'mdf', outcomes: ['done'] },
    done: { kind: 'end', label: 'Done', result: 'completed' },
  },
  transitions: [
    { from: 'arm', on: 'done', to: ['study'] },
    { from: 'study', on: '*', to: ['works'] },
    { from: 'works', on: 'done', to: ['done'] },
  ],
};

describe('inventory changes commit with their workflow step', () => {
  let t: TestApp;
  let customer: string;
  const armed = { study: false, compensation: false };

  beforeAll(async () => {
    t = await createTestApp();
    await loadDemoPlant(t.tdb.db);
    const h = t.app.workflow.handlers;
    const study = h.tasks.get('request.study') as TaskHandler;
    h.task('test.study_then_fail', async (ctx) => {
      const out = await study(ctx);
      if (armed.study) throw new Error('the step failed after its study');
      return out;
    });
    h.task('test.arm_failing_compensation', async (ctx) => {
      ctx.compensate('test.failing_compensation', {});
      return { outcome: 'done' };
    });
    // recorded before the study's release, so it runs after it (newest first)
    h.compensation('test.failing_compensation', async () => {
      if (armed.compensation) throw new Error('a compensation failed after the release');
    });
    await t.app.workflow.scenarios.createVersion(STUDY_THEN_FAIL, SYSTEM);
    customer = (
      await t.app.referential.customers.create(
        {
          kind: 'person',
          lastName: 'Ndiaye',
          firstNames: 'Awa',
          address: { street: 'Avenue Georges Pompidou', district: 'Plateau', locality: 'Dakar' },
          categories: {
            commercial1: 'RES',
            commercial2: 'STD',
            collection: 'STANDARD',
            accounting: 'PART',
            tax: 'TVA18',
          },
        } as never,
        SYSTEM,
      )
    ).code;
  });
  afterAll(async () => t?.close());

  const order = async () =>
    (
      await t.app.requests.requests.create(
        { kind: 'new_line', customer, productCode: 'FIXE', scenario: STUDY_THEN_FAIL.code },
        SYSTEM,
      )
    ).number;

  /** What the inventory holds for a request: reservations, resources reserved for them, events. */
  const held = async (ref: string) =>
    (
      await sql<{ reservations: string[]; pairs: number; numbers: number; ports: number; events: number }>`
        SELECT coalesce(array_agg(r.status ORDER BY r.id) FILTER (WHERE r.id IS NOT NULL), '{}') AS reservations,
               (SELECT count(*)::int FROM inv_pair p JOIN inv_reservation x
                  ON p.id IN (x.primary_pair_id, x.distribution_pair_id)
                WHERE x.request_ref = ${ref} AND p.status = 'reserved') AS pairs,
               (SELECT count(*)::int FROM inv_number n JOIN inv_reservation x ON n.number = x.directory_number
                WHERE x.request_ref = ${ref} AND n.status = 'reserved') AS numbers,
               (SELECT count(*)::int FROM inv_port p JOIN inv_reservation x ON p.id = x.port_id
                WHERE x.request_ref = ${ref} AND p.status = 'reserved') AS ports,
               (SELECT count(*)::int FROM event e WHERE e.kind = 'reservation.created'
                  AND e.payload->>'requestRef' = ${ref}) AS events
        FROM (SELECT 1) one LEFT JOIN inv_reservation r ON r.request_ref = ${ref}`.execute(t.tdb.db)
    ).rows[0]!;
  const freePairs = async () =>
    (
      await sql<{ n: number }>`SELECT count(*)::int AS n FROM inv_pair WHERE status = 'free'`.execute(
        t.tdb.db,
      )
    ).rows[0]!.n;
  const tasks = async (ref: string) =>
    (
      await sql<{ node: string; kind: string; status: string; actor: string; fell_out: boolean }>`
        SELECT t.node, t.kind, t.status, t.actor, t.fell_out FROM wf_task t
        JOIN wf_instance i ON i.id = t.instance_id JOIN service_request r ON i.subject_id = r.id::text
        WHERE r.number = ${ref} ORDER BY t.id`.execute(t.tdb.db)
    ).rows;

  it('a step that fails after its study leaves nothing reserved', async () => {
    const pairsBefore = await freePairs();
    armed.study = true;
    const ref = await order();
    await t.app.workflow.drain();
    // the step fell out to a human basket with its error, and the study went with it
    expect((await tasks(ref)).find((x) => x.node === 'study')).toMatchObject({
      kind: 'human',
      fell_out: true,
      actor: 'supervision',
    });
    expect(await held(ref)).toEqual({ reservations: [], pairs: 0, numbers: 0, ports: 0, events: 0 });
    expect(await freePairs()).toBe(pairsBefore);
    // the same step, not failing: the reservation is there (the check above can see one)
    armed.study = false;
    const ok = await order();
    await t.app.workflow.drain();
    expect((await tasks(ok)).find((x) => x.node === 'works')).toMatchObject({ status: 'ready' });
    expect(await held(ok)).toEqual({ reservations: ['reserved'], pairs: 2, numbers: 1, ports: 1, events: 1 });
    expect(await freePairs()).toBe(pairsBefore - 2);
  });

  it('a cancellation that fails after its release leaves the reservation whole; once it succeeds everything is free', async () => {
    const ref = await order();
    await t.app.workflow.drain();
    expect((await held(ref)).reservations).toEqual(['reserved']);
    armed.compensation = true;
    await expect(t.app.requests.requests.cancel(ref, 'customer changed their mind', SYSTEM)).rejects.toThrow(
      'a compensation failed after the release',
    );
    await t.app.inventory.relay.settled();
    expect(await held(ref)).toMatchObject({ reservations: ['reserved'], pairs: 2, numbers: 1, ports: 1 });
    expect((await t.app.requests.requests.get(ref)).status).toBe('open');
    armed.compensation = false;
    expect((await t.app.requests.requests.cancel(ref, 'customer changed their mind', SYSTEM)).status).toBe(
      'cancelled',
    );
    await t.app.inventory.relay.settled();
    expect(await held(ref)).toMatchObject({ reservations: ['released'], pairs: 0, numbers: 0, ports: 0 });
    const left = await sql<{ n: number }>`SELECT count(*)::int AS n FROM inv_capacity_signal`.execute(
      t.tdb.db,
    );
    expect(left.rows[0]!.n).toBe(0);
  });
});
