import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import path from 'node:path';
import { loadDemoPlant } from '../../src/demo/plant.js';
import { ADMIN_PASSWORD, TEST_SECRET_KEY } from '../app.js';
import {
  browserAvailability,
  errorsOf,
  login,
  newPage,
  overflow,
  SHOTS,
  startSession,
  type Session,
} from './browser.js';

const availability = browserAvailability();
if (!availability.run) process.stderr.write(`\n${availability.reason}\n`);

describe.skipIf(!availability.run)(
  `every main screen at 1366×768${availability.run ? '' : ` — ${availability.reason}`}`,
  () => {
    let s: Session;
    let page: Page;
    let customer = '';
    let request = '';
    beforeAll(async () => {
      s = await startSession();
      await loadDemoPlant(s.t.tdb.db, TEST_SECRET_KEY);
      await s.t.app.requests.loadDefaultScenarios();
      const admin = await s.t.login('admin');
      const c = await s.t.call('POST', '/api/v1/customers', admin, {
        kind: 'person',
        lastName: 'Diallo',
        firstNames: 'Ousmane',
        address: { street: 'Avenue Georges Pompidou', district: 'Plateau', locality: 'Dakar' },
        phones: ['+221 77 123 45 67'],
        categories: {
          commercial1: 'RES',
          commercial2: 'STD',
          collection: 'STANDARD',
          accounting: 'PART',
          tax: 'TVA18',
        },
      });
      customer = (c.json() as { code: string }).code;
      const r = await s.t.call('POST', '/api/v1/requests', admin, {
        kind: 'new_line',
        customer,
        productCode: 'FIXE',
      });
      request = (r.json() as { number: string }).number;
      await s.t.app.workflow.drain();
      page = await newPage(s);
      await login(page, s.base, 'admin', ADMIN_PASSWORD);
    }, 240_000);
    afterAll(async () => {
      await s?.close();
    });

    // name, address, what shows when the screen is ready, what to open on it (a tab)
    const screens: [string, () => string, string, string?][] = [
      ['search', () => '/', 'universal-search'],
      ['directory', () => '/directory', ''],
      ['customer-new', () => '/customers/new', 'save-customer'],
      ['customer-360', () => `/customers/${customer}`, 'customer-360'],
      ['customer-requests', () => `/customers/${customer}`, 'customer-360', 'Demandes'],
      ['blacklist', () => '/blacklist', ''],
      ['faults', () => '/faults', 'fault-filters'],
      ['baskets', () => '/baskets', 'basket', 'Commercial service'],
      ['inventory-plant', () => '/inventory?tab=plant', ''],
      ['inventory-pools', () => '/inventory?tab=pools', ''],
      ['inventory-sims', () => '/inventory?tab=sims', ''],
      ['inventory-pending', () => '/inventory?tab=pending', ''],
      ['imports', () => '/imports', 'inventory-import'],
      ['request', () => `/requests/${request}`, 'scenario-diagram'],
      ['admin-categories', () => '/admin/categories', ''],
      ['admin-catalogue', () => '/admin/catalogue', ''],
      ['admin-users', () => '/admin/users', ''],
      ['admin-roles', () => '/admin/roles', ''],
      ['admin-scenarios', () => '/admin/scenarios?code=new_fixed_wired', 'scenario-diagram'],
    ];

    it('the check sees what does not fit', async () => {
      await page.goto(`${s.base}/admin/catalogue`);
      await page.getByRole('heading', { name: 'Catalogue' }).waitFor();
      await page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<div data-testid=wide style=\\'width:2000px;height:10px\\'></div>')",
      );
      const found = await overflow(page);
      expect(found.some((x) => x.includes('wide'))).toBe(true);
    });

    it.each(screens)('%s fits the screen', async (name, url, ready, tab) => {
      await page.goto(`${s.base}${url()}`);
      if (tab) await page.getByRole('tab', { name: tab }).click();
      if (ready) await page.getByTestId(ready).first().waitFor();
      await page.waitForFunction("!document.querySelector('[data-testid=loading]')");
      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: path.join(SHOTS, `90-1366-${name}.png`) });
      expect(await overflow(page)).toEqual([]);
      expect(errorsOf(page)).toEqual([]);
    });
  },
);
