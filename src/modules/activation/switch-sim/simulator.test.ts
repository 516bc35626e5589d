import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directSession } from '../drivers/direct-session.js';
import { ElementRefusal, TransportError } from '../drivers/driver.js';
import { SwitchLink, switchOps } from '../drivers/switch.driver.js';
import { parseCommand, parseReply } from './protocol.js';
import { SwitchSimulator } from './simulator.js';

/** Talks to the simulator line by line, like an operator on a terminal. */
async function conversation(port: number, lines: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    sock.setEncoding('latin1');
    sock.on('data', (c: string) => {
      buf += c;
      const got = buf.split('\n').filter(Boolean);
      if (got.length >= lines.length + 1) {
        sock.destroy();
        resolve(got);
      }
    });
    sock.on('error', reject);
    sock.on('connect', () => sock.write(lines.map((l) => l + '\n').join('')));
  });
}

describe('switch simulator protocol', () => {
  const sim = new SwitchSimulator({ name: 'SW-TEST', user: 'op', password: 'secret' });
  let port = 0;
  beforeAll(async () => {
    port = await sim.start();
  });
  afterAll(() => sim.stop());

  it('parses commands and replies', () => {
    expect(parseCommand('crt-line:7:DN=338210001,en=01-02-003;')).toEqual({
      verb: 'CRT-LINE',
      tag: '7',
      params: { DN: '338210001', EN: '01-02-003' },
    });
    expect(parseCommand('CRT-LINE:7:DN=1 2;')).toMatchObject({ error: expect.stringMatching(/DN/) });
    expect(parseCommand('PING:1')).toMatchObject({ error: expect.stringMatching(/;/) });
    expect(parseReply('12 DENY DNUNK no line with directory number 1234')).toEqual({
      tag: '12',
      ok: false,
      code: 'DNUNK',
      message: 'no line with directory number 1234',
    });
  });

  it('greets, requires a login, answers each command with its tag and a completion code', async () => {
    const r = await conversation(port, [
      'DSP-LINE:1:DN=338210001;',
      'LOGIN:2:USER=op,PWD=wrong;',
      'LOGIN:3:USER=op,PWD=secret;',
      'CRT-LINE:4:DN=338210001,EN=01-02-003,SERV=CLIP&CW;',
      'CRT-LINE:5:DN=338210001,EN=01-02-004;',
      'CRT-LINE:6:DN=338210002,EN=01-02-003;',
      'SIM-CALL:7:DN=338210001,UNITS=3,SECS=60;',
      'DSP-LINE:8:DN=338210001;',
      'SIM-CALL:9:DN=338210001,UNITS=1;',
      'FOO-BAR:10:DN=1;',
      'garbage',
    ]);
    expect(r[0]).toBe('GPTO-SWITCH SW-TEST READY');
    expect(r.slice(1)).toEqual([
      '1 DENY NOAUTH log in first',
      '2 DENY AUTHFAIL wrong user or password',
      '3 COMPLD SWITCH=SW-TEST',
      '4 COMPLD DN=338210001,EN=01-02-003',
      '5 DENY DNEXIST directory number 338210001 already exists',
      '6 DENY ENINUSE equipment number 01-02-003 serves 338210001',
      '7 COMPLD DN=338210001,METER=3',
      '8 COMPLD DN=338210001,EN=01-02-003,CAT=RES,STATUS=BUSY,BAR=NONE,EFFBAR=NONE,SERV=CLIP&CW,METER=3',
      '9 DENY STATE line 338210001 is BUSY',
      '10 DENY UNKCMD unknown command FOO-BAR',
      '* DENY SYNTAX a command ends with ";"',
    ]);
  });
});

describe('fixed-line driver on the simulator', () => {
  const sim = new SwitchSimulator({ name: 'SW-DRV' });
  let link: SwitchLink;
  beforeAll(async () => {
    const port = await sim.start();
    link = new SwitchLink({ host: '127.0.0.1', port, user: 'gpto', password: 'gpto' });
  });
  afterAll(async () => {
    link.close();
    await sim.stop();
  });
  const s = () => directSession(link);

  it('activates a line, and a re-run after a lost reply converges to what was asked', async () => {
    sim.dropReplyOnce = 'CRT-LINE';
    const want = { dn: '338220001', en: '02-01-001', services: ['CLIP', 'CFU'], barring: 'INTL' as const };
    await expect(switchOps.activate(s(), want)).rejects.toBeInstanceOf(TransportError);
    expect(sim.lines.has('338220001')).toBe(true); // applied, but we never heard it
    const again = await switchOps.activate(s(), want);
    expect(again).toMatchObject({
      created: false,
      en: '02-01-001',
      barring: 'INTL',
      services: ['CFU', 'CLIP'],
    });
    // the same number on another port is the switch's refusal
    await expect(switchOps.activate(s(), { ...want, en: '02-01-002' })).rejects.toThrow(
      /already exists on 02-01-001/,
    );
  });

  it('moves a line to another port with its services and class; a re-run is a no-op; an absent line is refused', async () => {
    const dn = '338220077';
    await switchOps.activate(s(), { dn, en: '03-01-001', services: ['CFU', 'CW'], barring: 'INTL' });
    const moved = await switchOps.move(s(), { dn, en: '03-02-005' });
    expect(moved).toMatchObject({ moved: true, from: '03-01-001', en: '03-02-005', barring: 'INTL' });
    expect(moved.services.sort()).toEqual(['CFU', 'CW']);
    expect(sim.lines.get(dn)?.en).toBe('03-02-005');
    // the old port is free for another line
    await switchOps.activate(s(), { dn: '338220078', en: '03-01-001' });
    expect(await switchOps.move(s(), { dn, en: '03-02-005' })).toMatchObject({ moved: false });
    await expect(switchOps.move(s(), { dn: '338220079', en: '03-02-006' })).rejects.toThrow(/DNUNK/);
  });

  it('services, barring, suspension, temporary authorisation, status and meter', async () => {
    const dn = '338220002';
    await switchOps.activate(s(), { dn, en: '02-01-010' });
    expect((await switchOps.services(s(), { dn, add: ['CW', 'CLIP'] })).services).toEqual(['CLIP', 'CW']);
    expect((await switchOps.services(s(), { dn, remove: ['CW'] })).services).toEqual(['CLIP']);
    expect(await switchOps.barring(s(), { dn, barring: 'NATL' })).toEqual({
      before: 'NONE',
      barring: 'NATL',
    });
    const until = new Date(Date.now() + 3600_000);
    until.setMilliseconds(0);
    await switchOps.temporaryAccess(s(), { dn, barring: 'NONE', until: until.toISOString() });
    let st = await switchOps.status(s(), { dn });
    expect(st).toMatchObject({
      barring: 'NATL',
      effectiveBarring: 'NONE',
      temporary: { barring: 'NONE', until: until.toISOString() },
    });
    await switchOps.clearTemporaryAccess(s(), { dn });
    st = await switchOps.status(s(), { dn });
    expect(st).toMatchObject({ effectiveBarring: 'NATL', temporary: null, status: 'idle', meter: 0 });
    await link.send(`SIM-CALL DN=${dn},UNITS=4`);
    await link.send(`SIM-CALL DN=${dn},UNITS=2`);
    expect(await switchOps.meter(s(), { dn })).toEqual({ dn, meter: 6 });
    expect(await switchOps.block(s(), { dn, blocked: true })).toEqual({ status: 'barred' });
    await expect(link.send(`SIM-CALL DN=${dn},UNITS=1`)).rejects.toThrow(/STATE/);
    await link.send(`SET-MAINT DN=${dn},STATE=OOS`);
    expect((await switchOps.status(s(), { dn })).status).toBe('out_of_order');
    await link.send(`SET-MAINT DN=${dn},STATE=IS`);
    expect(await switchOps.block(s(), { dn, blocked: false })).toEqual({ status: 'idle' });
    expect(await switchOps.deactivate(s(), { dn })).toEqual({ dn, deleted: true, meter: 6 });
    expect(await switchOps.deactivate(s(), { dn })).toEqual({ dn, deleted: false, meter: null });
    expect((await switchOps.status(s(), { dn })).exists).toBe(false);
    const err = await switchOps.services(s(), { dn, add: ['CW'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ElementRefusal);
    expect((err as ElementRefusal).code).toBe('DNUNK');
  });

  it('a stopped switch is a transport error; the link logs in again when it is back', async () => {
    await sim.stop();
    await expect(link.probe()).rejects.toBeInstanceOf(TransportError);
    await sim.start();
    await link.probe();
    expect((await switchOps.status(s(), { dn: '338220001' })).exists).toBe(true);
  });
});

describe('switch simulator with a response time', () => {
  it("carries out a session's commands one after the other, each answered that long after the previous one", async () => {
    const sim = new SwitchSimulator({ user: 'op', password: 'secret', responseMs: 25 });
    const port = await sim.start();
    try {
      const t0 = performance.now();
      const r = await conversation(port, [
        'LOGIN:1:USER=op,PWD=secret;',
        'CRT-LINE:2:DN=338230001,EN=01-03-001;',
        'DSP-LINE:3:DN=338230001;',
        'DSP-LINE:4:DN=338239999;',
      ]);
      const ms = performance.now() - t0;
      expect(ms).toBeGreaterThanOrEqual(4 * 25 - 5);
      // in order, each command on the state the previous ones left
      expect(
        r
          .slice(1)
          .map((l) => parseReply(l))
          .map((x) => [x?.tag, x?.ok]),
      ).toEqual([
        ['1', true],
        ['2', true],
        ['3', true],
        ['4', false],
      ]);
    } finally {
      await sim.stop();
    }
  });
});

describe('switch simulator: listing and kept state', () => {
  it('lists its numbers in order, a page at a time (LST-LINE)', async () => {
    const sim = new SwitchSimulator({ name: 'SW-LST', user: 'op', password: 'pw' });
    const port = await sim.start();
    const link = new SwitchLink({ host: '127.0.0.1', port, user: 'op', password: 'pw' });
    const s = directSession(link);
    try {
      expect(await switchOps.list(s, {})).toEqual({ dns: [], lines: null, next: null });
      const dns = ['338210007', '338210001', '338210003', '338210005', '338210002'];
      for (const [i, dn] of dns.entries())
        await switchOps.activate(s, { dn, en: `01-01-00${i}`, services: [] });
      const first = await switchOps.list(s, { count: 2 });
      expect(first).toEqual({ dns: ['338210001', '338210002'], lines: null, next: '338210002' });
      const second = await switchOps.list(s, { from: first.next!, count: 2 });
      expect(second).toEqual({ dns: ['338210003', '338210005'], lines: null, next: '338210005' });
      expect(await switchOps.list(s, { from: second.next!, count: 2 })).toEqual({
        dns: ['338210007'],
        lines: null,
        next: null,
      });
      // with detail: each line's port, status, barring class and services, as DSP-LINE shows them
      await switchOps.services(s, { dn: '338210003', add: ['CW', 'CLIP'] });
      await switchOps.barring(s, { dn: '338210003', barring: 'OUTG' });
      await switchOps.block(s, { dn: '338210005', blocked: true });
      const detailed = await switchOps.list(s, { from: first.next!, count: 2, detail: true });
      expect(detailed).toEqual({
        dns: ['338210003', '338210005'],
        lines: [
          { dn: '338210003', en: '01-01-002', status: 'idle', barring: 'OUTG', services: ['CLIP', 'CW'] },
          { dn: '338210005', en: '01-01-003', status: 'barred', barring: 'NONE', services: [] },
        ],
        next: '338210005',
      });
      for (const l of detailed.lines!)
        expect(await switchOps.status(s, { dn: l.dn })).toMatchObject({
          en: l.en,
          status: l.status,
          barring: l.barring,
          services: l.services,
        });
      await expect(s.send('LST-LINE DETAIL=MAYBE')).rejects.toThrow(/DETAIL is YES or NO/);
      await switchOps.deactivate(s, { dn: '338210003' });
      expect((await switchOps.list(s, {})).dns).toEqual(['338210001', '338210002', '338210005', '338210007']);
      await expect(s.send('LST-LINE COUNT=0')).rejects.toThrow(/COUNT is 1..1000/);
    } finally {
      link.close();
      await sim.stop();
    }
  });

  it('keeps its lines in its state file across a restart, as an exchange does', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gpto-sim-'));
    const stateFile = path.join(dir, 'SW.json');
    const a = new SwitchSimulator({ name: 'SW', user: 'op', password: 'pw', stateFile });
    const port = await a.start();
    const link = new SwitchLink({ host: '127.0.0.1', port, user: 'op', password: 'pw' });
    const s = directSession(link);
    await switchOps.activate(s, { dn: '338210101', en: '02-01-001', services: ['CLIP'], barring: 'INTL' });
    await switchOps.block(s, { dn: '338210101', blocked: true });
    await s.send('SIM-CALL DN=338210102,UNITS=3').catch(() => undefined); // unknown: refused, nothing kept
    link.close();
    await a.stop();
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { lines: { dn: string }[] };
    expect(saved.lines.map((l) => l.dn)).toEqual(['338210101']);
    const b = new SwitchSimulator({ name: 'SW', user: 'op', password: 'pw', stateFile });
    const port2 = await b.start();
    const link2 = new SwitchLink({ host: '127.0.0.1', port: port2, user: 'op', password: 'pw' });
    try {
      expect(await switchOps.status(directSession(link2), { dn: '338210101' })).toMatchObject({
        exists: true,
        en: '02-01-001',
        status: 'barred',
        barring: 'INTL',
        services: ['CLIP'],
      });
      // the equipment number is taken again after the restart
      await expect(
        switchOps.activate(directSession(link2), { dn: '338210199', en: '02-01-001', services: [] }),
      ).rejects.toThrow(/serves 338210101/);
    } finally {
      link2.close();
      await b.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
