import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { FixedClock } from '../../platform/clock.js';
import {
  assistanceWorld,
  buildLine,
  type AssistanceWorld,
  type BuiltLine,
} from './assistance.test-fixtures.js';

// Follow-up (issue 7): lists per actor, zone, status and age, over HTTP.
describe('fault follow-up lists', () => {
  let w: AssistanceWorld;
  let a: BuiltLine;
  let care: string;
  let fault: string;
  beforeAll(async () => {
    w = await assistanceWorld();
    a = await buildLine(w, 'Sarr');
    care = await w.t.login('care');
    const r = await w.t.call('POST', '/api/v1/faults', care, { line: a.number, symptom: 'noise' });
    expect(r.statusCode).toBe(201);
    fault = r.json().number;
    await w.t.app.workflow.drain();
  });
  afterAll(async () => w?.close());

  const numbers = async (query: string) => {
    const res = await w.t.call('GET', `/api/v1/faults?${query}`, care);
    expect(res.statusCode).toBe(200);
    return res.json().items.map((f: { number: string }) => f.number);
  };

  it('lists by zone (the line’s locality, any case) and status', async () => {
    expect(await numbers('zone=dakar')).toContain(fault);
    expect(await numbers('zone=THIES')).not.toContain(fault);
    expect(await numbers('status=open&zone=DAKAR')).toContain(fault);
    expect(await numbers('status=closed')).not.toContain(fault);
  });

  it('lists by the actor whose basket holds the fault’s open task', async () => {
    const tasks = (await w.t.call('GET', `/api/v1/faults/${fault}`, care)).json().workflow.tasks as {
      actor: string;
      status: string;
    }[];
    const holder = tasks.find((t) => t.status === 'ready')?.actor;
    expect(holder).toBeDefined();
    expect(await numbers(`actor=${holder}`)).toContain(fault);
    const other = ['switching', 'mdf', 'field'].find((x) => x !== holder)!;
    expect(await numbers(`actor=${other}`)).not.toContain(fault);
  });

  it('lists by age: older than a number of hours, by the clock of the workflow', async () => {
    expect(await numbers('olderThanHours=2')).not.toContain(fault);
    const engine = w.t.app.workflow.engine;
    const clock = engine.clock;
    engine.clock = new FixedClock(new Date(Date.now() + 3 * 3600_000));
    try {
      expect(await numbers('olderThanHours=2')).toContain(fault);
      expect(await numbers('olderThanHours=4')).not.toContain(fault);
    } finally {
      engine.clock = clock;
    }
  });

  it('lists by actor exactly past 500 tasks in the basket, and its cursor pages every fault', async () => {
    const b = await buildLine(w, 'Faye');
    const c = await buildLine(w, 'Ba');
    const more: string[] = [];
    for (const l of [b, c]) {
      const r = await w.t.call('POST', '/api/v1/faults', care, { line: l.number, symptom: 'no_dial_tone' });
      expect(r.statusCode).toBe(201);
      more.push(r.json().number);
    }
    await w.t.app.workflow.drain();
    const holderOf = async (n: string) =>
      (
        (await w.t.call('GET', `/api/v1/faults/${n}`, care)).json().workflow.tasks as {
          actor: string;
          status: string;
        }[]
      ).find((t) => t.status === 'ready')?.actor;
    const holder = (await holderOf(fault))!;
    const expected: string[] = [fault];
    for (const n of more) if ((await holderOf(n)) === holder) expected.push(n);
    expect(expected.length).toBeGreaterThan(1); // so the cursor has pages to walk
    // 600 more urgent tasks of other subjects in the same basket, ahead of every fault task
    const db = w.t.tdb.db;
    await sql`
      WITH s AS (SELECT scenario_id, scenario_code, scenario_version FROM wf_instance WHERE subject_type = 'fault' LIMIT 1),
      i AS (
        INSERT INTO wf_instance (scenario_id, scenario_code, scenario_version, subject_type, subject_id, created_at)
        SELECT s.scenario_id, s.scenario_code, s.scenario_version, 'filler', g::text, now()
        FROM s, generate_series(1, 600) g RETURNING id)
      INSERT INTO wf_task (instance_id, node, kind, actor, status, priority, available_at, created_at)
      SELECT i.id, 'diagnose', 'human', ${holder}, 'ready', 100, now(), now() FROM i`.execute(db);
    const basket = await w.t.app.workflow.tasks.basket(holder, { limit: 500 });
    expect(basket.items.every((t) => t.subject.startsWith('filler:'))).toBe(true);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await w.t.call(
        'GET',
        `/api/v1/faults?actor=${holder}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        care,
      );
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: { number: string }[]; nextCursor?: string };
      expect(body.items.length).toBe(1);
      seen.push(...body.items.map((f) => f.number));
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual(expected.sort());
  });
});
