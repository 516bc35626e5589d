import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { createUser } from '../../platform/auth/auth.service.js';
import { SYSTEM } from '../../platform/events.js';
import { generateCustomers } from '../../demo/generate.js';
import { generateListings } from '../../demo/listings.js';
import type { Listing } from './listing.service.js';
import type { SearchItem } from './search.service.js';

let t: TestApp;
let admin: string;
let enquiries: string;
let switching: string;
const made: Record<string, Listing> = {};

const HEADER =
  'directory,last_name,first_names,title,nickname,company,heading,street_number,street,locality,postal_code,number,unlisted';

async function create(key: string, body: Record<string, unknown>): Promise<Listing> {
  const res = await t.call('POST', '/api/v1/directory/listings', admin, body);
  expect(res.statusCode, res.body).toBe(201);
  made[key] = res.json() as Listing;
  return made[key];
}

async function search(token: string, params: Record<string, string>): Promise<SearchItem[]> {
  const res = await t.call(
    'GET',
    `/api/v1/directory/search?${new URLSearchParams(params).toString()}`,
    token,
  );
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { items: SearchItem[] }).items;
}
const codes = (items: SearchItem[]) => items.map((i) => i.code);

beforeAll(async () => {
  t = await createTestApp();
  await generateCustomers(t.tdb.pool, 400);
  await generateListings(t.tdb.pool);
  admin = await t.login('admin');
  enquiries = await t.login('enquiries');
  switching = await t.login('switching');
  await create('gueye', {
    directory: 'alphabetical',
    title: 'Mme',
    lastName: 'Guèye',
    firstNames: 'Mame Diarra',
    nickname: 'Mamy',
    address: { streetNumber: '12', street: 'Rue Kléber-Zinsou', locality: 'Dakar', postalCode: '10000' },
    numbers: ['33 821 45 67'],
  });
  await create('ndiaye', {
    directory: 'alphabetical',
    lastName: "N'Diaye",
    firstNames: 'Ousmane',
    nickname: 'Papis',
    address: { street: 'Avenue Blaise Diagne', locality: 'Thiès' },
    numbers: ['339514400'],
  });
  await create('pharmacy', {
    directory: 'professional',
    company: 'Pharmacie de la Corniche Ouest',
    heading: 'Santé > Pharmacies',
    address: { street: 'Route de la Corniche', locality: 'Dakar' },
    numbers: ['338600001', '338600002'],
  });
  await create('unlisted', {
    directory: 'alphabetical',
    lastName: 'Zeyzou',
    firstNames: 'Amadou',
    address: { street: 'Rue Wagane Diouf', locality: 'Dakar' },
    numbers: ['338999999'],
    unlisted: true,
  });
  await create('technical', {
    directory: 'technical',
    company: 'Ligne d’essai Kébémer',
    address: { locality: 'Kébémer' },
    numbers: ['339990000'],
  });
  await create('noreverse', {
    directory: 'alphabetical',
    lastName: 'Wouldiane',
    firstNames: 'Coumba',
    numbers: ['338777777'],
    noReverseSearch: true,
  });
  await create('kouyate', {
    directory: 'alphabetical',
    lastName: 'Kouyaté',
    firstNames: 'Sékouba',
    address: { street: 'Rue Amilcar Cabral', locality: 'Ziguinchor' },
    numbers: ['339911111'],
  });
  await create('sarrazin', {
    directory: 'alphabetical',
    lastName: 'Sarrazin',
    firstNames: 'Abdou',
    numbers: ['338100001'],
  });
  await create('sarazin', {
    directory: 'alphabetical',
    lastName: 'Sarazin',
    firstNames: 'Abdou',
    numbers: ['338100002'],
  });
}, 120_000);

afterAll(async () => {
  await t.close();
});

describe('rights', () => {
  it('lets the enquiry operator search but not write, import or print', async () => {
    expect((await t.call('GET', '/api/v1/directory/search?q=diop', enquiries)).statusCode).toBe(200);
    expect(
      (
        await t.call('POST', '/api/v1/directory/listings', enquiries, {
          directory: 'alphabetical',
          lastName: 'X',
          numbers: ['338000000'],
        })
      ).statusCode,
    ).toBe(403);
    expect((await t.call('GET', '/api/v1/directory/editions/alphabetical/pdf', enquiries)).statusCode).toBe(
      403,
    );
    expect(
      (await t.call('GET', `/api/v1/directory/listings/${made.gueye?.code}`, enquiries)).statusCode,
    ).toBe(403);
  });
  it('refuses the search to roles without directory:search, and anonymous callers', async () => {
    const commercial = await t.login('commercial');
    expect((await t.call('GET', '/api/v1/directory/search?q=diop', commercial)).statusCode).toBe(403);
    expect((await t.call('GET', '/api/v1/directory/search?q=diop')).statusCode).toBe(401);
  });
  it('rejects an empty search with a coded problem', async () => {
    const res = await t.call('GET', '/api/v1/directory/search?q=%20', enquiries);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'directory.search_invalid', field: 'q' });
  });
});

describe('enquiry search', () => {
  it('finds by sound: Gaye finds Guèye, Ndiaye finds N’Diaye, in any word order', async () => {
    expect(codes(await search(enquiries, { q: 'zinsou kleber gaye' }))[0]).toBe(made.gueye?.code);
    expect(codes(await search(enquiries, { q: 'ousmane ndiaye thies' }))[0]).toBe(made.ndiaye?.code);
  });
  it('finds from fragments of names and address, without accents', async () => {
    expect(codes(await search(enquiries, { q: 'ousm ndia thie' }))[0]).toBe(made.ndiaye?.code);
    expect(codes(await search(enquiries, { q: 'kouy sekou ziguinch' }))[0]).toBe(made.kouyate?.code);
  });
  it('finds with one or two wrong letters', async () => {
    expect(codes(await search(enquiries, { q: 'kouyatte sekuoba' }))[0]).toBe(made.kouyate?.code);
    expect(codes(await search(enquiries, { q: 'kuoyate sekouba' }))[0]).toBe(made.kouyate?.code);
  });
  it('finds by nickname, in the box or in its own field', async () => {
    expect(codes(await search(enquiries, { q: 'papis ndiaye' }))).toContain(made.ndiaye?.code);
    expect(codes(await search(enquiries, { nickname: 'mamy', name: 'gueye' }))[0]).toBe(made.gueye?.code);
  });
  it('restricts words to the field they are typed in', async () => {
    expect(codes(await search(enquiries, { name: 'kleber' }))).not.toContain(made.gueye?.code);
    expect(codes(await search(enquiries, { street: 'kleber zinsou' }))).toContain(made.gueye?.code);
    expect(
      codes(await search(enquiries, { firstName: 'mame diarra', locality: 'dakar', name: 'gueye' }))[0],
    ).toBe(made.gueye?.code);
  });
  it('finds professionals by trade or heading', async () => {
    expect(codes(await search(enquiries, { trade: 'pharmacies', q: 'corniche' }))).toContain(
      made.pharmacy?.code,
    );
    const [first] = await search(enquiries, { trade: 'pharmacie corniche' });
    expect(first).toMatchObject({
      code: made.pharmacy?.code,
      directory: 'professional',
      heading: 'Santé > Pharmacies',
      number: '338600001',
      numbers: ['338600001', '338600002'],
      address: { street: 'Route de la Corniche', locality: 'Dakar' },
    });
  });
  it('ranks the exact spelling before the one-letter-off one', async () => {
    expect(codes(await search(enquiries, { q: 'sarrazin abdou' })).slice(0, 2)).toEqual([
      made.sarrazin?.code,
      made.sarazin?.code,
    ]);
    expect(codes(await search(enquiries, { q: 'sarazin abdou' })).slice(0, 2)).toEqual([
      made.sarazin?.code,
      made.sarrazin?.code,
    ]);
  });
  it('finds by number, whatever the spacing, unless the subscriber refused reverse search', async () => {
    expect(codes(await search(enquiries, { q: '33 821 45 67' }))).toEqual([made.gueye?.code]);
    expect(await search(enquiries, { q: '338777777' })).toEqual([]);
    expect(codes(await search(enquiries, { q: 'wouldiane coumba' }))).toEqual([made.noreverse?.code]);
  });
  it('shows the technical list to technical roles only', async () => {
    expect(codes(await search(enquiries, { q: 'essai kebemer' }))).not.toContain(made.technical?.code);
    expect(await search(enquiries, { q: '339990000' })).toEqual([]);
    expect(codes(await search(switching, { q: 'essai kebemer' }))).toContain(made.technical?.code);
    const res = await t.call('GET', '/api/v1/directory/search?q=essai&directory=technical', enquiries);
    expect(res.statusCode).toBe(403);
  });
  it('returns 20 at a time with a cursor for the next ones', async () => {
    const rows = Array.from(
      { length: 25 },
      (_, i) => `alphabetical,Pagination,Awa ${i},,,,,,,Dakar,,3370000${String(i).padStart(2, '0')},false`,
    );
    const imp = await t.app.http.inject({
      method: 'POST',
      url: '/api/v1/directory/import',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv' },
      payload: [HEADER, ...rows].join('\n'),
    });
    expect(imp.json()).toMatchObject({ inserted: 25, rejected: [] });
    const first = await t.call('GET', '/api/v1/directory/search?q=pagination', enquiries);
    const page1 = first.json() as { items: SearchItem[]; nextCursor?: string };
    expect(page1.items).toHaveLength(20);
    expect(page1.nextCursor).toBeDefined();
    const second = await t.call(
      'GET',
      `/api/v1/directory/search?q=pagination&cursor=${page1.nextCursor}`,
      enquiries,
    );
    const page2 = second.json() as { items: SearchItem[]; nextCursor?: string };
    expect(page2.items).toHaveLength(5);
    expect(page2.nextCursor).toBeUndefined();
    expect(new Set([...codes(page1.items), ...codes(page2.items)]).size).toBe(25);
  });
});

describe('the red list', () => {
  it('never returns any unlisted demo listing, searched by its exact name or by its number', async () => {
    const unlisted = await t.tdb.db
      .selectFrom('directory_listing')
      .select(['code', 'title', 'last_name', 'first_names', 'company', 'numbers', 'locality'])
      .where('unlisted', '=', true)
      .execute();
    expect(unlisted.length).toBeGreaterThan(5);
    expect(unlisted.some((u) => u.code !== made.unlisted?.code)).toBe(true);
    for (const u of unlisted) {
      const name = [u.first_names, u.last_name ?? u.company].filter(Boolean).join(' ');
      for (const token of [enquiries, admin]) {
        expect(codes(await search(token, { q: name })), name).not.toContain(u.code);
        expect(
          codes(
            await search(token, {
              name: u.last_name ?? '',
              firstName: u.first_names ?? '',
              locality: u.locality ?? '',
            }),
          ),
          name,
        ).not.toContain(u.code);
        for (const n of u.numbers) expect(await search(token, { q: n }), n).toEqual([]);
      }
    }
  }, 120_000);
  it('still lets directory agents read an unlisted listing, and logs the read', async () => {
    const res = await t.call('GET', `/api/v1/directory/listings/${made.unlisted?.code}`, admin);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ unlisted: true, lastName: 'Zeyzou' });
    const ev = await t.tdb.db
      .selectFrom('event')
      .select('kind')
      .where('entity_id', '=', made.unlisted?.code ?? '')
      .where('kind', '=', 'directory.unlisted_read')
      .execute();
    expect(ev).toHaveLength(1);
  });
});

describe('listings', () => {
  it('the demo has listings in every directory and on the red list, several per line for some', async () => {
    const r = await sql<{ directory: string; unlisted: boolean; n: number }>`
      SELECT directory, unlisted, count(*)::int AS n FROM directory_listing WHERE source = 'demo' GROUP BY 1, 2`.execute(
      t.tdb.db,
    );
    const n = (d: string, u: boolean) => r.rows.find((x) => x.directory === d && x.unlisted === u)?.n ?? 0;
    expect(n('alphabetical', false)).toBeGreaterThan(0);
    expect(n('alphabetical', true)).toBeGreaterThan(0);
    expect(n('professional', false)).toBeGreaterThan(0);
    expect(n('technical', false)).toBeGreaterThan(0);
    const multi = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM (SELECT subscription_id FROM directory_listing WHERE subscription_id IS NOT NULL
      GROUP BY 1 HAVING count(*) > 1) x`.execute(t.tdb.db);
    expect(multi.rows[0]?.n).toBeGreaterThan(0);
    expect((await generateListings(t.tdb.pool)).listings).toBe(0);
  });
  it('refuses a second identical listing, a stale edit, and a professional listing without heading', async () => {
    const dup = await t.call('POST', '/api/v1/directory/listings', admin, {
      directory: 'alphabetical',
      lastName: 'guèye',
      firstNames: 'Mame  Diarra',
      numbers: ['338214567'],
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'directory.listing_exists' });
    const noHeading = await t.call('POST', '/api/v1/directory/listings', admin, {
      directory: 'professional',
      company: 'Garage Moderne',
      numbers: ['338000555'],
    });
    expect(noHeading.statusCode).toBe(400);
    expect(noHeading.json()).toMatchObject({ field: 'heading' });
    const stale = await t.call('PATCH', `/api/v1/directory/listings/${made.sarazin?.code}`, admin, {
      version: 99,
      nickname: 'Abdi',
    });
    expect(stale.statusCode).toBe(409);
  });
  it('edits, then withdraws a listing, each with its event, and search follows', async () => {
    const code = made.sarazin?.code ?? '';
    const patched = await t.call('PATCH', `/api/v1/directory/listings/${code}`, admin, {
      version: 1,
      nickname: 'Abdi',
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ nickname: 'Abdi', version: 2 });
    expect(codes(await search(enquiries, { nickname: 'abdi' }))).toEqual([code]);
    expect((await t.call('DELETE', `/api/v1/directory/listings/${code}`, admin)).statusCode).toBe(204);
    expect(codes(await search(enquiries, { nickname: 'abdi' }))).toEqual([]);
    const ev = await t.tdb.db
      .selectFrom('event')
      .select('kind')
      .where('entity_id', '=', code)
      .orderBy('id')
      .execute();
    expect(ev.map((e) => e.kind)).toEqual([
      'directory.listing_created',
      'directory.listing_updated',
      'directory.listing_removed',
    ]);
  });
  it('lists the headings tree', async () => {
    const res = await t.call('GET', '/api/v1/directory/headings', enquiries);
    const items = (res.json() as { items: { path: string; parentId: number | null; listings: number }[] })
      .items;
    const pharmacies = items.find((h) => h.path === 'Santé > Pharmacies');
    const sante = items.find((h) => h.path === 'Santé');
    expect(sante?.parentId).toBeNull();
    expect(pharmacies?.listings).toBeGreaterThan(0);
  });
});

describe('editions', () => {
  it('prints a directory of one locality as PDF, for the edition right only', async () => {
    const supervisor = await t.login('supervisor');
    const res = await t.call('GET', '/api/v1/directory/editions/alphabetical/pdf?locality=Dakar', supervisor);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    expect(Number(res.headers['x-edition-pages'])).toBeGreaterThan(0);
    expect((await t.call('GET', '/api/v1/directory/editions/professional/pdf', supervisor)).statusCode).toBe(
      200,
    );
  });
  it('exports for publishers without any red-list listing, and the technical list only to technical roles', async () => {
    const res = await t.call('GET', '/api/v1/directory/editions/alphabetical/csv?locality=Dakar', admin);
    expect(res.statusCode).toBe(200);
    const unlisted = await t.tdb.db
      .selectFrom('directory_listing')
      .select('code')
      .where('unlisted', '=', true)
      .execute();
    for (const u of unlisted) expect(res.body).not.toContain(u.code);
    expect(res.body).toContain(made.gueye?.code);
    const lines = res.body.trim().split('\n');
    expect(lines.slice(1).every((l) => l.includes(',Dakar,'))).toBe(true);
    const pro = await t.call('GET', '/api/v1/directory/editions/professional/csv', admin);
    expect(pro.body).toContain('Santé > Pharmacies');
    await t.tdb.db
      .insertInto('role')
      .values({ code: 'printer', name: 'Printer', rights: ['directory:edition'] })
      .execute();
    await createUser(
      t.tdb.db,
      {
        username: 'printer',
        displayName: 'Printer',
        password: 'printer-pass-1',
        roles: ['printer'],
        actors: [],
      },
      SYSTEM,
    );
    const printer = await t.login('printer', 'printer-pass-1');
    expect((await t.call('GET', '/api/v1/directory/editions/alphabetical/csv', printer)).statusCode).toBe(
      200,
    );
    expect((await t.call('GET', '/api/v1/directory/editions/technical/csv', printer)).statusCode).toBe(403);
    const tech = await t.call('GET', '/api/v1/directory/editions/technical/csv', admin);
    expect(tech.body).toContain(made.technical?.code);
  });
});
