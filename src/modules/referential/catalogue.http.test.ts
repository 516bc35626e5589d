import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';

describe('catalogue, categories and blacklist', () => {
  let t: TestApp;
  let admin: string;
  let agent: string;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.login('admin');
    agent = await t.login('commercial');
  });
  afterAll(async () => t?.close());

  it('versions prices: a new version applies to new subscriptions, old ones keep theirs', async () => {
    const p = await t.call('POST', '/api/v1/products', admin, {
      code: 'fibre-100',
      name: 'Fibre 100 Mb/s',
      kind: 'fixed_wired',
      price: { oneOffPrice: 30000, recurringPrice: 20000, deposits: { RES: 25000, '*': 40000 } },
    });
    expect(p.statusCode).toBe(201);
    expect(p.json()).toMatchObject({
      code: 'FIBRE-100',
      current: { version: 1, recurringPrice: 20000, currency: 'XOF', deposits: { RES: 25000, '*': 40000 } },
    });
    const c = (
      await t.call('POST', '/api/v1/customers', agent, {
        kind: 'person',
        lastName: 'Ba',
        firstNames: 'Khady',
        address: { street: 'Rue 1', locality: 'Dakar' },
        categories: {
          commercial1: 'RES',
          commercial2: 'STD',
          collection: 'STANDARD',
          accounting: 'PART',
          tax: 'TVA18',
        },
      })
    ).json();
    const s1 = (
      await t.call('POST', `/api/v1/customers/${c.code}/subscriptions`, agent, { productCode: 'FIBRE-100' })
    ).json();
    const v2 = await t.call('POST', '/api/v1/products/FIBRE-100/versions', admin, {
      oneOffPrice: 30000,
      recurringPrice: 18000,
    });
    expect(v2.json().current.version).toBe(2);
    const s2 = (
      await t.call('POST', `/api/v1/customers/${c.code}/subscriptions`, agent, { productCode: 'FIBRE-100' })
    ).json();
    expect(s1.product.version).toBe(1);
    expect(s2.product.version).toBe(2);
    expect((await t.call('GET', `/api/v1/subscriptions/${s1.id}`, agent)).json().product.version).toBe(1);
    // a future version is not in force yet
    await t.call('POST', '/api/v1/products/FIBRE-100/versions', admin, {
      oneOffPrice: 1,
      recurringPrice: 1,
      validFrom: '2999-01-01T00:00:00Z',
    });
    expect((await t.call('GET', '/api/v1/products/FIBRE-100', agent)).json().current.version).toBe(2);
  });

  it('refuses options without target kinds, duplicate codes, and options on options', async () => {
    const base = { name: 'x', price: { oneOffPrice: 0, recurringPrice: 0 } };
    expect(
      (await t.call('POST', '/api/v1/products', admin, { ...base, code: 'OPT-X', kind: 'option' })).json()
        .field,
    ).toBe('appliesTo');
    expect(
      (
        await t.call('POST', '/api/v1/products', admin, {
          ...base,
          code: 'OPT-Y',
          kind: 'option',
          appliesTo: ['option'],
        })
      ).json().field,
    ).toBe('appliesTo');
    expect(
      (await t.call('POST', '/api/v1/products', admin, { ...base, code: 'FIXE', kind: 'fixed_wired' }))
        .statusCode,
    ).toBe(409);
  });

  it('manages the five category lists with their kind-specific data', async () => {
    const acc = await t.call('POST', '/api/v1/categories', admin, {
      kind: 'accounting',
      code: 'ong',
      label: 'ONG',
      collectiveAccount: '411400',
    });
    expect(acc.json()).toMatchObject({ kind: 'accounting', code: 'ONG', collectiveAccount: '411400' });
    expect(
      (
        await t.call('POST', '/api/v1/categories', admin, { kind: 'accounting', code: 'X1', label: 'x' })
      ).json().field,
    ).toBe('collectiveAccount');
    expect(
      (
        await t.call('POST', '/api/v1/categories', admin, {
          kind: 'commercial1',
          code: 'X2',
          label: 'x',
          taxes: [],
        })
      ).json().field,
    ).toBe('taxes');
    const tax = await t.call('POST', '/api/v1/categories', admin, {
      kind: 'tax',
      code: 'TVA10',
      label: 'TVA réduite',
      taxExempt: false,
      taxes: [{ code: 'TVA', label: 'TVA', rateBasisPoints: 1000 }],
    });
    expect(tax.json().taxes[0].rateBasisPoints).toBe(1000);
    expect(
      (
        await t.call('POST', '/api/v1/categories', admin, {
          kind: 'tax',
          code: 'EXO2',
          label: 'x',
          taxExempt: true,
          taxes: [{ code: 'TVA', label: 'TVA', rateBasisPoints: 1800 }],
        })
      ).json().field,
    ).toBe('taxes');
    const list = (await t.call('GET', '/api/v1/categories?kind=accounting', agent)).json();
    expect(list.map((c: { code: string }) => c.code)).toContain('ONG');
    // a withdrawn category can no longer be given to a customer
    await t.call('PATCH', `/api/v1/categories/${acc.json().id}`, admin, { active: false });
    const res = await t.call('POST', '/api/v1/customers', agent, {
      kind: 'organisation',
      companyName: 'ONG Espoir',
      address: { street: 'Rue 3', locality: 'Kaolack' },
      categories: {
        commercial1: 'PRO',
        commercial2: 'STD',
        collection: 'STANDARD',
        accounting: 'ONG',
        tax: 'EXO',
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('categories.accounting');
    // every customer has exactly one value of each kind: a missing kind is refused
    const missing = await t.call('POST', '/api/v1/customers', agent, {
      kind: 'organisation',
      companyName: 'ONG Espoir',
      address: { street: 'Rue 3', locality: 'Kaolack' },
      categories: { commercial1: 'PRO', commercial2: 'STD', collection: 'STANDARD', tax: 'EXO' },
    });
    expect(missing.json().field).toBe('categories.accounting');
  });

  it('matches the blacklist on customer code, identity document and normalised name, until lifted', async () => {
    const supervisor = await t.login('supervisor');
    const c = (
      await t.call('POST', '/api/v1/customers', agent, {
        kind: 'person',
        lastName: "M'Baye",
        firstNames: 'Cheikh',
        idDocument: { type: 'national_id', number: '1-751-1990-00123' },
        address: { street: 'Rue 1', locality: 'Dakar' },
        categories: {
          commercial1: 'RES',
          commercial2: 'STD',
          collection: 'STANDARD',
          accounting: 'PART',
          tax: 'TVA18',
        },
      })
    ).json();
    expect(
      (await t.call('GET', `/api/v1/customers/${c.code}/blacklist-check`, agent)).json().blacklisted,
    ).toBe(false);
    const byDoc = (
      await t.call('POST', '/api/v1/blacklist', supervisor, {
        idDocumentNumber: '1751199000123',
        reason: 'Impayés 2024',
      })
    ).json();
    const check = (await t.call('GET', `/api/v1/customers/${c.code}/blacklist-check`, agent)).json();
    expect(check.blacklisted).toBe(true);
    expect(check.matches[0].matchedOn).toEqual(['idDocumentNumber']);
    await t.call('POST', `/api/v1/blacklist/${byDoc.id}/lift`, supervisor, { reason: 'dette soldée' });
    expect(
      (await t.call('GET', `/api/v1/customers/${c.code}/blacklist-check`, agent)).json().blacklisted,
    ).toBe(false);
    expect(
      (await t.call('POST', `/api/v1/blacklist/${byDoc.id}/lift`, supervisor, { reason: 'again' }))
        .statusCode,
    ).toBe(409);
    // by name, accents, apostrophes and word order ignored
    await t.call('POST', '/api/v1/blacklist', supervisor, {
      name: 'MBAYE Cheikh',
      reason: 'Fraude à la souscription',
    });
    expect(
      (await t.call('GET', `/api/v1/customers/${c.code}/blacklist-check`, agent)).json().matches[0].matchedOn,
    ).toEqual(['name']);
    expect(
      (await t.call('POST', '/api/v1/blacklist/check', agent, { name: 'cheikh mbaye' })).json().blacklisted,
    ).toBe(false);
    expect(
      (await t.call('POST', '/api/v1/blacklist/check', agent, { name: 'Mbaye  cheikh' })).json().blacklisted,
    ).toBe(true);
    // by customer code
    await t.call('POST', '/api/v1/blacklist', supervisor, {
      customerCode: c.code.toLowerCase(),
      reason: 'Litige',
    });
    const all = (await t.call('GET', `/api/v1/customers/${c.code}/blacklist-check`, agent)).json();
    expect(all.matches.flatMap((m: { matchedOn: string[] }) => m.matchedOn).sort()).toEqual([
      'customerCode',
      'name',
    ]);
    expect(
      (
        await t.call('POST', '/api/v1/blacklist', supervisor, { customerCode: 'C99999999', reason: 'x' })
      ).json().field,
    ).toBe('customerCode');
    expect(
      (await t.call('GET', '/api/v1/blacklist?includeLifted=true', supervisor)).json().items,
    ).toHaveLength(3);
  });
});
