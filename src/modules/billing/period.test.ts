import { describe, expect, it } from 'vitest';
import { stagesDue } from './collection-policy.js';
import { cycleClosesOn, periodOf, prorate, taxOf } from './period.js';

describe('periods', () => {
  it('covers the months of the cycle ending with the billed month', () => {
    expect(periodOf('2026-11')).toMatchObject({
      start: '2026-11-01',
      end: '2026-12-01',
      last: '2026-11-30',
      days: 30,
    });
    expect(periodOf('2028-02')).toMatchObject({ days: 29, last: '2028-02-29' });
    expect(periodOf('2026-12', 3)).toMatchObject({
      start: '2026-10-01',
      end: '2027-01-01',
      days: 92,
      months: 3,
    });
    expect(() => periodOf('2026-13')).toThrow(/YYYY-MM/);
    expect(cycleClosesOn('2026-12', 3)).toBe(true);
    expect(cycleClosesOn('2026-11', 3)).toBe(false);
    expect(cycleClosesOn('2026-11', 1)).toBe(true);
  });

  it('prorates and taxes to the unit, half up', () => {
    expect(prorate(5000, 1, 20, 30)).toBe(3333);
    expect(prorate(500, 1, 15, 30)).toBe(250);
    expect(prorate(1000, 1, 1, 30)).toBe(33);
    expect(prorate(50, 1, 3, 30)).toBe(5);
    expect(prorate(10000, 3, 92, 92)).toBe(30000);
    expect(taxOf(4733, 1800)).toBe(852);
    expect(taxOf(4733, 500)).toBe(237);
    expect(taxOf(250, 1800)).toBe(45);
    expect(taxOf(25, 1800)).toBe(5);
  });
});

describe('collection steps', () => {
  const rule = { reminder_day: 0, limitation_day: 10, suspension_day: 20, termination_day: null };
  it('reaches each step on its day, skipping the unused ones', () => {
    expect(stagesDue(rule, 0)).toEqual(['reminder']);
    expect(stagesDue(rule, 9)).toEqual(['reminder']);
    expect(stagesDue(rule, 10)).toEqual(['reminder', 'limitation']);
    expect(stagesDue(rule, 400)).toEqual(['reminder', 'limitation', 'suspension']);
    expect(stagesDue({ ...rule, reminder_day: 5 }, 2)).toEqual([]);
  });
});
