import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SYSTEM } from '../../src/platform/events.js';
import { SwitchSimulator } from '../../src/modules/activation/index.js';
import { loadAssistanceScenarios } from '../../src/modules/assistance/index.js';
import { buildLine, type BuiltLine } from '../../src/modules/assistance/assistance.test-fixtures.js';
import { buildPlant } from '../../src/modules/inventory/test-fixtures.js';
import { DEMO_PASSWORD } from '../app.js';
import {
  browserAvailability,
  choose,
  errorsOf,
  login,
  newPage,
  overflow,
  shot,
  startSession,
  type Session,
} from './browser.js';

const availability = browserAvailability();
if (!availability.run) process.stderr.write(`\n${availability.reason}\n`);

describe.skipIf(!availability.run)(
  `faults in the browser${availability.run ? '' : ` — ${availability.reason}`}`,
  () => {
    let s: Session;
    let sim: SwitchSimulator;
    let line: BuiltLine;
    let care: Page;
    beforeAll(async () => {
      s = await startSession();
      await loadAssistanceScenarios(s.t.app.workflow);
      await buildPlant(s.t.app.inventory, { distPairs: 10, primaryPairs: 20, ports: 20 });
      // The switch simulator answers the line status the first diagnosis reads.
      sim = new SwitchSimulator({ name: 'SW1' });
      const port = await sim.start();
      await s.t.app.activation.service.upsertElement(
        {
          code: 'SW1',
          kind: 'mml_switch',
          name: 'Switch',
          host: '127.0.0.1',
          port,
          username: 'gpto',
          password: 'gpto',
          isDefault: true,
          ratePerSecond: 500,
        },
        SYSTEM,
      );
      line = await buildLine({ t: s.t, sim, close: async () => undefined }, 'Kane');
      care = await newPage(s);
      await login(care, s.base, 'care', DEMO_PASSWORD);
    }, 240_000);
    afterAll(async () => {
      await s?.t.app.activation.stop().catch(() => undefined);
      await sim?.stop();
      await s?.close();
    });

    it('an agent reports a fault from the line view: errors next to the fields, then the first diagnosis', async () => {
      await care.goto(`${s.base}/lines/${line.number}`);
      // the rest of the consultation beside the technical file: the line's history and the payer's account
      const consultation = care.getByTestId('line-consultation');
      await consultation.getByText('Historique de la ligne').waitFor();
      await consultation.getByText('subscription.created').first().waitFor();
      await consultation.getByText('Compte du payeur').waitFor();
      await care.getByTestId('report-fault').click();
      const form = care.getByTestId('fault-form');
      // Nothing chosen: refused next to the symptom before asking the server.
      await form.getByTestId('save-fault').click();
      await form.getByText('Obligatoire').waitFor();
      await choose(care, /Symptôme/, 'Friture, bruit');
      // A contact phone the API refuses: its message lands next to that field.
      await form.getByLabel('Téléphone de contact').fill('abc');
      await form.getByTestId('save-fault').click();
      await form.getByText('Valeur absente ou invalide').waitFor();
      await expect(form.getByTestId('fault-form-error').count()).resolves.toBe(0);
      await shot(care, '50-fault-form-errors');
      await form.getByLabel('Téléphone de contact').fill('+221 77 111 22 33');
      await form.getByLabel('Ce que dit le client').fill('Grésillements depuis hier soir');
      await form.getByTestId('save-fault').click();

      const view = care.getByTestId('fault-page');
      await view.waitFor();
      const number = care.url().split('/').pop() ?? '';
      expect(number).toMatch(/^D/);
      // The switch sees the line idle: the first diagnosis sends the fault to the distribution frame.
      await view.getByTestId('diagnosis').getByText('Répartiteur').waitFor();
      await s.t.app.workflow.drain();
      await care.reload();
      await view.getByTestId('work-orders').getByText(/^OT/).waitFor();
      await view.getByTestId('scenario-diagram').waitFor();
      await expect(
        view.getByTestId('scenario-diagram').locator('[data-node="test_mdf"]').getAttribute('data-mark'),
      ).resolves.toBe('current');
      await shot(care, '51-fault-page');
      expect(await overflow(care)).toEqual([]);
      // the work order opens its page (which has the PDF button), not the PDF itself
      const woLink = view.getByTestId('work-orders').getByText(/^OT/).first();
      const wo = (await woLink.textContent()) ?? '';
      await woLink.click();
      const woPage = care.getByTestId('work-order-page');
      await woPage.waitFor();
      expect(new URL(care.url()).pathname).toBe(`/work-orders/${wo}`);
      await expect(woPage.getByTestId('work-order-pdf').getAttribute('href')).resolves.toBe(
        `/api/v1/work-orders/${wo}/pdf`,
      );

      // A second report on the same line is refused with the server's reason.
      await care.goto(`${s.base}/lines/${line.number}`);
      await care.getByTestId('line-faults').getByText(number).waitFor();
      await care.getByTestId('report-fault').click();
      await choose(care, /Symptôme/, 'Coupures');
      await form.getByTestId('save-fault').click();
      await form.getByTestId('fault-form-error').waitFor();
      await care.keyboard.press('Escape');
      expect(errorsOf(care)).toEqual([]);
    });

    it('the faults list filters; the MDF repairs, the agent closes, then reopens with a reason', async () => {
      // the follow-up charts first: today's volumes count the fault reported above
      await care.goto(`${s.base}/faults`);
      await care.getByTestId('assistance-stats-link').click();
      const stats = care.getByTestId('assistance-stats');
      await stats.getByText(new Date().toISOString().slice(0, 10)).waitFor();
      await stats.getByText('Délai moyen de relève').waitFor();
      await care.goto(`${s.base}/faults`);
      const table = care.getByTestId('faults');
      await table.getByText(line.number).waitFor();
      // Filtered on another line: nothing.
      await care.getByTestId('fault-filters').getByLabel('Ligne').fill('99999999');
      await care.getByText('Aucun dérangement ne correspond.').waitFor();
      await care.getByTestId('fault-filters').getByLabel('Ligne').fill(line.number);
      await table
        .getByRole('row', { name: new RegExp(line.number) })
        .getByText(/^D\d+/)
        .click();
      const view = care.getByTestId('fault-page');
      await view.waitFor();
      const number = care.url().split('/').pop() ?? '';
      // An open fault cannot be closed yet: only reopen/close of a resolved one are offered.
      await expect(view.getByTestId('close-fault').count()).resolves.toBe(0);

      const mdf = await newPage(s);
      await login(mdf, s.base, 'mdf', DEMO_PASSWORD);
      await mdf.goto(`${s.base}/baskets`);
      await mdf.getByRole('tab').nth(1).click();
      await mdf.getByTestId('basket').getByText('Test and repair at the MDF', { exact: true }).click();
      const drawer = mdf.getByTestId('task-drawer');
      await drawer.getByTestId('claim').click();
      await drawer.getByLabel(/^Cause code/).fill('MDF_JUMPER');
      await drawer.getByLabel(/^Completion report/).fill('Jarretière refaite');
      await drawer.getByTestId('outcome-repaired').click();
      await drawer.waitFor({ state: 'detached' });
      await s.t.app.workflow.drain();

      await care.reload();
      await view.getByText('MDF_JUMPER').first().waitFor();
      await view.getByTestId('close-fault').click();
      await view.getByText('Clos', { exact: true }).first().waitFor();
      // Reopening needs a reason, asked next to its field.
      await view.getByTestId('reopen-fault').click();
      await view.getByText('Obligatoire').waitFor();
      await view.getByLabel(/Pourquoi le rouvrir/).fill('Le bruit est revenu');
      await view.getByTestId('reopen-fault').click();
      await view.getByText('rouvert 1 fois').waitFor();
      const f = (await s.t.call('GET', `/api/v1/faults/${number}`, await s.t.login('care'))).json() as {
        status: string;
        reopenCount: number;
      };
      expect([f.status, f.reopenCount]).toEqual(['open', 1]);
      await shot(care, '52-fault-reopened');
      expect(await overflow(care)).toEqual([]);
      expect(errorsOf(care)).toEqual([]);
      expect(errorsOf(mdf)).toEqual([]);
    });
  },
);
