import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../app.js';
import {
  browserAvailability,
  errorsOf,
  choose,
  login,
  newPage,
  shot,
  startSession,
  type Session,
} from './browser.js';

const availability = browserAvailability();
if (!availability.run) process.stderr.write(`\n${availability.reason}\n`);

describe.skipIf(!availability.run)(
  `front office in the browser${availability.run ? '' : ` — ${availability.reason}`}`,
  () => {
    let s: Session;
    let page: Page;
    beforeAll(async () => {
      s = await startSession();
      page = await newPage(s);
    }, 240_000);
    afterAll(async () => {
      await s?.close();
    });

    it('an agent logs in, creates a customer, opens the 360°, adds a line and finds the customer again', async () => {
      await page.goto(`${s.base}/`);
      await page.getByLabel('Identifiant').fill('commercial');
      await page.getByLabel('Mot de passe').fill('wrong-password');
      await page.getByRole('button', { name: 'Se connecter' }).click();
      await page.getByText('Identifiant ou mot de passe incorrect.').waitFor();
      await shot(page, '01-login-refused');

      await login(page, s.base, 'commercial', DEMO_PASSWORD);
      // A front-office agent sees the front office, not the administration.
      await expect(page.getByRole('link', { name: 'Nouveau client' }).count()).resolves.toBe(1);
      await expect(page.getByRole('link', { name: 'Utilisateurs' }).count()).resolves.toBe(0);

      await page.getByTestId('universal-search').fill('Sanogo');
      await page.getByText('Aucun client ne correspond à « Sanogo ».').waitFor();
      await shot(page, '02-search-empty');

      // The form says what is missing next to each field before asking the server.
      await page.getByRole('link', { name: 'Nouveau client' }).click();
      await page.getByTestId('save-customer').click();
      await expect(page.getByText('Obligatoire').count()).resolves.toBeGreaterThanOrEqual(9);
      await shot(page, '03-customer-form-errors');

      await page.getByLabel('Nom', { exact: false }).first().fill('Sanogo');
      await page.getByLabel('Prénoms').fill('Aminata');
      await page.getByLabel('Téléphones').fill('+221 77 555 12 34');
      await page.getByLabel('Rue').fill('Rue des Écoles');
      await page.getByLabel('Localité').fill('Dakar');
      await choose(page, /Commerciale 1/, /^RES/);
      await choose(page, /Commerciale 2/, /^STD/);
      await choose(page, /Recouvrement/, /^STANDARD/);
      await choose(page, /Comptable/, /^PART/);
      await choose(page, /Fiscale/, /^TVA18 /);
      // A server-side refusal lands next to its field: an e-mail the API rejects.
      await page.getByLabel('Courriel').fill('not-an-email');
      await page.getByTestId('save-customer').click();
      await page.getByText('Valeur absente ou invalide').waitFor();
      await shot(page, '04-customer-form-server-error');
      await page.getByLabel('Courriel').fill('aminata.sanogo@example.sn');
      await page.getByTestId('save-customer').click();

      await page.getByTestId('customer-360').waitFor();
      await page.getByRole('heading', { name: 'Aminata Sanogo' }).waitFor();
      const code = (await page.url()).split('/').pop() ?? '';
      expect(code).toMatch(/^C[0-9]+$/);
      await shot(page, '05-customer-360-new');

      await page.getByTestId('add-subscription').click();
      await choose(page, /Produit/, /Ligne fixe filaire/);
      await page.getByLabel('Numéro d’appel').fill('338210042');
      await page.getByTestId('save-subscription').click();
      const row = page.getByTestId('subscriptions').getByRole('row', { name: /338210042/ });
      await row.waitFor();
      await expect(row.textContent()).resolves.toContain('Ligne fixe filaire');
      await shot(page, '06-customer-360-subscription');

      // The API agrees with the screen.
      const token = await s.t.login('commercial');
      const view = (await s.t.call('GET', `/api/v1/customers/${code}`, token)).json() as {
        customer: { lastName: string; email: string };
        subscriptions: { directoryNumber: string; product: { code: string } }[];
      };
      expect(view.customer.lastName).toBe('Sanogo');
      expect(view.customer.email).toBe('aminata.sanogo@example.sn');
      expect(view.subscriptions.map((x) => [x.directoryNumber, x.product.code])).toEqual([
        ['338210042', 'FIXE'],
      ]);

      await page.getByRole('tab', { name: 'Historique' }).click();
      await page.getByTestId('timeline').getByText('Abonnement créé').waitFor();
      await shot(page, '07-customer-timeline');

      // Search as you type: by name fragment, then by directory number.
      for (const q of ['sanog', '338210042', code]) {
        await page.getByRole('link', { name: 'Recherche client' }).click();
        await page.getByTestId('universal-search').fill(q);
        await page.getByTestId('search-results').getByText(code).waitFor();
      }
      await shot(page, '08-search-results');
      await page.getByTestId('universal-search').press('Enter');
      await page.getByTestId('customer-360').waitFor();
      expect(page.url()).toContain(`/customers/${code}`);
      expect(errorsOf(page)).toEqual([]);
    });

    it('a back-office agent sees the 360° but none of the buttons that change it', async () => {
      const token = await s.t.login('commercial');
      const list = (await s.t.call('GET', '/api/v1/customers?q=sanogo', token)).json() as {
        items: { code: string }[];
      };
      const code = list.items[0]?.code;
      expect(code).toBeDefined();
      const other = await newPage(s);
      await login(other, s.base, 'finance', DEMO_PASSWORD);
      await other.goto(`${s.base}/customers/${code}`);
      await other.getByTestId('customer-360').waitFor();
      await expect(other.getByTestId('add-subscription').count()).resolves.toBe(0);
      await expect(other.getByRole('button', { name: 'Modifier' }).count()).resolves.toBe(0);
      await expect(other.getByRole('link', { name: 'Nouveau client' }).count()).resolves.toBe(0);
      await other.goto(`${s.base}/customers/new`);
      await other.getByText('Accès refusé').waitFor();
      await shot(other, '09-back-office-refused');
      await other.context().close();
    });

    it('an administrator reaches the administration screens', async () => {
      const admin = await newPage(s);
      await login(admin, s.base, 'admin', 'admin-test-password');
      for (const [link, probe, name] of [
        ['Catégories', 'Résidentiel', '10-admin-categories'],
        ['Catalogue', 'Ligne fixe filaire', '11-admin-catalogue'],
        ['Utilisateurs', 'commercial', '12-admin-users'],
        ['Rôles et acteurs', 'Front-office agent', '13-admin-roles'],
        ['Liste noire', 'Rien à afficher.', '14-blacklist'],
      ] as const) {
        await admin.getByRole('link', { name: link }).click();
        await admin.getByText(probe, { exact: true }).first().waitFor();
        await shot(admin, name);
      }
      await admin.context().close();
    });
  },
);
