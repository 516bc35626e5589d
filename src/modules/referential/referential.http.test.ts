import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { Customer360View } from './referential.schemas.js';

// The 360° is checked against its documented schema; its times are what Date.toISOString() writes.
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set('date-time', (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v));
if (!FormatRegistry.Has('date')) FormatRegistry.Set('date', (v) => /^\d{4}-\d{2}-\d{2}$/.test(v));

const person = (over: Record<string, unknown> = {}) => ({
  kind: 'person',
  title: 'Mme',
  lastName: "N'Diaye",
  firstNames: 'Aïssatou',
  birthDate: '1985-04-12',
  idDocument: { type: 'national_id', number: '1 234 5678 90123' },
  address: {
    number: '12',
    street: 'Rue Carnot',
    district: 'Plateau',
    locality: 'Dakar',
    postalCode: '10000',
  },
  phones: ['+221 77 123 45 67'],
  email: 'aissatou@example.sn',
  categories: {
    commercial1: 'RES',
    commercial2: 'STD',
    collection: 'STANDARD',
    accounting: 'PART',
    tax: 'TVA18',
  },
  ...over,
});

describe('referential over HTTP', () => {
  let t: TestApp;
  let agent: string;
  beforeAll(async () => {
    t = await createTestApp();
    agent = await t.login('commercial');
  });
  afterAll(async () => t?.close());

  it('creates a customer with a code for life, a default payer and a creation event', async () => {
    const res = await t.call('POST', '/api/v1/customers', agent, person());
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c.code).toMatch(/^C[0-9]{8}$/);
    expect(res.headers.location).toBe(`/api/v1/customers/${c.code}`);
    expect(c.categories).toEqual({
      commercial1: 'RES',
      commercial2: 'STD',
      collection: 'STANDARD',
      accounting: 'PART',
      tax: 'TVA18',
    });
    expect(c.phones).toEqual(['+221771234567']);
    const view = (await t.call('GET', `/api/v1/customers/${c.code}`, agent)).json();
    expect(view.payers).toHaveLength(1);
    expect(view.payers[0]).toMatchObject({
      isDefault: true,
      paymentMethod: 'cash',
      name: "Mme Aïssatou N'Diaye",
    });
    expect(view.events.map((e: { kind: string }) => e.kind)).toEqual(['payer.created', 'customer.created']);
  });

  it('never reuses a customer code', async () => {
    const a = (await t.call('POST', '/api/v1/customers', agent, person())).json();
    const b = (await t.call('POST', '/api/v1/customers', agent, person())).json();
    expect(a.code).not.toBe(b.code);
    expect(Number(b.code.slice(1))).toBeGreaterThan(Number(a.code.slice(1)));
  });

  it('rejects bad input with problem+json naming the field and writes nothing', async () => {
    const before = (
      await t.tdb.db
        .selectFrom('customer')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n;
    const cases: [Record<string, unknown>, string][] = [
      [person({ lastName: undefined }), 'lastName'],
      [
        person({
          categories: {
            commercial1: 'NOPE',
            commercial2: 'STD',
            collection: 'STANDARD',
            accounting: 'PART',
            tax: 'TVA18',
          },
        }),
        'categories.commercial1',
      ],
      [person({ address: { street: 'x' } }), 'address.locality'],
      [person({ email: 'not-an-email' }), 'email'],
      [person({ birthDate: '2999-01-01' }), 'birthDate'],
      [person({ surname: 'x' }), 'surname'],
      [{ ...person(), kind: 'organisation', companyName: undefined }, 'companyName'],
    ];
    for (const [body, field] of cases) {
      const res = await t.call('POST', '/api/v1/customers', agent, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().field).toBe(field);
    }
    const after = (
      await t.tdb.db
        .selectFrom('customer')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n;
    expect(after).toBe(before);
  });

  it('finds customers by code, phone, document and name fragment in any order without accents', async () => {
    const c = (
      await t.call(
        'POST',
        '/api/v1/customers',
        agent,
        person({
          lastName: 'Guèye',
          firstNames: 'Mamadou Lamine',
          phones: ['77 999 88 77'],
          idDocument: { type: 'passport', number: 'A-998877' },
        }),
      )
    ).json();
    const search = async (qs: string) =>
      (await t.call('GET', `/api/v1/customers?${qs}`, agent))
        .json()
        .items.map((x: { code: string }) => x.code);
    expect(await search(`q=${c.code}`)).toEqual([c.code]);
    expect(await search('q=779998877')).toContain(c.code);
    expect(await search('document=a998877')).toEqual([c.code]);
    expect(await search(`q=${encodeURIComponent('lamine gueye')}`)).toContain(c.code);
    expect(await search(`name=${encodeURIComponent('GUEYE mam')}`)).toContain(c.code);
    expect(await search('name=zzzzqqq')).toEqual([]);
  });

  it('paginates search results with a cursor', async () => {
    for (let i = 0; i < 5; i++)
      await t.call(
        'POST',
        '/api/v1/customers',
        agent,
        person({ lastName: 'Paginé', firstNames: `Test${i}` }),
      );
    const first = (await t.call('GET', '/api/v1/customers?name=pagine&limit=2', agent)).json();
    expect(first.items).toHaveLength(2);
    const second = (
      await t.call('GET', `/api/v1/customers?name=pagine&limit=2&cursor=${first.nextCursor}`, agent)
    ).json();
    expect(second.items).toHaveLength(2);
    expect(second.items[0].id).toBeGreaterThan(first.items[1].id);
    const bad = await t.call('GET', '/api/v1/customers?name=pagine&cursor=garbage', agent);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('cursor');
  });

  it('updates a customer, records before/after, and refuses a stale version', async () => {
    const c = (await t.call('POST', '/api/v1/customers', agent, person())).json();
    const res = await t.call('PATCH', `/api/v1/customers/${c.code}`, agent, {
      nickname: 'Tata',
      version: 1,
      categories: { commercial2: 'GOLD' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ nickname: 'Tata', version: 2, categories: { commercial2: 'GOLD' } });
    const byNickname = (await t.call('GET', '/api/v1/customers?name=tata', agent)).json().items;
    expect(byNickname.map((x: { code: string }) => x.code)).toContain(c.code);
    const stale = await t.call('PATCH', `/api/v1/customers/${c.code}`, agent, {
      nickname: 'Other',
      version: 1,
    });
    expect(stale.statusCode).toBe(409);
    const events = (await t.call('GET', `/api/v1/customers/${c.code}/events`, agent)).json().items;
    expect(events[0].kind).toBe('customer.updated');
    expect(events[0].payload.changes.nickname).toEqual({ before: null, after: 'Tata' });
    expect(events[0].payload.changes.categories.after.commercial2).toBe('GOLD');
  });
  it('answers the 360° as the documented JSON, field for field the same as the single reads', async () => {
    const created = (await t.call('POST', '/api/v1/customers', agent, person())).json();
    const code = created.code as string;
    const user = (
      await t.call('POST', `/api/v1/customers/${code}/users`, agent, {
        lastName: 'Diop',
        firstNames: 'Moussa',
        phone: '+221 77 000 11 22',
      })
    ).json();
    const sub = (
      await t.call('POST', `/api/v1/customers/${code}/subscriptions`, agent, {
        productCode: 'MOBILE-POST',
        userId: user.id,
        directoryNumber: '771119999',
      })
    ).json();
    const patched = (
      await t.call('PATCH', `/api/v1/customers/${code}`, agent, { nickname: 'Aïcha', idDocument: null })
    ).json();
    const org = (
      await t.call('POST', '/api/v1/customers', agent, {
        ...person({ title: undefined, lastName: undefined, firstNames: undefined, birthDate: undefined }),
        kind: 'organisation',
        companyName: 'Boulangerie du Port',
      })
    ).json();

    const res = await t.call('GET', `/api/v1/customers/${code}`, agent);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const view = res.json();
    expect([...Value.Errors(Customer360View, view)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
    // the same customer, payers, users, subscriptions and events as the reads built in Node
    expect(view.customer).toEqual(patched);
    expect(view.customer.idDocument).toBeNull();
    expect(view.payers).toEqual((await t.call('GET', `/api/v1/customers/${code}/payers`, agent)).json());
    expect(view.users).toEqual((await t.call('GET', `/api/v1/customers/${code}/users`, agent)).json());
    const {
      statusHistory: _s,
      payerHistory: _p,
      ...single
    } = (await t.call('GET', `/api/v1/subscriptions/${sub.id}`, agent)).json();
    expect(view.subscriptions).toEqual([single]);
    const timeline = (await t.call('GET', `/api/v1/customers/${code}/events`, agent)).json().items;
    expect(view.events.map((e: { id: number }) => e.id)).toEqual(timeline.map((e: { id: number }) => e.id));
    // payloads without their before/after snapshots; the changes stay
    const created360 = view.events.find((e: { kind: string }) => e.kind === 'customer.created');
    const createdFull = timeline.find((e: { kind: string }) => e.kind === 'customer.created');
    expect(createdFull.payload.after.code).toBe(code);
    expect(created360).toEqual({ ...createdFull, payload: {} });
    const updated360 = view.events.find((e: { kind: string }) => e.kind === 'customer.updated');
    expect(updated360.payload.changes.nickname).toEqual({ before: null, after: 'Aïcha' });
    // by internal id too; an organisation's display name is its company name
    expect((await t.call('GET', `/api/v1/customers/${created.id}`, agent)).json().customer.code).toBe(code);
    const orgView = (await t.call('GET', `/api/v1/customers/${org.code}`, agent)).json();
    expect(Value.Check(Customer360View, orgView)).toBe(true);
    expect(orgView.customer).toEqual(org);
    expect(orgView.customer.displayName).toBe('Boulangerie du Port');
    const missing = await t.call('GET', '/api/v1/customers/C99999999', agent);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('customer.not_found');
  });
});
