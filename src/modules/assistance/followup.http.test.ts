import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
