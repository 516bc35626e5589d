import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

// GPTO_SECRET_KEY given, so that no key file is written anywhere.
const base = { GPTO_SECRET_KEY: 'ab'.repeat(32), DATABASE_URL: 'postgres://x@localhost/gpto' };

describe('configuration', () => {
  it('reads GPTO_STUDY_LANES, unset by default', () => {
    expect(loadConfig({ ...base }).studyLanes).toBeUndefined();
    expect(loadConfig({ ...base, GPTO_STUDY_LANES: '4' }).studyLanes).toBe(4);
  });

  it('reads the nightly audit time, 03:30 by default, off to disable it, a bad one named', () => {
    expect(loadConfig({ ...base }).auditAt).toBe(210);
    expect(loadConfig({ ...base, GPTO_AUDIT_AT: '22:05' }).auditAt).toBe(1325);
    expect(loadConfig({ ...base, GPTO_AUDIT_AT: 'off' }).auditAt).toBeNull();
    expect(() => loadConfig({ ...base, GPTO_AUDIT_AT: '3h' })).toThrow(
      /GPTO_AUDIT_AT must be HH:MM \(24 h\) or off/,
    );
  });

  it('reads the workflow loops and their batch, 2 × 50 by default', () => {
    expect(loadConfig({ ...base })).toMatchObject({ workflowLoops: 2, workflowBatch: 50 });
    expect(loadConfig({ ...base, GPTO_WORKFLOW_LOOPS: '1', GPTO_WORKFLOW_BATCH: '20' })).toMatchObject({
      workflowLoops: 1,
      workflowBatch: 20,
    });
    expect(() => loadConfig({ ...base, GPTO_WORKFLOW_BATCH: '0' })).toThrow(
      /GPTO_WORKFLOW_BATCH must be a whole number between 1 and 1000 \(got "0"\)/,
    );
  });

  it('with DATABASE_URL, asks for GPTO_SECRET_KEY only where the key is used', () => {
    // the maintenance repairs and migrate never touch a SIM secret: they run without the key
    const config = loadConfig({ DATABASE_URL: base.DATABASE_URL });
    expect(config.databaseUrl).toBe(base.DATABASE_URL);
    let err: unknown;
    try {
      void config.secretKey;
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      'GPTO_SECRET_KEY is required with DATABASE_URL (it seals the SIM secrets)',
    ]);
    expect(loadConfig({ ...base }).secretKey.toString('hex')).toBe('ab'.repeat(32));
    expect(() => loadConfig({ DATABASE_URL: base.DATABASE_URL, GPTO_SECRET_KEY: 'short' })).toThrow(
      /GPTO_SECRET_KEY must be 32 bytes/,
    );
  });

  it('names every bad setting in one error', () => {
    let err: unknown;
    try {
      loadConfig({ ...base, GPTO_STUDY_LANES: '0', PORT: 'eighty' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/GPTO_STUDY_LANES must be a whole number between 1 and 256 \(got "0"\)/);
    expect(problems).toMatch(/PORT/);
    expect(() => loadConfig({ ...base, GPTO_STUDY_LANES: '2.5' })).toThrow(/GPTO_STUDY_LANES/);
  });
});
