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
    let code = '';
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
      code = page.url().split('/').pop() ?? '';
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

    it('the agent edits the customer, adds a payer and a user, moves the line to the new payer and suspends it', async () => {
      await page.goto(`${s.base}/customers/${code}`);
      await page.getByTestId('customer-360').waitFor();
      await page.getByRole('button', { name: 'Modifier' }).click();
      await page.getByLabel('Courriel').fill('a.sanogo@example.sn');
      await page.getByLabel('Surnom').fill('Ami');
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await page.getByTestId('customer-360').getByText('a.sanogo@example.sn').waitFor();

      await page.getByRole('tab', { name: /Payeurs/ }).click();
      await page.getByRole('button', { name: 'Ajouter un payeur' }).click();
      const payerDialog = page.getByRole('dialog');
      await payerDialog.getByLabel('Nom du payeur').fill('Sanogo Import SARL');
      await choose(page, 'Mode de paiement', 'Virement');
      await payerDialog.getByLabel('Compte bancaire').fill('SN012 01001 000123456789 45');
      await payerDialog.getByRole('button', { name: 'Enregistrer' }).click();
      await page.getByText('Sanogo Import SARL').waitFor();
      await shot(page, '15-customer-payers');

      await page.getByRole('tab', { name: /Utilisateurs/ }).click();
      await page.getByRole('button', { name: 'Ajouter un utilisateur' }).click();
      const userDialog = page.getByRole('dialog');
      await userDialog.getByLabel(/^Nom/).fill('Sanogo');
      await userDialog.getByLabel('Prénoms').fill('Ibrahima');
      await userDialog.getByLabel('Téléphone').fill('+221 77 000 11 22');
      await userDialog.getByRole('button', { name: 'Enregistrer' }).click();
      await page.getByRole('cell', { name: 'Ibrahima Sanogo' }).waitFor();

      await page.getByRole('tab', { name: /Abonnements en cours/ }).click();
      const line = page.getByTestId('subscriptions').getByRole('row', { name: /338210042/ });
      await line.getByRole('button', { name: 'Actions' }).click();
      await page.getByRole('menuitem', { name: 'Changer de payeur' }).click();
      await choose(page, 'Payeur', /Sanogo Import SARL/);
      await page.getByRole('dialog').getByRole('button', { name: 'Valider' }).click();
      await page.getByRole('dialog').waitFor({ state: 'hidden' });

      for (const [next, shown] of [
        ['Actif', 'Actif'],
        ['Suspendu', 'Suspendu'],
      ] as const) {
        await line.getByRole('button', { name: 'Actions' }).click();
        await page.getByRole('menuitem', { name: 'Changer l’état' }).click();
        await choose(page, 'Nouvel état', next);
        await page.getByRole('dialog').getByRole('button', { name: 'Valider' }).click();
        await line.getByText(shown, { exact: true }).waitFor();
      }
      await shot(page, '16-customer-line-suspended');

      const token = await s.t.login('commercial');
      const view = (await s.t.call('GET', `/api/v1/customers/${code}`, token)).json() as {
        customer: { email: string; nickname: string };
        payers: { id: number; name: string; paymentMethod: string }[];
        users: { firstNames: string; phone: string }[];
        subscriptions: { status: string; payerId: number }[];
      };
      expect(view.customer).toMatchObject({ email: 'a.sanogo@example.sn', nickname: 'Ami' });
      const payer = view.payers.find((p) => p.name === 'Sanogo Import SARL');
      expect(payer?.paymentMethod).toBe('bank_transfer');
      expect(view.users.map((u) => [u.firstNames, u.phone])).toEqual([['Ibrahima', '+221770001122']]);
      expect(view.subscriptions).toEqual([
        expect.objectContaining({ status: 'suspended', payerId: payer?.id }),
      ]);
    });

    it('a supervisor blacklists the customer, the 360° shows it, then lifts it', async () => {
      const sup = await newPage(s);
      await login(sup, s.base, 'supervisor', DEMO_PASSWORD);
      await sup.getByRole('link', { name: 'Liste noire' }).click();
      await sup.getByRole('button', { name: 'Inscrire' }).click();
      const dialog = sup.getByRole('dialog');
      await dialog.getByLabel('Code client').fill(code);
      await dialog.getByRole('button', { name: 'Inscrire' }).click();
      // The reason is required by the API: the refusal is shown next to it.
      await dialog.getByText('Valeur absente ou invalide').waitFor();
      await dialog.getByLabel('Motif').fill('Impayés répétés');
      await dialog.getByRole('button', { name: 'Inscrire' }).click();
      await sup.getByRole('cell', { name: 'Impayés répétés' }).waitFor();
      await shot(sup, '17-blacklist-listed');

      await sup.goto(`${s.base}/customers/${code}`);
      await sup.getByTestId('blacklisted').waitFor();

      await sup.getByRole('link', { name: 'Liste noire' }).click();
      await sup.getByRole('button', { name: 'Lever' }).click();
      await sup.getByRole('dialog').getByLabel('Motif de la levée').fill('Dette soldée');
      await sup.getByRole('dialog').getByRole('button', { name: 'Valider' }).click();
      await sup.getByText('Rien à afficher.').waitFor();
      await sup.goto(`${s.base}/customers/${code}`);
      await sup.getByTestId('customer-360').waitFor();
      await expect(sup.getByTestId('blacklisted').count()).resolves.toBe(0);
      await sup.context().close();
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
