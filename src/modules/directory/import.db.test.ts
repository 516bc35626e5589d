import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../test/db.js';
import { SYSTEM } from '../../platform/events.js';
import { ImportService, parseImport } from './import.service.js';

const HEADER =
  'directory,last_name,first_names,title,nickname,company,heading,street_number,street,locality,postal_code,number,unlisted';

let tdb: TestDb;
let imports: ImportService;
const count = async () =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM directory_listing`.execute(tdb.db)).rows[0]?.n ??
  0;

beforeAll(async () => {
  tdb = await createTestDb();
  imports = new ImportService(tdb.db);
});
afterAll(async () => {
  await tdb.close();
});

describe('CSV import', () => {
  const file = [
    HEADER,
    'alphabetical,Diop,Fatou,Mme,Tata,,,12,Rue Carnot,Dakar,10000,33 821 00 01,false',
    'professional,,,,,Garage Moderne,Automobile>Garages,,Route de Rufisque,Pikine,,338210002,false',
    '"alphabetical","Guèye","Mame, Diarra",,,,,,"Rue ""Zinsou""",Dakar,,338210003,true',
    'yellow,Sow,Awa,,,,,,,Dakar,,338210004,false',
    'alphabetical,Sow,Awa,,,,,,,Dakar,,12,false',
    'professional,,,,,Pharmacie X,,,,Dakar,,338210005,false',
    'alphabetical,,,,,,,,,Dakar,,338210006,false',
    'alphabetical,Ba,Ali,,,,,,,Dakar,,338210007,peut-être',
    'alphabetical,DIOP,fatou,,,,,,,Dakar,,338210001,false',
    'alphabetical,Ba,Ali',
  ].join('\n');

  it('reports every rejected row with its line and reason', () => {
    const { rows, rejected, total } = parseImport(file);
    expect(total).toBe(10);
    expect(rows).toHaveLength(3);
    expect(rejected.map((r) => [r.line, r.field ?? null])).toEqual([
      [5, 'directory'],
      [6, 'number'],
      [7, 'heading'],
      [8, 'last_name'],
      [9, 'unlisted'],
      [10, null],
      [11, null],
    ]);
    expect(rejected.find((r) => r.line === 10)?.reason).toMatch(/line 2/);
    expect(rows[2]).toMatchObject({ first_names: 'Mame, Diarra', street: 'Rue "Zinsou"', unlisted: true });
    expect(rows[1]).toMatchObject({ heading: 'Automobile > Garages' });
  });

  it('refuses a file whose header is not the documented one', async () => {
    await expect(
      imports.importCsv('directory,name,number\nalphabetical,Diop,338210001\n', SYSTEM),
    ).rejects.toMatchObject({
      code: 'directory.import_invalid',
      field: 'header',
    });
  });

  it('imports nothing in strict mode when a row is rejected, and nothing on a dry run', async () => {
    const strict = await imports.importCsv(file, SYSTEM, { strict: true });
    expect(strict).toMatchObject({ committed: false, inserted: 0 });
    const dry = await imports.importCsv(file, SYSTEM, { dryRun: true });
    expect(dry).toMatchObject({ committed: false, accepted: 3 });
    expect(await count()).toBe(0);
  });

  it('is idempotent: the second load of the same file changes nothing; a changed row is updated', async () => {
    const first = await imports.importCsv(file, SYSTEM);
    expect(first).toMatchObject({ committed: true, inserted: 3, updated: 0, unchanged: 0 });
    expect(first.rejected).toHaveLength(7);
    const again = await imports.importCsv(file, SYSTEM);
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 3 });
    expect(await count()).toBe(3);
    const changed = await imports.importCsv(
      [HEADER, 'alphabetical,Diop,Fatou,Mme,Tata,,,14,Rue Carnot,Dakar,10000,338210001,true'].join('\n'),
      SYSTEM,
    );
    expect(changed).toMatchObject({ inserted: 0, updated: 1 });
    const row = await tdb.db
      .selectFrom('directory_listing')
      .select(['street_number', 'unlisted', 'version', 'heading_path'])
      .where('primary_number', '=', '338210001')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ street_number: '14', unlisted: true, version: 2 });
    const heading = await tdb.db
      .selectFrom('directory_heading')
      .select(['path', 'parent_id'])
      .orderBy('id')
      .execute();
    expect(heading.map((h) => h.path)).toEqual(['Automobile', 'Automobile > Garages']);
    const events = await tdb.db
      .selectFrom('event')
      .select('kind')
      .where('kind', '=', 'directory.imported')
      .execute();
    expect(events).toHaveLength(3);
  });

  it('leaves nothing half-imported when the database fails in the middle of a file', async () => {
    const before = await count();
    // A real trigger refusing one row of the second batch: the first batch must roll back with it.
    await sql`CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'boom'; END $$`.execute(tdb.db);
    await sql`CREATE TRIGGER refuse_boom BEFORE INSERT ON directory_listing FOR EACH ROW
      WHEN (NEW.last_name = 'Boom') EXECUTE FUNCTION refuse_boom()`.execute(tdb.db);
    const rows = Array.from(
      { length: 2500 },
      (_, i) =>
        `alphabetical,${i === 2400 ? 'Boom' : 'Masse'},Awa ${i},,,,,,,Dakar,,33800${String(i).padStart(4, '0')},false`,
    );
    await expect(imports.importCsv([HEADER, ...rows].join('\n'), SYSTEM)).rejects.toThrow(/boom/);
    expect(await count()).toBe(before);
    await sql`DROP TRIGGER refuse_boom ON directory_listing`.execute(tdb.db);
  });
});
