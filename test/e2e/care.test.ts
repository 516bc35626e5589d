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

const CHEF_PASSWORD = 'chef-password-1';

describe.skipIf(!availability.run)(
  `customer care in the browser: complaints, rebates, plant incidents, work orders${availability.run ? '' : ` — ${availability.reason}`}`,
  () => {
    let s: Session;
    let sim: SwitchSimulator;
    let a: BuiltLine;
    let b: BuiltLine;
    let care: Page;
    beforeAll(async () => {
      s = await startSession();
      await loadAssistanceScenarios(s.t.app.workflow);
      await buildPlant(s.t.app.inventory, { distPairs: 6, primaryPairs: 20, ports: 20 });
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
      const world = { t: s.t, sim, close: async () => undefined };
      a = await buildLine(world, 'Kane');
      b = await buildLine(world, 'Sarr');
      // A second supervisor decides complaints: the one who asks for a rebate never approves it.
      const admin = await s.t.login('admin');
      const u = await s.t.call('POST', '/api/v1/users', admin, {
        username: 'chef',
        displayName: 'Ndeye Faye (cheffe de plateau)',
        password: CHEF_PASSWORD,
        roles: ['supervisor'],
        actors: ['supervision'],
      });
      if (u.statusCode !== 201) throw new Error(u.body);
      care = await newPage(s);
      await login(care, s.base, 'care', DEMO_PASSWORD);
    }, 240_000);
    afterAll(async () => {
      await s?.t.app.activation.stop().catch(() => undefined);
      await sim?.stop();
      await s?.close();
    });

    it('a complaint opened from the customer is investigated, accepted, and its rebate approved by another supervisor', async () => {
      await care.goto(`${s.base}/customers/${a.customerCode}`);
      await care.getByTestId('open-complaint').click();
      const form = care.getByTestId('complaint-form');
      // Nothing filled: both required fields are marked before asking the server.
      await form.getByTestId('save-complaint').click();
      await form.getByText('Obligatoire').first().waitFor();
      await expect(form.getByText('Obligatoire').count()).resolves.toBe(2);
      await choose(care, /Catégorie/, 'Litige de service');
      await choose(care, /^Ligne/, a.number);
      await form.getByLabel(/Objet/).fill('Ligne coupée cinq jours sans explication');
      await form.getByLabel('Montant contesté (XOF)').fill('4500');
      await form.getByTestId('save-complaint').click();

      const page = care.getByTestId('complaint-page');
      await page.waitFor();
      const number = care.url().split('/').pop() ?? '';
      expect(number).toMatch(/^RC/);
      await page
        .getByText(/4\s500/)
        .first()
        .waitFor();
      // a service dispute is investigated by customer care: the agent records the findings here
      const investigate = page.getByTestId('complaint-investigate');
      await investigate.getByTestId('submit-findings').click();
      await investigate.getByText('Obligatoire').waitFor();
      await investigate
        .getByLabel(/Constatations/)
        .fill('Coupure confirmée du 3 au 8, aucun dérangement ouvert');
      await investigate.getByTestId('submit-findings').click();
      // the decision belongs to the supervision: the agent only sees whom it waits for
      await page
        .getByTestId('complaint-waiting')
        .getByText(/supervision/)
        .waitFor();
      await page
        .getByTestId('task-data')
        .getByText(/care : Coupure confirmée/)
        .waitFor();
      await shot(care, '53-complaint-investigated');

      const chef = await newPage(s);
      await login(chef, s.base, 'chef', CHEF_PASSWORD);
      await chef.goto(`${s.base}/complaints`);
      await chef.getByTestId('complaints').getByText(number).click();
      const decide = chef.getByTestId('complaint-decide');
      await decide.getByLabel(/Motif donné au client/).fill('Coupure reconnue : geste commercial');
      // the amount offered starts at the amount in dispute
      await expect(decide.getByLabel('Dégrèvement (XOF)').inputValue()).resolves.toBe('4 500');
      await decide.getByTestId('accept-complaint').click();
      await s.t.app.workflow.drain();
      await chef.reload();
      const decided = chef.getByTestId('complaint-page');
      await decided.getByTestId('complaint-decision').getByText('Acceptée').waitFor();
      const rebate = decided.getByTestId('complaint-rebate');
      await rebate.getByText('En attente').waitFor();
      await rebate.getByText(/4\s500/).waitFor();
      // the supervisor who asked for it (by accepting) is told why they cannot approve it
      await rebate
        .getByTestId('rebate-why-not')
        .getByText(/someone other/)
        .waitFor();
      await expect(rebate.getByTestId('approve-rebate').count()).resolves.toBe(0);
      // the agent has no approval right: no buttons either
      await care.reload();
      await care.getByTestId('complaint-rebate').getByTestId('rebate-why-not').waitFor();
      await expect(care.getByTestId('approve-rebate').count()).resolves.toBe(0);
      const rebateNumber = (
        (await s.t.call('GET', `/api/v1/complaints/${number}`, await s.t.login('care'))).json() as {
          rebate: { number: string };
        }
      ).rebate.number;

      const supervisor = await newPage(s);
      await login(supervisor, s.base, 'supervisor', DEMO_PASSWORD);
      await supervisor.goto(`${s.base}/rebates`);
      await supervisor.getByTestId('rebate-queue').check();
      const row = supervisor.locator(`[data-rebate="${rebateNumber}"]`);
      await row.getByTestId('approve-rebate').click();
      await supervisor.getByTestId('rebates').waitFor({ state: 'detached' });
      await supervisor.getByText('Aucun dégrèvement ne correspond.').waitFor();
      await shot(supervisor, '54-rebate-queue-empty');
      const credited = (
        await s.t.call('GET', `/api/v1/rebates/${rebateNumber}`, await s.t.login('care'))
      ).json() as { status: string; amount: number };
      expect(credited).toMatchObject({ status: 'credited', amount: 4500 });

      // on the customer's timeline: opened, decided, rebate requested and approved
      await care.goto(`${s.base}/customers/${a.customerCode}`);
      await care.getByRole('tab', { name: 'Historique' }).click();
      const timeline = care.getByTestId('timeline');
      await timeline.getByText('Dégrèvement approuvé et crédité').waitFor();
      await timeline.getByText('Réclamation ouverte').waitFor();
      await shot(care, '55-customer-timeline-rebate');
      expect(await overflow(care)).toEqual([]);
      for (const p of [care, chef, supervisor]) expect(errorsOf(p)).toEqual([]);
    }, 120_000);

    it('an agent asks for an outage rebate; a complaint opened from the line view is rejected with its reason', async () => {
      await care.goto(`${s.base}/rebates`);
      await care.getByTestId('new-rebate').click();
      const form = care.getByTestId('rebate-form');
      await form.getByLabel('Ligne à créditer').fill(b.number);
      await form.getByLabel(/^Motif/).fill('Coupure de 24 heures sans dérangement ouvert');
      // a fixed rebate needs its amount: asked next to the field
      await form.getByTestId('save-rebate').click();
      await form.getByText('Obligatoire').waitFor();
      await form.getByText('Durée de coupure').click();
      await form.getByLabel('Coupure (minutes)').fill('1440');
      await form.getByTestId('save-rebate').click();
      await form.waitFor({ state: 'detached' });
      const row = care.getByTestId('rebates').getByRole('row', { name: new RegExp(b.number) });
      await row.getByText(/1440 min sur/).waitFor();
      // the agent asked for it and holds no approval right: the reason, no buttons
      await row.getByTestId('rebate-why-not').waitFor();
      const listed = (
        (await s.t.call('GET', `/api/v1/rebates?status=pending`, await s.t.login('care'))).json() as {
          items: { lineId: string; method: string; outageMinutes: number; amount: number }[];
        }
      ).items.find((r) => r.lineId === b.number);
      expect(listed).toMatchObject({ method: 'outage', outageMinutes: 1440 });

      await care.goto(`${s.base}/lines/${b.number}`);
      await care.getByTestId('open-complaint').click();
      await choose(care, /Catégorie/, 'Litige de facturation');
      await care.getByTestId('complaint-form').getByLabel(/Objet/).fill('Facture de mars contestée');
      await care.getByTestId('save-complaint').click();
      const page = care.getByTestId('complaint-page');
      await page.waitFor();
      const number = care.url().split('/').pop() ?? '';
      // a billing dispute is investigated by finance, not by the agent
      await page
        .getByTestId('complaint-waiting')
        .getByText(/finance/)
        .waitFor();

      // a supervisor may work every step: the investigation, then the decision
      const supervisor = await newPage(s);
      await login(supervisor, s.base, 'supervisor', DEMO_PASSWORD);
      await supervisor.goto(`${s.base}/complaints/${number}`);
      const investigate = supervisor.getByTestId('complaint-investigate');
      await investigate.getByLabel(/Constatations/).fill('Facture conforme aux relevés du compteur');
      await investigate.getByTestId('submit-findings').click();
      const decide = supervisor.getByTestId('complaint-decide');
      await decide.getByTestId('reject-complaint').click();
      await decide.getByText('Obligatoire').waitFor();
      await decide.getByLabel(/Motif donné au client/).fill('Consommation conforme aux relevés');
      await decide.getByTestId('reject-complaint').click();
      await s.t.app.workflow.drain();
      await supervisor.reload();
      const decision = supervisor.getByTestId('complaint-decision');
      await decision.getByText('Rejetée').waitFor();
      await decision.getByText('Consommation conforme aux relevés').waitFor();
      await expect(supervisor.getByTestId('complaint-rebate').count()).resolves.toBe(0);
      await supervisor.goto(`${s.base}/complaints`);
      await choose(supervisor, /^État/, 'Rejetée');
      await supervisor.getByTestId('complaints').getByText(number).waitFor();
      expect(errorsOf(care)).toEqual([]);
      expect(errorsOf(supervisor)).toEqual([]);
    }, 120_000);

    it("a customer's 360° lists their complaints of every status; the complaints screen follows them up for that customer", async () => {
      const agent = await s.t.login('care');
      const numbersOf = async (customerId: number) =>
        (
          (await s.t.call('GET', `/api/v1/complaints?customer=${customerId}`, agent)).json() as {
            items: { number: string; status: string }[];
          }
        ).items;
      // b's complaint (rejected), then a second one for b, still open
      const opened = await s.t.call('POST', '/api/v1/complaints', agent, {
        line: b.number,
        category: 'service',
        subject: 'Grésillements sur la ligne',
      });
      expect(opened.statusCode, opened.body).toBe(201);
      const ofB = await numbersOf(b.customerId);
      const ofA = await numbersOf(a.customerId);
      expect(ofB.map((c) => c.status).sort()).toEqual(['open', 'rejected']);
      expect(ofA.length).toBeGreaterThan(0);

      await care.goto(`${s.base}/customers/${b.customerCode}`);
      await care.getByTestId('tab-complaints').click();
      const table = care.getByTestId('complaints');
      for (const c of ofB) await table.getByText(c.number).waitFor();
      await expect(table.getByRole('row').count()).resolves.toBe(ofB.length + 1);
      for (const c of ofA) await expect(table.getByText(c.number).count()).resolves.toBe(0);
      await shot(care, '55-customer-complaints');

      // the follow-up screen, filtered on b: every status, b's only; the filter can be taken off
      await care.getByText('Les suivre dans l’écran des réclamations').click();
      await care
        .getByTestId('complaint-customer-filter')
        .getByText(b.customerCode, { exact: false })
        .waitFor();
      const list = care.getByTestId('complaints');
      for (const c of ofB) await list.getByText(c.number).waitFor();
      await expect(list.getByRole('row').count()).resolves.toBe(ofB.length + 1);
      await care.getByTestId('complaint-customer-filter').getByRole('button').click();
      await care.getByTestId('complaint-customer-filter').waitFor({ state: 'detached' });
      // back to the follow-up of open complaints, every customer's
      const open = care.getByTestId('complaints');
      await open.getByText(ofB.find((c) => c.status === 'open')!.number).waitFor();
      // the open one is in the list before and after the filter is taken off: wait for the others to go
      for (const c of ofB.filter((x) => x.status !== 'open'))
        await expect.poll(async () => open.getByText(c.number).count(), { timeout: 10_000 }).toBe(0);
      expect(errorsOf(care)).toEqual([]);
    }, 120_000);

    it("the line view leads to the line's activation orders", async () => {
      await care.goto(`${s.base}/lines/${a.number}`);
      await care.getByTestId('line-activation').click();
      await care.waitForURL(new RegExp(`/activation\\?line=${a.number}$`));
      await expect(care.getByLabel('Ligne').inputValue()).resolves.toBe(a.number);
      // every status of the line's orders, not the refused ones only
      await expect(care.getByTestId('order-filters').getByLabel(/^État/).inputValue()).resolves.toBe('');
      expect(errorsOf(care)).toEqual([]);
    }, 60_000);

    it('an incident declared on a concentration point shows its lines and, once repaired, what it closed and served', async () => {
      const network = await newPage(s);
      await login(network, s.base, 'network', DEMO_PASSWORD);
      await network.goto(`${s.base}/incidents`);
      await network.getByTestId('declare-incident').click();
      const form = network.getByTestId('incident-form');
      await form.getByTestId('save-incident').click();
      await form.getByText('Obligatoire').first().waitFor();
      await expect(form.getByText('Obligatoire').count()).resolves.toBe(2);
      await choose(network, /Point de concentration/, /^PC1/);
      await form.getByLabel(/Ce qui est arrivé/).fill('Armoire PC1 inondée');
      await form.getByTestId('save-incident').click();
      const page = network.getByTestId('incident-page');
      await page.waitFor();
      const number = network.url().split('/').pop() ?? '';
      expect(number).toMatch(/^INC/);
      const lines = page.getByTestId('incident-lines');
      await lines.getByText(a.number).waitFor();
      await lines.getByText(b.number).waitFor();
      await shot(network, '56-incident-declared');

      // meanwhile a fault on a line of the CP attaches to it, and a new line there is held
      const careToken = await s.t.login('care');
      const fault = (
        await s.t.call('POST', '/api/v1/faults', careToken, { line: a.number, symptom: 'no_dial_tone' })
      ).json() as { number: string; diagnosis: { verdict: string } };
      expect(fault.diagnosis.verdict).toBe('incident');
      await s.t.app.workflow.drain();
      const held = await s.t.app.inventory.service.study(
        {
          requestRef: 'T-CARE-HELD',
          kind: 'fixed_wired',
          product: 'FIXE',
          address: { number: '3', street: 'Rue Carnot', district: 'Plateau', locality: 'Dakar' },
          holdIfNotFeasible: true,
        },
        SYSTEM,
      );
      expect(held).toMatchObject({ feasible: false, held: true });
      await network.reload();
      await page.getByTestId('incident-open-faults').getByText(fault.number).waitFor();

      await page.getByTestId('repair-incident').click();
      await page.getByTestId('incident-repair').getByText('Obligatoire').waitFor();
      await page.getByLabel(/Compte rendu de réparation/).fill('Armoire asséchée, têtes de câble refaites');
      await page.getByTestId('repair-incident').click();
      const summary = page.getByTestId('repair-summary');
      await summary.getByText(/1 dérangement\(s\) clos, 1 demande\(s\)/).waitFor();
      await summary.getByText(/T-CARE-HELD/).waitFor();
      await page.getByTestId('incident-closed-faults').getByText(fault.number).waitFor();
      await expect(page.getByTestId('repair-incident').count()).resolves.toBe(0);
      await shot(network, '57-incident-repaired');
      expect(await overflow(network)).toEqual([]);
      expect(errorsOf(network)).toEqual([]);
    }, 90_000);

    it('a work order is listed for its team, started and reported with its cause code', async () => {
      // the switch sees line B idle: the fault goes to the distribution frame with a work order
      const careToken = await s.t.login('care');
      const fault = (
        await s.t.call('POST', '/api/v1/faults', careToken, { line: b.number, symptom: 'noise' })
      ).json() as { number: string; diagnosis: { verdict: string } };
      expect(fault.diagnosis.verdict).toBe('mdf');
      await s.t.app.workflow.drain();

      const mdf = await newPage(s);
      await login(mdf, s.base, 'mdf', DEMO_PASSWORD);
      await mdf.goto(`${s.base}/work-orders`);
      const filters = mdf.getByTestId('work-order-filters');
      await choose(mdf, /Équipe/, 'Répartiteur');
      const list = mdf.getByTestId('work-orders-list');
      await list.getByText(fault.number).waitFor();
      // another team's list does not have it
      await choose(mdf, /Équipe/, 'Équipe terrain');
      await mdf.getByText('Aucun ordre de travaux ne correspond.').waitFor();
      await choose(mdf, /Équipe/, 'Répartiteur');
      await filters.waitFor();
      await list.getByText(fault.number).click();

      const page = mdf.getByTestId('work-order-page');
      await page.waitFor();
      const number = mdf.url().split('/').pop() ?? '';
      expect(number).toMatch(/^OT/);
      await expect(page.getByTestId('work-order-pdf').getAttribute('href')).resolves.toBe(
        `/api/v1/work-orders/${number}/pdf`,
      );
      const pdf = await mdf.request.get(`${s.base}/api/v1/work-orders/${number}/pdf`);
      expect(pdf.headers()['content-type']).toBe('application/pdf');
      expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');

      await page.getByTestId('start-work-order').click();
      await page.getByTestId('report-work-order').waitFor();
      // a repaired fault needs its cause code: asked next to the field
      await page.getByLabel(/^Compte rendu/).fill('Jarretière refaite au répartiteur');
      await page.getByTestId('report-work-order').click();
      await page.getByText('Obligatoire').waitFor();
      await page.getByLabel(/Code cause/).fill('MDF_JUMPER');
      await page.getByTestId('report-work-order').click();
      await page
        .getByTestId('work-order-report')
        .getByText(/MDF_JUMPER/)
        .waitFor();
      await page.getByText('Fait', { exact: true }).first().waitFor();
      await shot(mdf, '58-work-order-reported');
      expect(await overflow(mdf)).toEqual([]);
      // the same page in English
      await mdf.getByText('EN', { exact: true }).click();
      await page.getByText(`Work order ${number}`).waitFor();
      await page.getByText('Print (PDF)').waitFor();
      await page.getByText('Distribution frame').waitFor();

      // the report moved the fault on: its MDF task is done with the cause code
      await s.t.app.workflow.drain();
      const f = (await s.t.call('GET', `/api/v1/faults/${fault.number}`, careToken)).json() as {
        status: string;
        causeCode: string;
      };
      expect(f).toMatchObject({ status: 'resolved', causeCode: 'MDF_JUMPER' });
      expect(errorsOf(mdf)).toEqual([]);
    }, 90_000);

    it('the approval queue finds a rebate to decide behind a full page of rebates its approver asked for', async () => {
      const careToken = await s.t.login('care');
      const chefToken = await s.t.login('chef', CHEF_PASSWORD);
      const ask = async (token: string, reason: string) => {
        const r = await s.t.call('POST', '/api/v1/rebates', token, { line: a.number, reason, amount: 1200 });
        expect(r.statusCode).toBe(201);
        return (r.json() as { number: string }).number;
      };
      const theirs = await ask(careToken, 'Geste commercial à valider');
      // more than a page (25) of newer rebates the chef asked for: four eyes, not theirs to decide
      const own: string[] = [];
      for (let i = 0; i < 26; i++) own.push(await ask(chefToken, `Geste ${i}`));
      const chef = await newPage(s);
      await login(chef, s.base, 'chef', CHEF_PASSWORD);
      await chef.goto(`${s.base}/rebates`);
      await chef.getByTestId('rebates').waitFor();
      await chef.getByTestId('rebate-queue').check();
      const row = chef.locator(`[data-rebate="${theirs}"]`);
      await row.getByTestId('approve-rebate').waitFor();
      for (const n of own.slice(-3))
        await expect(chef.locator(`[data-rebate="${n}"]`).count()).resolves.toBe(0);
      const rows = chef.getByTestId('rebates').locator('[data-rebate]');
      await expect(rows.count()).resolves.toBe(await rows.getByTestId('approve-rebate').count());
      await shot(chef, '59-rebate-queue-server-filtered');
      await row.getByTestId('approve-rebate').click();
      await row.waitFor({ state: 'detached' });
      const decided = (await s.t.call('GET', `/api/v1/rebates/${theirs}`, careToken)).json() as {
        status: string;
      };
      expect(decided.status).toBe('credited');
      expect(errorsOf(chef)).toEqual([]);
    }, 90_000);
  },
);
