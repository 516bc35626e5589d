import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { osmoHlrSuiteName, startOsmoHlr, type OsmoHlr } from '../testing/osmo-hlr.js';
import { directSession } from './direct-session.js';
import { ElementRefusal, TransportError } from './driver.js';
import { CtrlClient, CtrlRefusal, parseInfo } from './osmo-ctrl.client.js';
import { ACCESS, HlrLink, hlrOps } from './hlr.driver.js';

const suite = osmoHlrSuiteName('osmo-hlr CTRL client and cellular driver (real osmo-hlr)');
const KI = '000102030405060708090A0B0C0D0E0F';
const OPC = 'F0E0D0C0B0A090807060504030201000';

describe.skipIf(suite.skip)(suite.name, () => {
  let hlr: OsmoHlr;
  let link: HlrLink;
  const log: string[] = [];
  beforeAll(async () => {
    hlr = await startOsmoHlr();
    link = new HlrLink({ host: hlr.host });
  });
  afterAll(async () => {
    link?.close();
    await hlr?.dispose();
  });
  const s = () => directSession(link, (c, r) => log.push(`${c} -> ${r instanceof Error ? r.message : r}`));

  it('correlates pipelined GET/SET replies and errors by id', async () => {
    const c = new CtrlClient({ host: hlr.host });
    try {
      const imsis = Array.from({ length: 20 }, (_, i) => `00101000000${String(i).padStart(4, '0')}`);
      const created = await Promise.all(imsis.map((imsi) => c.set('subscriber.create', imsi)));
      expect(new Set(created.map((r) => r.value)).size).toBe(20);
      const [dup, info, missing] = await Promise.allSettled([
        c.set('subscriber.create', imsis[0]!),
        c.get(`subscriber.by-imsi-${imsis[3]}.info`),
        c.get('subscriber.by-imsi-001019999999999.info'),
      ]);
      expect(dup.status === 'rejected' && (dup.reason as CtrlRefusal).reason).toBe(
        'Subscriber already exists.',
      );
      expect(info.status === 'fulfilled' && parseInfo(info.value.value).imsi).toBe(imsis[3]);
      expect(missing.status === 'rejected' && missing.reason).toBeInstanceOf(CtrlRefusal);
      await Promise.all(imsis.map((imsi) => c.set('subscriber.delete', imsi)));
    } finally {
      c.close();
    }
  });

  it('activates a 3G subscriber, and re-running the activation after a crash does no harm', async () => {
    const imsi = '001010000000101';
    const first = await hlrOps.activate(s(), { imsi, msisdn: '221770000101', keys: { ki: KI, opc: OPC } });
    expect(first.created).toBe(true);
    // a crash after the create: the re-run meets "Subscriber already exists" and converges
    await hlrOps.setAccess(s(), { imsi, access: ACCESS.suspended });
    const again = await hlrOps.activate(s(), { imsi, msisdn: '221770000101', keys: { ki: KI, opc: OPC } });
    expect(again.created).toBe(false);
    const st = await hlrOps.status(s(), { imsi });
    expect(st).toMatchObject({ exists: true, msisdn: '221770000101', access: { cs: true, ps: true } });
    expect(st.auth).toEqual({ aud2g: null, aud3g: 'MILENAGE' });
    expect(log.some((l) => l.includes(KI) || l.includes(OPC))).toBe(false);
  });

  it('limits, suspends and restores access, 2G keys, SIM swap keeps the number, delete is idempotent', async () => {
    const imsi = '001010000000202';
    await hlrOps.activate(s(), { imsi, msisdn: '221770000202', keys: { ki: KI, opc: null } });
    expect((await hlrOps.status(s(), { imsi })).auth).toEqual({ aud2g: 'COMP128v1', aud3g: null });
    const lim = await hlrOps.setAccess(s(), { imsi, access: ACCESS.limited });
    expect(lim.before).toEqual({ cs: true, ps: true });
    expect((await hlrOps.status(s(), { imsi })).access).toEqual({ cs: true, ps: false });
    await hlrOps.setAccess(s(), { imsi, access: ACCESS.suspended });
    expect((await hlrOps.status(s(), { imsi })).access).toEqual({ cs: false, ps: false });
    await hlrOps.setAccess(s(), { imsi, access: ACCESS.full });

    // SIM swap: the new IMSI takes the number and the access; the old subscriber is gone
    await hlrOps.setAccess(s(), { imsi, access: ACCESS.limited });
    const swap = { oldImsi: imsi, newImsi: '001010000000203', keys: { ki: KI, opc: OPC } };
    const r = await hlrOps.simSwap(s(), swap);
    expect(r.msisdn).toBe('221770000202');
    const st = await hlrOps.status(s(), { imsi: swap.newImsi });
    expect(st).toMatchObject({ exists: true, msisdn: '221770000202', access: { cs: true, ps: false } });
    expect((await hlrOps.status(s(), { imsi })).exists).toBe(false);
    // re-run after a crash (old already deleted): converges with the number given by the order
    await hlrOps.simSwap(s(), { ...swap, msisdn: '221770000202' });
    expect((await hlrOps.status(s(), { imsi: swap.newImsi })).msisdn).toBe('221770000202');

    expect((await hlrOps.deactivate(s(), { imsi: swap.newImsi })).deleted).toBe(true);
    expect((await hlrOps.deactivate(s(), { imsi: swap.newImsi })).deleted).toBe(false);
  });

  it('refusals carry the element message; an unknown IMSI is named', async () => {
    await expect(hlrOps.setAccess(s(), { imsi: '001010000009999', access: ACCESS.full })).rejects.toThrow(
      /No such subscriber/,
    );
    await hlrOps.activate(s(), {
      imsi: '001010000000301',
      msisdn: '221770000301',
      keys: { ki: KI, opc: null },
    });
    // the number belongs to someone else: osmo-hlr refuses, the driver passes its message on
    const err = await hlrOps
      .activate(s(), { imsi: '001010000000302', msisdn: '221770000301', keys: { ki: KI, opc: null } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ElementRefusal);
    await expect(
      hlrOps.activate(s(), { imsi: '12', msisdn: '1', keys: { ki: KI, opc: null } }),
    ).rejects.toThrow(/IMSI "12" is not valid/);
  });

  it('an element that is down is a transport error, and the client reconnects when it is back', async () => {
    await hlr.stop();
    await expect(link.send('GET subscriber.by-imsi-001010000000301.msisdn')).rejects.toBeInstanceOf(
      TransportError,
    );
    await hlr.start();
    expect(await link.send('GET subscriber.by-imsi-001010000000301.msisdn')).toBe('221770000301');
  });
});

describe('cellular activation on the wire (scripted link)', () => {
  /** A link that holds every command until the test answers it: shows what is in flight at once. */
  function heldLink(answer: (command: string) => string | Error) {
    const sent: string[] = [];
    let inFlight = 0;
    let most = 0;
    const link = {
      send: (command: string) => {
        sent.push(command);
        most = Math.max(most, ++inFlight);
        return new Promise<string>((resolve, reject) =>
          setTimeout(() => {
            inFlight--;
            const r = answer(command);
            if (r instanceof Error) reject(r);
            else resolve(r);
          }, 5),
        );
      },
      probe: async () => undefined,
      close: () => undefined,
    };
    return { link, sent, most: () => most };
  }
  const keys = { ki: KI, opc: OPC };

  it('a new subscriber gets its create, keys and number in one round trip, in that order', async () => {
    const h = heldLink(() => 'OK');
    const r = await hlrOps.activate(directSession(h.link), {
      imsi: '001010000000401',
      msisdn: '221770000401',
      keys,
    });
    expect(r.created).toBe(true);
    expect(h.most()).toBe(3);
    expect(h.sent.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual([
      'SET subscriber.create',
      'SET subscriber.by-imsi-001010000000401.aud3g',
      'SET subscriber.by-imsi-001010000000401.msisdn',
    ]);
  });

  it('a refused create is the answer, not the refusals of the keys and number that followed it', async () => {
    const h = heldLink((c) =>
      c.startsWith('SET subscriber.create')
        ? new ElementRefusal('Subscriber table full.')
        : new ElementRefusal('No such subscriber.'),
    );
    await expect(
      hlrOps.activate(directSession(h.link), { imsi: '001010000000402', msisdn: '221770000402', keys }),
    ).rejects.toThrow('Subscriber table full.');
  });

  it('a re-run (the subscriber exists) checks its keys and resets its number and access', async () => {
    const h = heldLink((c) =>
      c.startsWith('SET subscriber.create')
        ? new ElementRefusal('Subscriber already exists.')
        : c.endsWith('.info-aud')
          ? 'aud2g.algo\tCOMP128v1'
          : 'OK',
    );
    const r = await hlrOps.activate(directSession(h.link), {
      imsi: '001010000000403',
      msisdn: '221770000403',
      keys,
    });
    expect(r.created).toBe(false);
    expect(h.sent.slice(3).map((c) => c.replace(/milenage,.*/, 'milenage,…'))).toEqual([
      'GET subscriber.by-imsi-001010000000403.info-aud',
      'SET subscriber.by-imsi-001010000000403.aud2g none',
      'SET subscriber.by-imsi-001010000000403.aud3g milenage,…',
      'SET subscriber.by-imsi-001010000000403.msisdn 221770000403',
      'SET subscriber.by-imsi-001010000000403.cs-enabled 1',
      'SET subscriber.by-imsi-001010000000403.ps-enabled 1',
    ]);
  });
});
