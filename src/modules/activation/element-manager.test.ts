import { describe, expect, it } from 'vitest';
import { ElementRefusal, TransportError, type Link } from './drivers/driver.js';
import { ElementManager, type ElementConfig, type JournalEntry } from './element-manager.js';

/** A fake element: answers `ok:<command>`, refuses commands starting with `BAD`, or is down. */
class FakeElement {
  up = true;
  log: string[] = [];
  open = 0;
  link(): Link {
    this.open++;
    return {
      send: async (command: string) => {
        await new Promise((r) => setTimeout(r, 1));
        if (!this.up) throw new TransportError('connection refused');
        this.log.push(command);
        if (command.startsWith('BAD')) throw new ElementRefusal(`refused ${command}`, 'BAD');
        return `ok:${command}`;
      },
      probe: async () => {
        if (!this.up) throw new TransportError('connection refused');
      },
      close: () => undefined,
    };
  }
}

const cfg = (over: Partial<ElementConfig> = {}): ElementConfig => ({
  code: 'E1',
  kind: 'mml_switch',
  host: 'fake',
  port: 1,
  ratePerSecond: 0,
  poolSize: 3,
  timeoutMs: 1000,
  ...over,
});

describe('element manager', () => {
  it('runs the operations of one line in the order asked, lines side by side, at most pool-size connections', async () => {
    const el = new FakeElement();
    const journal: JournalEntry[] = [];
    const m = new ElementManager({ linkFactory: () => el.link(), journal: (e) => journal.push(e) });
    m.configure(cfg());
    await Promise.all(
      ['A', 'B', 'C'].flatMap((line) =>
        [1, 2, 3].map((n) =>
          m.run('E1', line, { lineId: line }, async (s) => {
            await s.send(`${line}${n}-first`);
            await s.send(`${line}${n}-second`);
          }),
        ),
      ),
    );
    for (const line of ['A', 'B', 'C'])
      expect(el.log.filter((c) => c.startsWith(line))).toEqual(
        [1, 2, 3].flatMap((n) => [`${line}${n}-first`, `${line}${n}-second`]),
      );
    expect(el.open).toBeLessThanOrEqual(3);
    expect(journal).toHaveLength(18);
    expect(journal.every((j) => j.outcome === 'ok' && j.elementCode === 'E1')).toBe(true);
    m.close();
  });

  it('a refusal is not retried; secrets are masked in the journal', async () => {
    const el = new FakeElement();
    const journal: JournalEntry[] = [];
    const m = new ElementManager({ linkFactory: () => el.link(), journal: (e) => journal.push(e) });
    m.configure(cfg());
    await expect(m.run('E1', 'L', { lineId: 'L' }, (s) => s.send('BAD thing'))).rejects.toThrow(
      'refused BAD thing',
    );
    expect(el.log).toEqual(['BAD thing']);
    await m.run('E1', 'L', { lineId: 'L' }, (s) =>
      s.send('SET KEY 0011', { shown: 'SET KEY <Ki>', hideReply: true }),
    );
    expect(journal.map((j) => [j.command, j.reply, j.outcome])).toEqual([
      ['BAD thing', 'refused BAD thing', 'refused'],
      ['SET KEY <Ki>', '<1 lines hidden>', 'ok'],
    ]);
    await expect(m.run('NOPE', null, { lineId: null }, (s) => s.send('x'))).rejects.toBeInstanceOf(
      ElementRefusal,
    );
    m.close();
  });

  it('opens the circuit when the element is down, holds requests, and lets them through when it is back', async () => {
    const el = new FakeElement();
    const states: string[] = [];
    const m = new ElementManager({
      linkFactory: () => el.link(),
      retryBaseMs: 1,
      probeMs: 5,
      onCircuit: (_code, state) => states.push(state),
    });
    m.configure(cfg());
    el.up = false;
    const pending = Promise.all(
      [1, 2, 3].map((i) => m.run('E1', `L${i}`, { lineId: `L${i}` }, (s) => s.send(`CMD${i}`))),
    );
    while (m.health()[0]?.circuit !== 'open') await new Promise((r) => setTimeout(r, 2));
    const h = m.health()[0]!;
    expect(h.lastError).toBe('connection refused');
    expect(h.transportErrors).toBeGreaterThanOrEqual(3);
    el.up = true;
    expect(await pending).toEqual(['ok:CMD1', 'ok:CMD2', 'ok:CMD3']);
    expect(states).toEqual(['open', 'closed']);
    expect(m.health()[0]?.circuit).toBe('closed');
    m.close();
  });

  it('throttles: a rate spaces the commands but loses none', async () => {
    const el = new FakeElement();
    const m = new ElementManager({ linkFactory: () => el.link() });
    m.configure(cfg({ ratePerSecond: 500 }));
    const r = await Promise.all(
      Array.from({ length: 20 }, (_, i) => m.run('E1', `L${i}`, { lineId: null }, (s) => s.send(`C${i}`))),
    );
    expect(r).toHaveLength(20);
    expect(new Set(el.log).size).toBe(20);
    m.close();
  });
  it('pipelines up to `pipeline` operations per connection, never more, and keeps each line in order', async () => {
    const el = new FakeElement();
    let inFlight = 0;
    let most = 0;
    const perLink = new Map<Link, number>();
    let mostPerLink = 0;
    const m = new ElementManager({
      linkFactory: () => {
        const link = el.link();
        const counted: Link = {
          ...link,
          send: async (command) => {
            inFlight++;
            perLink.set(counted, (perLink.get(counted) ?? 0) + 1);
            most = Math.max(most, inFlight);
            mostPerLink = Math.max(mostPerLink, perLink.get(counted)!);
            try {
              return await link.send(command);
            } finally {
              inFlight--;
              perLink.set(counted, perLink.get(counted)! - 1);
            }
          },
        };
        return counted;
      },
    });
    m.configure(cfg({ poolSize: 2, pipeline: 3 }));
    const lines = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];
    await Promise.all(
      lines.flatMap((line) =>
        [1, 2, 3].map((n) => m.run('E1', line, { lineId: line }, (s) => s.send(`${line}${n}`))),
      ),
    );
    expect(el.open).toBe(2);
    // 2 connections × 3 operations: six lines at once, three on each connection
    expect(most).toBe(6);
    expect(mostPerLink).toBe(3);
    for (const line of lines)
      expect(el.log.filter((c) => c.startsWith(line))).toEqual([1, 2, 3].map((n) => `${line}${n}`));
    expect(m.health()[0]).toMatchObject({ connections: 2, busyConnections: 0, inFlight: 0, queued: 0 });
  });

  it('health counts the operations in flight on the connections and those queued for a slot', async () => {
    const el = new FakeElement();
    const m = new ElementManager({ linkFactory: () => el.link() });
    m.configure(cfg({ poolSize: 2, pipeline: 2 }));
    const gates: (() => void)[] = [];
    const ops = Array.from({ length: 7 }, (_, i) =>
      m.run('E1', `L${i}`, { lineId: null }, async (s) => {
        await new Promise<void>((r) => gates.push(r));
        return s.send(`C${i}`);
      }),
    );
    while (gates.length < 4) await new Promise((r) => setTimeout(r, 1));
    // 2 connections × 2 in flight; the other three wait for a slot
    expect(m.health()[0]).toMatchObject({ inFlight: 4, queued: 3, busyConnections: 2 });
    while (gates.length < 7 || gates.some(Boolean)) {
      const g = gates.findIndex(Boolean);
      if (g >= 0) {
        gates[g]!();
        delete gates[g];
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(ops);
    expect(m.health()[0]).toMatchObject({ inFlight: 0, queued: 0 });
    m.close();
  });
});
