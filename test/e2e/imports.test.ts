import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD } from '../app.js';
import {
  browserAvailability,
  choose,
  errorsOf,
  login,
  newPage,
  shot,
  startSession,
  type Session,
} from './browser.js';

const availability = browserAvailability();
if (!availability.run) process.stderr.write(`\n${availability.reason}\n`);

async function pickCsv(page: Page, scope: string, name: string, content: string): Promise<void> {
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.getByTestId(scope).getByTestId('choose-csv').click(),
  ]);
  await chooser.setFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(content) });
}

const HEADER =
  'directory,last_name,first_names,title,nickname,company,heading,street_number,street,locality,postal_code,number,unlisted';

describe.skipIf(!availability.run)(
  `imports and editions in the browser${availability.run ? '' : ` — ${availability.reason}`}`,
  () => {
    let s: Session;
    let page: Page;
    beforeAll(async () => {
      s = await startSession();
      page = await newPage(s);
      await login(page, s.base, 'admin', ADMIN_PASSWORD);
    }, 240_000);
    afterAll(async () => {
      await s?.close();
    });

    it('an inventory file with bad rows is refused with every rejected row; a good one reports its counts', async () => {
      await page.getByRole('link', { name: 'Imports et éditions' }).click();
      const job = page.getByTestId('inventory-import');
      await choose(page, /Type de ressource/, 'Sites (centraux)');
      await pickCsv(
        page,
        'inventory-import',
        'sites.csv',
        'code;name;locality;district\nUI-S1;Central Médina;Dakar;Médina\nbad code!;;Dakar;\nUI-S2;Central Thiès;Thiès;\n',
      );
      await expect(job.getByTestId('file-info').textContent()).resolves.toContain('3 lignes');
      await job.getByTestId('start-import').click();
      await job.getByText('Rien n’a été enregistré.').waitFor();
      await expect(job.getByTestId('count-created').count()).resolves.toBe(0);
      const rejected = job.getByTestId('rejected-rows');
      await rejected.getByText('1 ligne refusée').waitFor();
      await expect(rejected.locator('tbody tr').count()).resolves.toBe(1);
      await expect(rejected.locator('tbody tr td').first().textContent()).resolves.toBe('3');
      await shot(page, '70-inventory-import-rejected');
      // Nothing of the refused file was written.
      const admin = await s.t.login('admin');
      const sites = (await s.t.call('GET', '/api/v1/inventory/sites', admin)).json() as { code: string }[];
      expect(sites.map((x) => x.code)).not.toContain('UI-S1');

      await pickCsv(
        page,
        'inventory-import',
        'sites.csv',
        'code;name;locality;district\nUI-S1;Central Médina;Dakar;Médina\nUI-S2;Central Thiès;Thiès;\n',
      );
      await job.getByTestId('start-import').click();
      await job.getByTestId('import-report').getByText('Import terminé', { exact: false }).waitFor();
      await expect(job.getByTestId('count-created').textContent()).resolves.toBe('Créées : 2');
      const after = (await s.t.call('GET', '/api/v1/inventory/sites', admin)).json() as { code: string }[];
      expect(after.map((x) => x.code)).toEqual(expect.arrayContaining(['UI-S1', 'UI-S2']));
      await shot(page, '71-inventory-import-done');
      expect(errorsOf(page)).toEqual([]);
    });

    it('a large directory file shows its upload progress, then its report with the rejected rows', async () => {
      await page.getByRole('tab', { name: 'Annuaire' }).click();
      const job = page.getByTestId('directory-import');
      const rows = [HEADER];
      for (let i = 0; i < 3000; i++)
        rows.push(`alphabetical,Ndiaye${i},Awa,Mme,,,,${i},Rue ${i},Dakar,,33${String(8000000 + i)},false`);
      rows.push('alphabetical,,,,,,,,Rue sans nom,Dakar,,338000000,false');
      await pickCsv(page, 'directory-import', 'listings.csv', `${rows.join('\n')}\n`);
      await job.getByLabel('À blanc').check();
      // A slow link, so the progress of the upload can be seen (and checked) before the report.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 20,
        downloadThroughput: -1,
        uploadThroughput: 60 * 1024,
      });
      await job.getByTestId('start-import').click();
      await job.locator('[data-testid="job-progress"][data-phase="sending"]').waitFor();
      await shot(page, '72-directory-import-progress');
      await job.getByTestId('import-report').waitFor({ timeout: 60_000 });
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
      // Counts are written the French way (a thin space between thousands).
      const text = async (id: string) =>
        ((await job.getByTestId(id).textContent()) ?? '').replace(/\s/g, ' ');
      await expect(text('count-rows')).resolves.toBe('Lignes : 3 001');
      await expect(text('count-accepted')).resolves.toBe('Acceptées : 3 000');
      await job.getByTestId('rejected-rows').getByText('1 ligne refusée').waitFor();
      // A dry run writes nothing.
      await job.getByText('Rien n’a été enregistré.').waitFor();
      await shot(page, '73-directory-import-report');
      expect(errorsOf(page)).toEqual([]);
    });

    it('a directory edition is produced with its progress and its page count', async () => {
      await page.getByRole('tab', { name: 'Éditions' }).click();
      const job = page.getByTestId('edition-job');
      await job.getByTestId('start-edition').click();
      await job.getByTestId('edition-result').waitFor({ timeout: 60_000 });
      await expect(job.getByTestId('edition-result').textContent()).resolves.toMatch(
        /Édition prête : \d+ pages/,
      );
      await shot(page, '74-edition-ready');
      expect(errorsOf(page)).toEqual([]);
    });
  },
);
