import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { SYSTEM } from '../../platform/events.js';
import { startLocalElements } from './local-elements.js';
import { freeLoopback, osmoHlrSuiteName } from './testing/osmo-hlr.js';

// `gpto start`'s own osmo-hlr dies (a crash, a kill from outside): the console says so, GPTo starts
// it again on the same address and database, and the element answers again. Before, it stayed dead
// without a word, its stderr thrown away.

const suite = osmoHlrSuiteName('the local osmo-hlr of gpto start is watched');

/** The pid of the osmo-hlr whose config lives in `dir` (from /proc: the test has no handle on it). */
function osmoHlrPid(dir: string): number | null {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.endsWith('osmo-hlr')) && cmd.includes(path.join(dir, 'osmo-hlr', 'osmo-hlr.cfg')))
        return Number(e);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe.skipIf(suite.skip)(suite.name, () => {
  let t: TestApp;
  let dir: string;
  let stop: (() => Promise<void>) | null = null;
  const said: string[] = [];
  beforeAll(async () => {
    t = await createTestApp();
    dir = mkdtempSync(path.join(tmpdir(), 'gpto-local-'));
  });
  afterAll(async () => {
    await stop?.();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a killed osmo-hlr is said and started again; the element answers again; a stop is not a crash', async () => {
    stop = await startLocalElements(t.app.activation, dir, (l) => said.push(l), {
      hlrHost: await freeLoopback(),
      switches: false,
    });
    expect(
      said.some((l) => /osmo-hlr HLR1 on 127(\.\d+){3}:4259/.test(l)),
      said.join('\n'),
    ).toBe(true);
    const status = () => t.app.activation.service.query('mobile.status', { imsi: '001010000000001' });
    expect(await status()).toMatchObject({ exists: false });
    const first = osmoHlrPid(dir);
    expect(first).not.toBeNull();
    process.kill(first!, 'SIGKILL');
    await until('the exit to be said', () => said.some((l) => l.includes('HLR1 exited (SIGKILL)')));
    expect(said.find((l) => l.includes('exited'))).toContain(path.join(dir, 'osmo-hlr', 'osmo-hlr.log'));
    await until('osmo-hlr to be started again', () => said.some((l) => l.includes('HLR1 started again')));
    const second = osmoHlrPid(dir);
    expect(second).not.toBeNull();
    expect(second).not.toBe(first);
    // the element answers again (once its circuit, if it opened, is closed by a probe)
    await until('the HLR to answer', async () => {
      try {
        return (await status()).exists === false;
      } catch {
        return false;
      }
    });
    // its messages are kept (osmo-hlr says it starts at `notice`)
    expect(readFileSync(path.join(dir, 'osmo-hlr', 'osmo-hlr.log'), 'utf8').length).toBeGreaterThan(0);
    // stopping GPTo stops it without a word of crash, and nothing starts it again
    const before = said.length;
    await stop();
    stop = null;
    await sleep(1500);
    expect(said.slice(before).filter((l) => l.includes('exited') || l.includes('again'))).toEqual([]);
    expect(osmoHlrPid(dir)).toBeNull();
  }, 60_000);

  it('a restart keeps what the administrator set on the local elements (before, every start rewrote them)', async () => {
    const s = t.app.activation.service;
    const hlr1 = (await s.elements()).find((e) => e.code === 'HLR1')!;
    await s.upsertElement(
      {
        code: 'HLR1',
        kind: 'osmo_hlr',
        name: 'HLR Dakar',
        host: hlr1.host,
        port: hlr1.port,
        ratePerSecond: 300,
      },
      SYSTEM,
    );
    stop = await startLocalElements(t.app.activation, dir, (l) => said.push(l), {
      hlrHost: await freeLoopback(),
      switches: false,
    });
    expect((await s.elements()).find((e) => e.code === 'HLR1')).toMatchObject({
      name: 'HLR Dakar',
      ratePerSecond: 300,
      isDefault: true,
    });
  }, 60_000);
});
