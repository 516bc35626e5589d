import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD } from '../app.js';
import {
  browserAvailability,
  errorsOf,
  login,
  newPage,
  shot,
  startSession,
  type Session,
} from './browser.js';

const availability = browserAvailability();
if (!availability.run) process.stderr.write(`\n${availability.reason}\n`);

async function upload(page: Page, name: string, content: string): Promise<void> {
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.getByTestId('choose-file').click(),
  ]);
  await chooser.setFiles({ name, mimeType: 'application/json', buffer: Buffer.from(content) });
}

describe.skipIf(!availability.run)(
  `scenarios administration in the browser${availability.run ? '' : ` — ${availability.reason}`}`,
  () => {
    let s: Session;
    let page: Page;
    beforeAll(async () => {
      s = await startSession();
      await s.t.app.requests.loadDefaultScenarios();
      page = await newPage(s);
      await login(page, s.base, 'admin', ADMIN_PASSWORD);
    }, 240_000);
    afterAll(async () => {
      await s?.close();
    });

    it('lists the scenarios, draws one as a diagram and simulates it: the path is drawn and explained', async () => {
      await page.getByRole('link', { name: 'Scénarios' }).click();
      await page.getByTestId('scenario-list').getByText('new_mobile_postpaid', { exact: true }).click();
      const detail = page.getByTestId('scenario-detail');
      await detail.getByRole('heading', { name: 'New postpaid mobile line' }).waitFor();
      const diagram = detail.getByTestId('scenario-diagram');
      // Every node of the document is drawn, and every transition target.
      const def = (
        await s.t.call('GET', '/api/v1/scenarios/new_mobile_postpaid', await s.t.login('admin'))
      ).json() as { definition: { nodes: Record<string, unknown>; transitions: { to: string[] }[] } };
      await expect(diagram.locator('[data-node]').count()).resolves.toBe(
        Object.keys(def.definition.nodes).length,
      );
      await expect(diagram.locator('[data-transition]').count()).resolves.toBe(
        def.definition.transitions.reduce((n, t) => n + t.to.length, 0),
      );
      // A condition is written on its arrow.
      await diagram.locator('tspan', { hasText: '[depositDue > 0]' }).first().waitFor();

      // A deposit is due: the simulation goes through the deposit, and the diagram shows the path.
      await detail
        .getByTestId('sim-data')
        .fill(JSON.stringify({ depositDue: 20000, invoice: { total: 5000 } }));
      await detail.getByTestId('run-simulation').click();
      await expect(detail.getByTestId('simulation-result').textContent()).resolves.toBe('demande satisfaite');
      const path = detail.getByTestId('simulation-path');
      await path.getByText('a guarantee deposit is due for this product and customer category').waitFor();
      await expect(diagram.locator('[data-node="deposit"]').getAttribute('data-mark')).resolves.toBe(
        'visited',
      );
      await expect(diagram.locator('[data-taken="yes"]').count()).resolves.toBeGreaterThan(5);
      await shot(page, '60-scenario-simulated');

      // The customer refuses the quote: the request is rejected and the deposit never reached.
      await detail.getByTestId('sim-outcomes').fill('{"quote_acceptance": "refused"}');
      await detail.getByTestId('run-simulation').click();
      await expect(detail.getByTestId('simulation-result').textContent()).resolves.toBe('demande rejetée');
      await expect(diagram.locator('[data-node="deposit"]').getAttribute('data-mark')).resolves.toBe('none');
      // Data that is not JSON is refused next to its field, before asking the server.
      await detail.getByTestId('sim-data').fill('{ depositDue: ');
      await detail.getByTestId('run-simulation').click();
      await detail.getByText(/JSON/).first().waitFor();
      expect(errorsOf(page)).toEqual([]);
    });

    it('uploads a scenario file: issues shown where they are, then a valid version simulated and saved', async () => {
      await page.goto(`${s.base}/admin/scenarios`);
      await page.getByTestId('upload-scenario').click();
      await upload(page, 'broken.json', '{ "code": ');
      await page.getByTestId('parse-error').waitFor();

      const doc = {
        code: 'ui_pilot',
        name: 'Pilot flow',
        start: ['intake'],
        nodes: {
          intake: { kind: 'human', label: 'Intake at the counter', actor: 'no_such_actor', outcomes: ['ok'] },
          done: { kind: 'end', label: 'Done', result: 'completed' },
        },
        transitions: [{ from: 'intake', on: 'ok', to: ['done'] }],
      };
      await upload(page, 'pilot.json', JSON.stringify(doc));
      const issues = page.getByTestId('issues');
      await issues.getByText('nodes.intake.actor').waitFor();
      // The node at fault is marked on the draft's diagram.
      await expect(
        page.getByTestId('scenario-diagram').locator('[data-node="intake"]').getAttribute('data-mark'),
      ).resolves.toBe('invalid');
      await shot(page, '61-scenario-upload-issues');

      doc.nodes.intake.actor = 'commercial';
      await upload(page, 'pilot.json', JSON.stringify(doc));
      await page.getByTestId('valid').waitFor();
      await page.getByTestId('run-simulation').click();
      await expect(page.getByTestId('simulation-result').textContent()).resolves.toBe('demande satisfaite');
      await page.getByTestId('save-version').click();
      await page.getByTestId('scenario-detail').getByText('ui_pilot', { exact: true }).waitFor();
      const saved = (
        await s.t.call('GET', '/api/v1/scenarios/ui_pilot', await s.t.login('admin'))
      ).json() as {
        version: number;
        definition: { nodes: { intake: { actor: string } } };
      };
      expect([saved.version, saved.definition.nodes.intake.actor]).toEqual([1, 'commercial']);
      await shot(page, '62-scenario-saved');
      expect(errorsOf(page)).toEqual([]);
    });
  },
);
