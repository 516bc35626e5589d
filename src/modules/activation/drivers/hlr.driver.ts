import { CtrlClient, parseInfo } from './osmo-ctrl.client.js';
import { ElementRefusal, TransportError, type Link, type Session } from './driver.js';

/**
 * Cellular driver: osmo-hlr over CTRL. Every operation is idempotent — re-running it after a crash
 * (or after a lost reply) leaves the subscriber in the same state — because the automaton re-runs an
 * order whose outcome it never recorded. Subscribers are keyed on the IMSI, never on the HLR's
 * database id (osmo-hlr reuses ids after a delete).
 */

/** A link to one osmo-hlr: `GET <var>` / `SET <var> <value>` in, the reply's value out. */
export class HlrLink implements Link {
  private readonly client: CtrlClient;

  constructor(opts: { host: string; port?: number; timeoutMs?: number }) {
    this.client = new CtrlClient(opts);
  }

  async send(command: string): Promise<string> {
    const sp1 = command.indexOf(' ');
    const verb = command.slice(0, sp1).toUpperCase();
    const rest = command.slice(sp1 + 1);
    if (verb === 'GET') return (await this.client.get(rest)).value;
    if (verb !== 'SET') throw new TransportError(`not a CTRL command: ${command}`);
    const sp2 = rest.indexOf(' ');
    if (sp2 < 0) throw new TransportError(`SET without a value: ${command}`);
    return (await this.client.set(rest.slice(0, sp2), rest.slice(sp2 + 1))).value;
  }

  async probe(): Promise<void> {
    // any well-formed request proves the HLR is there; an ERROR reply still is an answer
    try {
      await this.client.get('subscriber.by-id-0.msisdn');
    } catch (err) {
      if (!(err instanceof ElementRefusal)) throw err;
    }
  }

  close(): void {
    this.client.close();
  }
}

export interface MobileKeys {
  /** Ki (2G) or K (3G), 32 hex digits. */
  ki: string;
  /** OPc for Milenage (3G/USIM cards); without it the card is a 2G SIM using COMP128v1. */
  opc: string | null;
}

export interface MobileAccess {
  /** Circuit-switched: voice and SMS. */
  cs: boolean;
  /** Packet-switched: data. */
  ps: boolean;
}

export interface MobileStatus {
  exists: boolean;
  imsi: string;
  msisdn: string | null;
  access: MobileAccess | null;
  hlrId: number | null;
  auth: { aud2g: string | null; aud3g: string | null } | null;
}

const IMSI = /^[0-9]{6,15}$/;
const MSISDN = /^[0-9]{1,15}$/;
const HEX32 = /^[0-9A-Fa-f]{32}$/;

const sel = (imsi: string) => `subscriber.by-imsi-${imsi}`;
const isAlreadyExists = (e: unknown) => e instanceof ElementRefusal && /already exists/i.test(e.message);
const isNoSuch = (e: unknown) =>
  e instanceof ElementRefusal && /no such subscriber|doesn't exist/i.test(e.message);

function check(value: string, re: RegExp, what: string): void {
  // a malformed value is refused here with a readable message instead of osmo-hlr's terse one
  if (!re.test(value)) throw new ElementRefusal(`${what} "${value}" is not valid`, 'invalid');
}

/** Access modes as the seed names them: limitation cuts data, suspension cuts everything. */
export const ACCESS = {
  full: { cs: true, ps: true },
  limited: { cs: true, ps: false },
  suspended: { cs: false, ps: false },
} as const satisfies Record<string, MobileAccess>;

export const hlrOps = {
  /** Creates the subscriber from its SIM (IMSI and keys), gives it its number and full access. */
  async activate(
    s: Session,
    p: { imsi: string; msisdn: string; keys: MobileKeys },
  ): Promise<{ imsi: string; msisdn: string; created: boolean }> {
    check(p.imsi, IMSI, 'IMSI');
    check(p.msisdn, MSISDN, 'MSISDN');
    checkKeys(p.keys);
    // The usual case, a new subscriber: create, keys and number go out at once and are answered in
    // one round trip (osmo-hlr runs a connection's commands in order, so the keys and number meet
    // the subscriber just created). Three round trips one after the other left the element idle
    // whenever this process was slow to read a reply and send the next command.
    const keys = keysCommand(p.imsi, p.keys);
    const [create, ...rest] = await Promise.allSettled([
      s.send(`SET subscriber.create ${p.imsi}`),
      s.send(keys.command, { shown: keys.shown }),
      s.send(`SET ${sel(p.imsi)}.msisdn ${p.msisdn}`),
    ]);
    if (create.status === 'rejected') {
      // a transport error re-runs the whole operation; a refusal other than "already exists" is
      // the answer (the keys and number then met no subscriber and were refused too)
      if (!isAlreadyExists(create.reason)) throw create.reason;
      // a re-run after a crash: the subscriber is there; make its keys, number and access match
      // (a fresh subscriber has no keys and full access: only a re-run must clear and reset them)
      await setKeys(s, p.imsi, p.keys, true);
      await s.send(`SET ${sel(p.imsi)}.msisdn ${p.msisdn}`);
      await setAccess(s, p.imsi, ACCESS.full);
      return { imsi: p.imsi, msisdn: p.msisdn, created: false };
    }
    for (const r of rest) if (r.status === 'rejected') throw r.reason;
    return { imsi: p.imsi, msisdn: p.msisdn, created: true };
  },

  /** Removes the subscriber; one already gone is success (the wanted state holds). */
  async deactivate(s: Session, p: { imsi: string }): Promise<{ imsi: string; deleted: boolean }> {
    check(p.imsi, IMSI, 'IMSI');
    try {
      await s.send(`SET subscriber.delete ${p.imsi}`);
      return { imsi: p.imsi, deleted: true };
    } catch (err) {
      if (isNoSuch(err)) return { imsi: p.imsi, deleted: false };
      throw err;
    }
  },

  async setMsisdn(
    s: Session,
    p: { imsi: string; msisdn: string | null },
  ): Promise<{ msisdn: string | null }> {
    check(p.imsi, IMSI, 'IMSI');
    if (p.msisdn !== null) check(p.msisdn, MSISDN, 'MSISDN');
    await s.send(`SET ${sel(p.imsi)}.msisdn ${p.msisdn ?? 'none'}`);
    return { msisdn: p.msisdn };
  },

  /** CS/PS access: limitation, suspension, restoration and temporary changes all come down to this. */
  async setAccess(
    s: Session,
    p: { imsi: string; access: MobileAccess },
  ): Promise<{ before: MobileAccess; access: MobileAccess }> {
    check(p.imsi, IMSI, 'IMSI');
    const before = await readAccess(s, p.imsi);
    await setAccess(s, p.imsi, p.access);
    return { before, access: p.access };
  },

  async status(s: Session, p: { imsi: string }): Promise<MobileStatus> {
    check(p.imsi, IMSI, 'IMSI');
    let info: Record<string, string>;
    try {
      info = parseInfo(await s.send(`GET ${sel(p.imsi)}.info`, { absent: isNoSuch }));
    } catch (err) {
      if (isNoSuch(err))
        return { exists: false, imsi: p.imsi, msisdn: null, access: null, hlrId: null, auth: null };
      throw err;
    }
    // the algorithms only: keys never leave the HLR through this driver, nor reach the journal
    const aud = parseInfo(await s.send(`GET ${sel(p.imsi)}.info-aud`, { hideReply: true }));
    return {
      exists: true,
      imsi: p.imsi,
      msisdn: info.msisdn && info.msisdn !== 'none' ? info.msisdn : null,
      access: { cs: info.nam_cs === '1', ps: info.nam_ps === '1' },
      hlrId: info.id ? Number(info.id) : null,
      auth: { aud2g: aud['aud2g.algo'] ?? null, aud3g: aud['aud3g.algo'] ?? null },
    };
  },

  /**
   * SIM replacement: the new card's IMSI takes over the number. osmo-hlr keeps MSISDNs unique, so
   * the old subscriber lets go of the number before the new one takes it, and is deleted last. Each
   * step tolerates having been done already, so a re-run after a crash at any point converges.
   */
  async simSwap(
    s: Session,
    p: { oldImsi: string; newImsi: string; keys: MobileKeys; msisdn?: string | null },
  ): Promise<{ oldImsi: string; newImsi: string; msisdn: string | null; access: MobileAccess }> {
    check(p.oldImsi, IMSI, 'old IMSI');
    check(p.newImsi, IMSI, 'new IMSI');
    if (p.oldImsi === p.newImsi)
      throw new ElementRefusal('the new SIM has the same IMSI as the old one', 'invalid');
    const old = await hlrOps.status(s, { imsi: p.oldImsi });
    const msisdn = p.msisdn ?? old.msisdn;
    if (!msisdn && !old.exists) {
      // neither the number nor the old subscriber is known: nothing to carry over
      throw new ElementRefusal(`no subscriber with IMSI ${p.oldImsi} and no number given`, 'not_found');
    }
    const created = await createSubscriber(s, p.newImsi);
    await setKeys(s, p.newImsi, p.keys, !created);
    const access = old.access ?? (await readAccess(s, p.newImsi));
    await setAccess(s, p.newImsi, access);
    if (old.exists && old.msisdn) await s.send(`SET ${sel(p.oldImsi)}.msisdn none`);
    if (msisdn) await s.send(`SET ${sel(p.newImsi)}.msisdn ${msisdn}`);
    await hlrOps.deactivate(s, { imsi: p.oldImsi });
    return { oldImsi: p.oldImsi, newImsi: p.newImsi, msisdn: msisdn ?? null, access };
  },
};

async function createSubscriber(s: Session, imsi: string): Promise<boolean> {
  try {
    await s.send(`SET subscriber.create ${imsi}`);
    return true;
  } catch (err) {
    // a re-run after a crash: the subscriber is there, the following SETs make its state match
    if (isAlreadyExists(err)) return false;
    throw err;
  }
}

function checkKeys(keys: MobileKeys): void {
  check(keys.ki, HEX32, 'Ki');
  if (keys.opc) check(keys.opc, HEX32, 'OPc');
}

/** The command that gives a subscriber its keys (3G Milenage with OPc, else 2G COMP128v1), masked for the journal. */
function keysCommand(imsi: string, keys: MobileKeys): { command: string; shown: string } {
  return keys.opc
    ? {
        command: `SET ${sel(imsi)}.aud3g milenage,${keys.ki},opc,${keys.opc}`,
        shown: `SET ${sel(imsi)}.aud3g milenage,<K>,opc,<OPc>`,
      }
    : {
        command: `SET ${sel(imsi)}.aud2g comp128v1,${keys.ki}`,
        shown: `SET ${sel(imsi)}.aud2g comp128v1,<Ki>`,
      };
}

async function setKeys(s: Session, imsi: string, keys: MobileKeys, rerun: boolean): Promise<void> {
  checkKeys(keys);
  // osmo-hlr refuses to remove data that is not there ("Update aud2g failed."): look first on a re-run
  const aud = rerun ? parseInfo(await s.send(`GET ${sel(imsi)}.info-aud`, { hideReply: true })) : {};
  if (keys.opc && aud['aud2g.algo']) await s.send(`SET ${sel(imsi)}.aud2g none`);
  if (!keys.opc && aud['aud3g.algo']) await s.send(`SET ${sel(imsi)}.aud3g none`);
  const c = keysCommand(imsi, keys);
  await s.send(c.command, { shown: c.shown });
}

async function readAccess(s: Session, imsi: string): Promise<MobileAccess> {
  try {
    const info = parseInfo(await s.send(`GET ${sel(imsi)}.info`));
    return { cs: info.nam_cs === '1', ps: info.nam_ps === '1' };
  } catch (err) {
    if (isNoSuch(err)) throw new ElementRefusal(`No such subscriber: IMSI ${imsi}`, 'not_found');
    throw err;
  }
}

async function setAccess(s: Session, imsi: string, a: MobileAccess): Promise<void> {
  await s.send(`SET ${sel(imsi)}.cs-enabled ${a.cs ? 1 : 0}`);
  await s.send(`SET ${sel(imsi)}.ps-enabled ${a.ps ? 1 : 0}`);
}
