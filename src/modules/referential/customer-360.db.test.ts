import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { generateCustomers } from '../../demo/generate.js';
import { SYSTEM } from '../../platform/events.js';
import { read360Json, read360Live } from './customer.repository.js';
import type { CustomerCreate } from './referential.schemas.js';

// The 360° is read from customer_360 (migration 0020), kept by triggers: after every kind of write
// it must be, byte for byte, the text the tables render live.

const categories = {
  commercial1: 'RES',
  commercial2: 'STD',
  collection: 'STANDARD',
  accounting: 'PART',
  tax: 'TVA18',
};
const address = { number: '1', street: 'Rue 1', district: 'Plateau', locality: 'Dakar', postalCode: '10000' };

describe('customer 360° document', { timeout: 120_000 }, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    // The bulk load renders the documents itself, once per customer (replica mode, deferred triggers).
    await generateCustomers(t.tdb.pool, 600, undefined, { concurrency: 2, batchSize: 200 });
  }, 120_000);
  afterAll(async () => t?.close());

  const create = (over: Partial<CustomerCreate> = {}) =>
    t.app.referential.customers.create(
      { kind: 'person', lastName: 'Sow', firstNames: 'Awa', address, categories, ...over } as CustomerCreate,
      SYSTEM,
    );

  /** Codes of the customers whose stored document differs from the live rendering (or is missing). */
  const stale = async (): Promise<string[]> => {
    const codes = (await t.tdb.pool.query<{ code: string }>('SELECT code FROM customer ORDER BY id')).rows;
    const out: string[] = [];
    for (const { code } of codes) {
      const [stored, live] = [await read360Json(t.tdb.db, { code }), await read360Live(t.tdb.db, { code })];
      if (live === null || stored !== live) out.push(code);
    }
    return out;
  };

  it('holds the live text for every customer of the bulk load, by code and by id', async () => {
    const n = await t.tdb.pool.query<{ customers: string; docs: string }>(
      'SELECT (SELECT count(*) FROM customer) AS customers, (SELECT count(*) FROM customer_360) AS docs',
    );
    expect(Number(n.rows[0]?.customers)).toBeGreaterThanOrEqual(600);
    expect(n.rows[0]?.docs).toBe(n.rows[0]?.customers);
    expect(await stale()).toEqual([]);
    const one = (
      await t.tdb.pool.query<{ id: number; code: string }>('SELECT id, code FROM customer LIMIT 1')
    ).rows[0] as { id: number; code: string };
    const byId = await read360Json(t.tdb.db, { id: Number(one.id) });
    expect(byId).toBe(await read360Json(t.tdb.db, { code: one.code }));
    expect(JSON.parse(byId ?? 'null').customer.code).toBe(one.code);
    expect(await read360Json(t.tdb.db, { code: 'C99999999' })).toBeNull();
  });

  it('follows customer, payer, user and subscription writes', async () => {
    const c = await create({ nickname: 'Awa la grande', phones: ['+221 77 111 22 33'] });
    const code = c.code;
    const doc = async () => JSON.parse((await read360Json(t.tdb.db, { code })) ?? 'null');
    expect((await doc()).payers).toHaveLength(1);

    await t.app.referential.customers.update(code, { nickname: 'Awa', email: 'awa@example.sn' }, SYSTEM);
    const payer = await t.app.referential.payers.createPayer(code, { name: 'Agence Thiès' }, SYSTEM);
    await t.app.referential.payers.updatePayer(
      payer.id,
      { paymentMethod: 'mobile_money', mobileMoneyNumber: '+221 77 000 00 01' },
      SYSTEM,
    );
    const user = await t.app.referential.payers.createUser(
      code,
      { lastName: 'Diop', firstNames: 'Moussa' },
      SYSTEM,
    );
    await t.app.referential.payers.updateUser(user.id, { phone: '+221 77 000 00 02' }, SYSTEM);
    const sub = await t.app.referential.subscriptions.create(
      code,
      { productCode: 'MOBILE-POST', userId: user.id, directoryNumber: '771234000' },
      SYSTEM,
    );
    await t.app.referential.subscriptions.changeStatus(sub.id, { status: 'active' }, SYSTEM);
    await t.app.referential.subscriptions.movePayer(sub.id, payer.id, SYSTEM);
    await t.app.referential.subscriptions.changeStatus(
      sub.id,
      { status: 'suspended', reason: 'impayé' },
      SYSTEM,
    );

    const d = await doc();
    expect(d.customer).toMatchObject({ nickname: 'Awa', email: 'awa@example.sn' });
    expect(d.payers.map((p: { name: string }) => p.name)).toContain('Agence Thiès');
    expect(d.users).toEqual([expect.objectContaining({ id: user.id, phone: '+221770000002' })]);
    expect(d.subscriptions).toEqual([
      expect.objectContaining({ id: sub.id, status: 'suspended', payerId: payer.id }),
    ]);
    expect(d.events.length).toBeGreaterThan(5);
    expect(await stale()).toEqual([]);
  });

  it('follows direct edits of what a document shows from the catalogue and categories', async () => {
    const c = await create({ categories: { ...categories, commercial2: 'GOLD' } });
    await t.app.referential.subscriptions.create(c.code, { productCode: 'MOBILE-PREP' }, SYSTEM);
    await t.tdb.pool.query("UPDATE category SET code = 'GOLD2' WHERE kind = 'commercial2' AND code = 'GOLD'");
    await t.tdb.pool.query(
      "UPDATE product SET name = name || ' (nouvelle offre)' WHERE code = 'MOBILE-PREP'",
    );
    await t.tdb.pool.query(
      "UPDATE product_version SET version = version + 100 WHERE product_id = (SELECT id FROM product WHERE code = 'MOBILE-PREP')",
    );
    const d = JSON.parse((await read360Json(t.tdb.db, { code: c.code })) ?? 'null');
    expect(d.customer.categories.commercial2).toBe('GOLD2');
    expect(d.subscriptions[0].product.name).toMatch(/\(nouvelle offre\)$/);
    expect(await stale()).toEqual([]);
  });

  it('follows a multi-row update, a bare insert, and drops the document of a deleted customer', async () => {
    const a = await create({ lastName: 'Ba' });
    const b = await create({ lastName: 'Fall' });
    await t.tdb.pool.query(`UPDATE customer SET nickname = 'lot' WHERE id IN ($1, $2)`, [a.id, b.id]);
    expect(JSON.parse((await read360Json(t.tdb.db, { code: b.code })) ?? 'null').customer.nickname).toBe(
      'lot',
    );
    // A customer without payers, users or subscriptions (a direct insert, not the API) has one too.
    const bare = await t.tdb.pool.query<{ id: number; code: string }>(
      `INSERT INTO customer (code, kind, last_name, first_names, address, commercial1_id, commercial2_id, collection_id,
         accounting_id, tax_id)
       SELECT 'C90000001', 'person', 'Nul', 'Ami', '{}', commercial1_id, commercial2_id, collection_id, accounting_id, tax_id
       FROM customer WHERE id = $1 RETURNING id, code`,
      [a.id],
    );
    const bareCode = bare.rows[0]?.code as string;
    expect(await read360Json(t.tdb.db, { code: bareCode })).toBe(
      await read360Live(t.tdb.db, { code: bareCode }),
    );
    await t.tdb.pool
      .query('DELETE FROM event WHERE customer_id = $1', [bare.rows[0]?.id])
      .catch(() => undefined);
    await t.tdb.pool.query('DELETE FROM customer_search WHERE customer_id = $1', [bare.rows[0]?.id]);
    await t.tdb.pool.query('DELETE FROM customer WHERE id = $1', [bare.rows[0]?.id]);
    expect(await read360Json(t.tdb.db, { code: bareCode })).toBeNull();
    expect(await stale()).toEqual([]);
    // A customer written without its document (triggers off): the service renders it live.
    await t.tdb.pool.query('DELETE FROM customer_360 WHERE customer_id = $1', [a.id]);
    expect(await read360Json(t.tdb.db, { code: a.code })).toBeNull();
    expect(await t.app.referential.customers.view360Json(a.code)).toBe(
      await read360Live(t.tdb.db, { code: a.code }),
    );
  });
});
