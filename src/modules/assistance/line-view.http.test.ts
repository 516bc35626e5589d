import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../platform/events.js';
import {
  assistanceWorld,
  buildLine,
  type AssistanceWorld,
  type BuiltLine,
} from './assistance.test-fixtures.js';
import { ACCOUNT_ENTRIES, HISTORY_SHOWN, READINGS_SHOWN } from './line-view.service.js';

// The consultation reads the other modules' records through their embedded SQL in one statement:
// these tests hold it to what those modules' own calls answer.
describe('line consultation: one read of every module', () => {
  let w: AssistanceWorld;
  let a: BuiltLine;
  let b: BuiltLine;
  let care: string;
  beforeAll(async () => {
    w = await assistanceWorld();
    a = await buildLine(w, 'Faye');
    b = await buildLine(w, 'Gueye');
    care = await w.t.login('care');
  });
  afterAll(async () => w?.close());

  const call = (...args: Parameters<AssistanceWorld['t']['call']>) => w.t.call(...args);
  const view = async (n: string) => {
    const res = await call('GET', `/api/v1/lines/${n}`, care);
    expect(res.statusCode).toBe(200);
    return res.json();
  };

  it('shows the technical file the inventory reads, with its history', async () => {
    const tf = await w.t.app.inventory.service.line(a.number);
    const v = await view(a.number);
    expect(v.technicalFile).toEqual({
      kind: tf.kind,
      status: tf.status,
      product: tf.product,
      requestRef: tf.requestRef,
      address: tf.address,
      chain: tf.chain,
      createdAt: tf.createdAt.toISOString(),
      history: tf.history.map((h) => ({ ...h, at: h.at.toISOString() })),
    });
    expect(v.technicalFile.history.length).toBeGreaterThan(0);
    expect(v.technicalFile.chain.distributionPair).toEqual(a.distributionPair);
  });

  it('finds an open incident by a pair of the line’s chain, not only by the lines it flagged', async () => {
    const network = await w.t.login('network');
    const opened = await call('POST', '/api/v1/incidents', network, {
      scope: 'pair_range',
      cable: a.distributionPair.cable,
      from: a.distributionPair.number,
      to: a.distributionPair.number,
      description: 'paire coupée',
    });
    expect(opened.statusCode).toBe(201);
    const inc = opened.json();
    expect(inc.lines).toEqual([a.number]);
    expect((await view(a.number)).incident).toEqual({ id: inc.id, number: inc.number });
    // an incident that knows the pair but not (or no longer) the line still covers it
    await sql`UPDATE asst_incident SET lines = '{}' WHERE id = ${inc.id}`.execute(w.t.tdb.db);
    expect((await view(a.number)).incident).toEqual({ id: inc.id, number: inc.number });
    expect((await view(b.number)).incident).toBeNull();
    const repaired = await call('POST', `/api/v1/incidents/${inc.number}/repair`, network, {
      report: 'paire remplacée',
    });
    expect(repaired.statusCode).toBe(200);
    expect((await view(a.number)).incident).toBeNull();
  });

  it('shows the balance of the whole account and its last entries only', async () => {
    const ledger = w.t.app.billing.ledger;
    const invoices = ACCOUNT_ENTRIES + 5;
    for (let i = 1; i <= invoices; i++)
      await w.t.tdb.db.transaction().execute((trx) =>
        ledger.issueInvoice(
          trx,
          {
            payerId: b.payerId,
            customerId: b.customerId,
            kind: 'one_off',
            lines: [{ label: `Frais ${i}`, quantity: 1, unitPrice: 100 * i }],
            taxes: [],
            source: { type: 'test', id: `acc-${i}` },
            dueDays: 30,
            lineId: b.number,
            at: new Date(),
          },
          SYSTEM,
        ),
      );
    const all = await ledger.entries(b.payerId);
    expect(all.length).toBeGreaterThan(ACCOUNT_ENTRIES);
    const v = await view(b.number);
    expect(v.account.balance).toEqual(await ledger.balance(b.payerId));
    expect(v.account.balance.receivable).toBe((100 * invoices * (invoices + 1)) / 2);
    expect(v.account.entriesTotal).toBe(all.length);
    expect(v.account.entriesShown).toBe(ACCOUNT_ENTRIES);
    // the most recent invoices, newest first, as the billing ledger recorded them
    const shown = all.slice(-ACCOUNT_ENTRIES).filter((e) => e.kind === 'invoice');
    expect(v.account.invoices.map((x: { invoiceId: number }) => x.invoiceId)).toEqual(
      shown.map((e) => e.invoiceId).reverse(),
    );
    expect(v.account.invoices[0]).toMatchObject({ total: 100 * invoices, status: 'open' });
  });

  it('shows the last events and readings and pages the older ones', async () => {
    const reads = READINGS_SHOWN + 7;
    for (let i = 1; i <= reads; i++) {
      w.sim.lines.get(a.number)!.meter = 1000 + i;
      const r = await call('POST', `/api/v1/lines/${a.number}/meter-readings`, care);
      expect(r.statusCode).toBe(201);
    }
    const v = await view(a.number);
    expect(v.history).toHaveLength(HISTORY_SHOWN);
    expect(v.consumption.readings).toHaveLength(READINGS_SHOWN);
    // the newest reading last (the chart's order), the oldest shown is the 8th taken
    expect(v.consumption.readings.at(-1).meterIndex).toBe(1000 + reads);
    expect(v.consumption.readings[0].meterIndex).toBe(1000 + reads - READINGS_SHOWN + 1);

    // every event of the line, newest first, across pages: the view's first page, then the rest
    const all: { id: number; kind: string }[] = [];
    let cursor: string | undefined;
    do {
      const res = await call(
        'GET',
        `/api/v1/lines/${a.number}/events?limit=20${cursor ? `&cursor=${cursor}` : ''}`,
        care,
      );
      expect(res.statusCode).toBe(200);
      const page = res.json();
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(all.slice(0, HISTORY_SHOWN)).toEqual(v.history);
    expect(all.filter((e) => e.kind === 'line.meter_read')).toHaveLength(reads);
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((x, y) => y - x));
    const rest = (
      await call('GET', `/api/v1/lines/${a.number}/events?cursor=${v.historyNextCursor}&limit=200`, care)
    ).json();
    expect(rest.items).toEqual(all.slice(HISTORY_SHOWN));

    const older = (
      await call('GET', `/api/v1/lines/${a.number}/meter-readings?cursor=${v.consumption.nextCursor}`, care)
    ).json();
    expect(older.items.map((r: { meterIndex: number }) => r.meterIndex)).toEqual(
      [7, 6, 5, 4, 3, 2, 1].map((i) => 1000 + i),
    );
    expect(older.nextCursor).toBeUndefined();
  });

  it('refuses a forged cursor and answers 404 for a number never assigned', async () => {
    const bad = await call('GET', `/api/v1/lines/${a.number}/meter-readings?cursor=WzEsMl0`, care);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('request.invalid');
    expect((await call('GET', '/api/v1/lines/339999999/events', care)).json().code).toBe('line.not_found');
    expect(
      (await call('GET', `/api/v1/lines/${a.number}/events`, await w.t.login('enquiries'))).statusCode,
    ).toBe(403);
  });

  // The technical file is a second statement, read only for a line with a live one: the view must
  // still answer as one read would (the first open incident by id, by lines or by pairs).
  it('shows the first open incident, by lines or by pairs, and no technical file once it has ceased', async () => {
    const network = await w.t.login('network');
    const open = async (l: BuiltLine) => {
      const r = await call('POST', '/api/v1/incidents', network, {
        scope: 'pair_range',
        cable: l.distributionPair.cable,
        from: l.distributionPair.number,
        to: l.distributionPair.number,
        description: 'paire coupée',
      });
      expect(r.statusCode).toBe(201);
      return r.json() as { id: number; number: string; lines: string[] };
    };
    const x = await open(a);
    const y = await open(b);
    expect(x.id).toBeLessThan(y.id);
    // x covers a by its pair only, y names a among its lines: the older one is shown
    await sql`UPDATE asst_incident SET lines = '{}' WHERE id = ${x.id}`.execute(w.t.tdb.db);
    await sql`UPDATE asst_incident SET lines = ${[a.number, b.number]}::text[] WHERE id = ${y.id}`.execute(
      w.t.tdb.db,
    );
    expect((await view(a.number)).incident).toEqual({ id: x.id, number: x.number });
    expect((await view(b.number)).incident).toEqual({ id: y.id, number: y.number });

    // a ceased technical file is not shown, and its pairs no longer tie the line to an incident
    await sql`UPDATE inv_line SET status = 'ceased' WHERE directory_number = ${a.number}`.execute(w.t.tdb.db);
    const v = await view(a.number);
    expect(v.technicalFile).toBeNull();
    expect(v.incident).toEqual({ id: y.id, number: y.number });
    expect(v.status).toMatchObject({ available: true, source: 'switch' });
    expect(v.customer.id).toBe(a.customerId);
    await sql`UPDATE asst_incident SET lines = '{}' WHERE id = ${y.id}`.execute(w.t.tdb.db);
    expect((await view(a.number)).incident).toBeNull();
    expect((await view(b.number)).incident).toEqual({ id: y.id, number: y.number });
  });
});
