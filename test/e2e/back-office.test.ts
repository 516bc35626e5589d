import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SYSTEM } from '../../src/platform/events.js';
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

interface RequestJson {
  number: string;
  status: string;
  subscriptionId: number | null;
  workflow: {
    data: Record<string, unknown>;
    tasks: { id: number; node: string; kind: string; actor: string; status: string; label: string }[];
  };
}

describe.skipIf(!availability.run)(
  `back office in the browser${availability.run ? '' : ` — ${availability.reason}`}`,
  () => {
    let s: Session;
    const pages = new Map<string, Page>();
    beforeAll(async () => {
      s = await startSession();
      await s.t.app.requests.loadDefaultScenarios();
    }, 240_000);
    afterAll(async () => {
      await s?.close();
    });

    const pageOf = async (username: string) => {
      let page = pages.get(username);
      if (!page) {
        page = await newPage(s);
        await login(page, s.base, username, DEMO_PASSWORD);
        pages.set(username, page);
      }
      return page;
    };

    it('agents work a scenario through their baskets: claim, fill the task’s own form, choose the outcome', async () => {
      // A scenario of our own keeps this test about the screens, not about the default scenarios.
      await s.t.app.workflow.scenarios.createVersion(
        {
          code: 'ui_test_flow',
          name: 'UI test flow',
          start: ['intake'],
          nodes: {
            intake: {
              kind: 'human',
              label: 'Prise en charge',
              actor: 'commercial',
              outcomes: ['done'],
              fields: [{ name: 'zone', type: 'string', required: true, label: 'Zone' }],
              slaHours: 4,
            },
            deposit: {
              kind: 'human',
              label: 'Encaissement de la caution',
              actor: 'finance',
              outcomes: ['paid', 'refused'],
              fields: [{ name: 'amount', type: 'integer', required: true, label: 'Montant' }],
            },
            done: { kind: 'end', label: 'Terminé', result: 'completed' },
            rejected: { kind: 'end', label: 'Refusé', result: 'rejected' },
          },
          transitions: [
            { from: 'intake', on: 'done', to: ['deposit'] },
            { from: 'deposit', on: 'paid', to: ['done'] },
            { from: 'deposit', on: 'refused', to: ['rejected'] },
          ],
        } as never,
        SYSTEM,
      );
      const instanceId = await s.t.tdb.db.transaction().execute((trx) =>
        s.t.app.workflow.engine.start(trx, {
          scenarioCode: 'ui_test_flow',
          subjectType: 'test',
          subjectId: 'ui-1',
          customerId: null,
          lineId: '338219999',
          data: {},
          by: SYSTEM,
        }),
      );
      await s.t.app.workflow.drain();

      const steps = [
        { user: 'commercial', label: 'Prise en charge', field: 'Zone', value: 'DAKAR', outcome: 'done' },
        {
          user: 'finance',
          label: 'Encaissement de la caution',
          field: 'Montant',
          value: '25000',
          outcome: 'paid',
        },
      ];
      for (const [i, step] of steps.entries()) {
        const page = await pageOf(step.user);
        await page.goto(`${s.base}/baskets`);
        // The actor's basket (second tab: the first is "my tasks").
        await page.getByRole('tab').nth(1).click();
        await page.getByTestId('basket').getByText(step.label, { exact: true }).click();
        const drawer = page.getByTestId('task-drawer');
        await drawer.getByTestId('claim').click();
        // A required field left empty is refused next to it by the engine.
        if (i === 0) {
          await drawer.getByTestId(`outcome-${step.outcome}`).click();
          await drawer.getByText('Zone is required').waitFor();
          // …next to the field, not in a general message.
          await expect(drawer.getByRole('alert').count()).resolves.toBe(0);
          await shot(page, '30-task-missing-field');
        }
        await drawer.getByLabel(new RegExp(`^${step.field}`)).fill(step.value);
        await shot(page, `3${i + 1}-task-form-${step.user}`);
        await drawer.getByTestId(`outcome-${step.outcome}`).click();
        await drawer.waitFor({ state: 'detached' });
        await s.t.app.workflow.drain();
      }
      const tasks = await s.t.app.workflow.tasks.ofInstance(instanceId);
      expect(
        tasks.filter((x) => x.kind === 'human').map((x) => [x.node, x.status, x.outcome, x.result]),
      ).toEqual([
        ['intake', 'done', 'done', { by: 'commercial', data: { zone: 'DAKAR' } }],
        ['deposit', 'done', 'paid', { by: 'finance', data: { amount: 25000 } }],
      ]);
      for (const p of pages.values()) expect(errorsOf(p)).toEqual([]);
    });

    it('an agent places a service request from the 360° and follows it on the request page', async () => {
      const front = await s.t.login('commercial');
      const customer = (
        await s.t.call('POST', '/api/v1/customers', front, {
          kind: 'person',
          lastName: 'Faye',
          firstNames: 'Moussa',
          address: { street: 'Rue 12', locality: 'Thiès' },
          categories: {
            commercial1: 'RES',
            commercial2: 'STD',
            collection: 'STANDARD',
            accounting: 'PART',
            tax: 'TVA18',
          },
        })
      ).json() as { code: string };
      const page = await pageOf('commercial');
      await page.goto(`${s.base}/customers/${customer.code}`);
      await page.getByTestId('new-request').click();
      await choose(page, /Produit/, /Mobile postpayé/);
      await shot(page, '32-new-request');
      // The new-line wizard: product, number (any), SIM (the local shop), summary.
      for (let i = 0; i < 3; i++) await page.getByTestId('wizard-next').click();
      await page.getByTestId('wizard-summary').waitFor();
      await page.getByTestId('place-request').click();
      const view = page.getByTestId('request-page');
      await view.waitFor();
      const number = page.url().split('/').pop() ?? '';
      const r = (await s.t.call('GET', `/api/v1/requests/${number}`, front)).json() as RequestJson & {
        kind: string;
        productCode: string;
      };
      expect([r.kind, r.productCode]).toEqual(['new_line', 'MOBILE-POST']);
      await s.t.app.workflow.drain();
      const after = (await s.t.call('GET', `/api/v1/requests/${number}`, front)).json() as RequestJson;
      expect(after.workflow.tasks.length).toBeGreaterThan(0);
      // The page refreshes by itself; every task the engine created is on the timeline.
      await page.reload();
      await view.getByText(`Demande ${number}`).waitFor();
      for (const task of after.workflow.tasks)
        await view.getByText(task.label, { exact: true }).first().waitFor();
      // The scenario is drawn with the request's open task highlighted and the steps done ticked.
      const diagram = view.getByTestId('scenario-diagram');
      for (const task of after.workflow.tasks) {
        const mark = task.status === 'done' ? 'done' : task.status === 'cancelled' ? 'cancelled' : 'current';
        await expect(diagram.locator(`[data-node="${task.node}"]`).getAttribute('data-mark')).resolves.toBe(
          mark,
        );
      }
      // …and the node panel says why the open task went where it is.
      await view.getByTestId('node-panel').getByTestId('explanation').first().waitFor();
      await shot(page, '33-request-page');
      await page.goto(`${s.base}/customers/${customer.code}`);
      await page.getByRole('tab', { name: 'Demandes' }).click();
      await page.getByText(number).waitFor();
    });

    it('an agent asks for a temporary access change from the list, not by typing its code', async () => {
      const front = await s.t.login('commercial');
      const customer = (
        await s.t.call('POST', '/api/v1/customers', front, {
          kind: 'person',
          lastName: 'Gueye',
          firstNames: 'Awa',
          address: { street: 'Rue 14', locality: 'Thiès' },
          categories: {
            commercial1: 'RES',
            commercial2: 'STD',
            collection: 'STANDARD',
            accounting: 'PART',
            tax: 'TVA18',
          },
        })
      ).json() as { code: string };
      const sub = await s.t.call('POST', `/api/v1/customers/${customer.code}/subscriptions`, front, {
        productCode: 'FIXE',
        directoryNumber: '338210077',
      });
      expect(sub.statusCode, sub.body).toBe(201);
      const page = await pageOf('commercial');
      await page.goto(`${s.base}/customers/${customer.code}`);
      await page.getByTestId('new-request').click();
      await choose(page, /^Nature/, /Changement d’accès/);
      await choose(page, /Ligne concernée/, /338210077/);
      // a fixed line has no data to cut: the list does not offer it
      await page.getByRole('textbox', { name: /^Modification/ }).click();
      await page.getByRole('option', { name: /Interdire l’international/ }).waitFor();
      expect(await page.getByRole('option', { name: /Couper les données/ }).count()).toBe(0);
      await page.getByRole('option', { name: /Interdire l’international/ }).click();
      const until = new Date(Date.now() + 3 * 86_400_000);
      const local = new Date(until.getTime() - until.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
      await page.getByLabel('Jusqu’au').fill(local);
      await page.getByRole('button', { name: 'Déposer la demande' }).click();
      await page.getByTestId('request-page').waitFor();
      const number = page.url().split('/').pop() ?? '';
      const r = (await s.t.call('GET', `/api/v1/requests/${number}`, front)).json() as { kind: string };
      expect(r.kind).toBe('access_change');
      const { data } = await s.t.tdb.db
        .selectFrom('wf_instance as i')
        .innerJoin('service_request as r', (j) =>
          j.on((eb) =>
            eb('i.subject_type', '=', 'service_request').and(
              eb.cast('r.id', 'text'),
              '=',
              eb.ref('i.subject_id'),
            ),
          ),
        )
        .select('i.data')
        .where('r.number', '=', number)
        .executeTakeFirstOrThrow();
      expect((data as { accessChange: { change: string; until: string } }).accessChange).toEqual({
        change: 'bar_international',
        until: new Date(local).toISOString(),
      });
      expect(errorsOf(page)).toEqual([]);
    });

    it('an empty basket says so', async () => {
      const page = await pageOf('mdf');
      await page.goto(`${s.base}/baskets`);
      await page.getByText('Corbeille vide.').first().waitFor();
      await shot(page, '34-basket-empty');
    });
  },
);
