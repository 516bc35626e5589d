import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoPlant } from '../../src/demo/plant.js';
import { DEMO_PASSWORD } from '../app.js';
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

/** A SIM of our own batch (Luhn check digit included), imported through the API so its secrets are sealed with the app's key. */
const ICCID = '8922109900000000016';

describe.skipIf(!availability.run)(
  `technical screens in the browser${availability.run ? '' : ` — ${availability.reason}`}`,
  () => {
    let s: Session;
    beforeAll(async () => {
      s = await startSession();
      await loadDemoPlant(s.t.tdb.db);
      const admin = await s.t.login('admin', 'admin-test-password');
      const csv = `iccid,imsi,ki,opc,pin1,puk1,pin2,puk2\n${ICCID},608019900000001,${'a1'.repeat(16)},${'b2'.repeat(16)},0000,12345678,1234,87654321`;
      const imported = await s.t.call('POST', '/api/v1/inventory/sims/batches', admin, {
        batch: 'UI-TEST',
        manufacturer: 'Test',
        csv,
      });
      expect(imported.statusCode, imported.body).toBe(201);
      const allocated = await s.t.call('POST', '/api/v1/inventory/sims/allocate', admin, {
        shop: 'AG-PLATEAU',
        iccids: [ICCID],
      });
      expect(allocated.statusCode, allocated.body).toBe(200);
    }, 240_000);
    afterAll(async () => {
      await s?.close();
    });

    it('the stock service sees plant occupancy, pending requests and works a SIM; only a supervisor sees its PUK', async () => {
      const page = await newPage(s);
      await login(page, s.base, 'stock', DEMO_PASSWORD);
      await page.getByRole('link', { name: 'Technique' }).click();
      await page.getByTestId('cps').getByText('PC-PAR-01').waitFor();
      await shot(page, '40-plant');
      await page.getByRole('tab', { name: 'Instances' }).click();
      await page.getByTestId('pending-chart').getByText('Saturation').first().waitFor();
      await shot(page, '41-pending');

      await page.getByRole('tab', { name: 'Cartes SIM' }).click();
      await page.getByTestId('iccid').fill(ICCID);
      await page.getByRole('button', { name: 'Ouvrir' }).click();
      const card = page.getByTestId('sim-card');
      await card.getByText('En agence').waitFor();
      await expect(card.getByRole('button', { name: 'Afficher le code PUK' }).count()).resolves.toBe(0);
      // A SIM still in a shop cannot be suspended: the refusal is shown next to the action.
      await card.getByRole('button', { name: 'Valider' }).click();
      await card.getByText('suspend is not possible', { exact: false }).waitFor();
      await choose(page, 'Action', 'Remettre en stock');
      await card.getByLabel('Motif').fill('retour agence');
      await card.getByRole('button', { name: 'Valider' }).click();
      await card.getByText('En stock', { exact: true }).waitFor();
      await shot(page, '42-sim');
      const token = await s.t.login('stock');
      const sim = (await s.t.call('GET', `/api/v1/inventory/sims/${ICCID}`, token)).json() as {
        status: string;
      };
      expect(sim.status).toBe('in_stock');
      expect(errorsOf(page)).toEqual([]);

      const sup = await newPage(s);
      await login(sup, s.base, 'supervisor', DEMO_PASSWORD);
      await sup.goto(`${s.base}/inventory?tab=sims`);
      await sup.getByTestId('iccid').fill(ICCID);
      await sup.getByRole('button', { name: 'Ouvrir' }).click();
      await sup.getByRole('button', { name: 'Afficher le code PUK' }).click();
      // Nothing is shown before the confirmation.
      await expect(sup.getByTestId('puk').count()).resolves.toBe(0);
      await sup.getByRole('dialog').getByRole('button', { name: 'Afficher' }).click();
      await expect(sup.getByTestId('puk').textContent()).resolves.toBe('PUK1 12345678 · PUK2 87654321');
      await shot(sup, '43-sim-puk');
    });

    it('the technical file of a line shows the chain from the number to the concentration point', async () => {
      const admin = await s.t.login('admin', 'admin-test-password');
      const study = await s.t.call('POST', '/api/v1/inventory/studies', admin, {
        requestRef: 'UI-LINE-1',
        kind: 'fixed_wired',
        product: 'FIXE',
        address: { street: 'Rue Carnot', district: 'Plateau', locality: 'Dakar' },
        preferredNumber: '338210157',
      });
      expect(study.statusCode, study.body).toBe(200);
      const planned = study.json() as {
        feasible: boolean;
        reservation: { code: string; chain: { cp: string } };
      };
      expect(planned.feasible).toBe(true);
      const commit = await s.t.call(
        'POST',
        `/api/v1/inventory/reservations/${planned.reservation.code}/commit`,
        admin,
      );
      expect(commit.statusCode, commit.body).toBe(200);
      const page = await newPage(s);
      await login(page, s.base, 'stock', DEMO_PASSWORD);
      await page.goto(`${s.base}/lines/338210157`);
      const view = page.getByTestId('line-view');
      await view.getByText('Ligne 338210157').waitFor();
      await view.getByText(planned.reservation.chain.cp, { exact: true }).waitFor();
      await view.getByText('UI-LINE-1', { exact: true }).first().waitFor();
      await shot(page, '44-line-technical-file');
      expect(errorsOf(page)).toEqual([]);
    });
  },
);
