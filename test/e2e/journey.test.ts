import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { loadDemoPlant } from '../../src/demo/plant.js';
import { startTestElements, type TestElements } from '../../src/modules/activation/testing/elements.js';
import { osmoHlrSuiteName } from '../../src/modules/activation/testing/osmo-hlr.js';
import { DEMO_PASSWORD, TEST_SECRET_KEY } from '../app.js';
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

// The whole journey of issue #8: a counter agent creates a customer and orders a mobile line in the
// browser; every human task is done in the browser by the agent of the actor whose basket receives
// it; the activation automaton creates the subscriber in a real osmo-hlr; the line shows active.
const browser = browserAvailability();
const hlr = osmoHlrSuiteName('the full journey in the browser: customer, mobile line, baskets, line active');
const skip = !browser.run || hlr.skip;
const name = browser.run ? hlr.name : `${hlr.name} — ${browser.reason}`;
if (skip) process.stderr.write(`\n${name}\n`);

/** Which demo agent works each actor's basket. */
const AGENT_OF: Record<string, string> = {
  commercial: 'commercial',
  finance: 'finance',
  switching: 'switching',
  mdf: 'mdf',
  network_studies: 'network',
  stock: 'stock',
  field: 'field',
  supervision: 'supervisor',
};

interface RequestJson {
  number: string;
  status: string;
  subscriptionId: number | null;
  lineId: string | null;
  workflow: {
    data: Record<string, unknown>;
    tasks: { id: number; node: string; kind: string; actor: string; status: string; label: string }[];
  };
}

describe.skipIf(skip)(name, () => {
  let s: Session;
  let net: TestElements;
  const pages = new Map<string, Page>();
  beforeAll(async () => {
    s = await startSession();
    await loadDemoPlant(s.t.tdb.db, TEST_SECRET_KEY);
    await s.t.app.requests.loadDefaultScenarios();
    net = await startTestElements(s.t.app.activation);
  }, 240_000);
  afterAll(async () => {
    await net?.close();
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
  /** The workers and the automaton, as `gpto start` runs them, until nothing moves. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      await s.t.app.workflow.drain();
      await s.t.app.activation.automaton.drain();
    }
    await s.t.app.workflow.drain();
  };

  it('log in as an agent, create a customer, order a mobile line, work the baskets, see the line active', async () => {
    const front = await pageOf('commercial');
    // 1. The customer, through the form.
    await front.getByRole('link', { name: 'Nouveau client' }).click();
    await front.getByLabel('Nom', { exact: false }).first().fill('Cissé');
    await front.getByLabel('Prénoms').fill('Mariama');
    await front.getByLabel('Téléphones').fill('+221 77 555 98 76');
    await front.getByLabel('Rue').fill('Avenue Georges Pompidou');
    await front.getByLabel('Quartier').fill('Plateau');
    await front.getByLabel('Localité').fill('Dakar');
    await choose(front, /Commerciale 1/, /^RES/);
    await choose(front, /Commerciale 2/, /^STD/);
    await choose(front, /Recouvrement/, /^STANDARD/);
    await choose(front, /Comptable/, /^PART/);
    await choose(front, /Fiscale/, /^TVA18 /);
    await front.getByTestId('save-customer').click();
    await front.getByTestId('customer-360').waitFor();
    await shot(front, '80-journey-customer');

    // 2. The mobile line, through the wizard: product, a free number of the pool, the shop's SIM stock.
    await front.getByTestId('new-request').click();
    await choose(front, /Produit/, /Mobile postpayé/);
    await front.getByTestId('wizard-next').click();
    const picker = front.getByTestId('number-picker');
    await picker.getByLabel('Numéro contenant').fill('7710000');
    const firstNumber = picker.getByRole('radio', { name: /^7710000\d\d$/ }).first();
    await firstNumber.waitFor();
    const chosen = (await firstNumber.getAttribute('value')) ?? '';
    expect(chosen).toMatch(/^7710000\d\d$/);
    await firstNumber.check();
    await shot(front, '81-journey-number');
    expect(await overflow(front)).toEqual([]);
    await front.getByTestId('wizard-next').click();
    await front
      .getByTestId('shop-picker')
      .getByText(/SIM en stock/)
      .first()
      .waitFor();
    await front.getByTestId('shop-AG-PLATEAU').click();
    await shot(front, '82-journey-sim');
    expect(await overflow(front)).toEqual([]);
    await front.getByTestId('wizard-next').click();
    await front.getByTestId('wizard-summary').getByText(chosen).waitFor();
    await front.getByTestId('place-request').click();
    await front.getByTestId('request-page').waitFor();
    const number = front.url().split('/').pop() ?? '';
    expect(number).toMatch(/^R/);

    // 3. Each human task, in the basket of its actor, by that actor's agent in the browser.
    const admin = await s.t.login('admin');
    const actors = (await s.t.call('GET', '/api/v1/actors', admin)).json() as {
      code: string;
      name: string;
    }[];
    const read = async () =>
      (await s.t.call('GET', `/api/v1/requests/${number}`, admin)).json() as RequestJson;
    const worked: string[] = [];
    // osmo-hlr goes down as the payment is taken: the request waits for it, and its page says so
    let hlrDown = false;
    let sawWait = false;
    for (let round = 0; round < 12; round++) {
      if (hlrDown) {
        await s.t.app.workflow.drain();
        const waiting = (await read()).workflow.tasks.find((x) => x.node === 'hlr_activate');
        if (waiting?.status === 'waiting') {
          s.t.app.activation.automaton.start(); // as `gpto start` runs it: tries, finds HLR1 down
          await front.goto(`${s.base}/requests/${number}`);
          await front
            .getByTestId('activation-wait')
            .getByText(
              /en attente de l’équipement HLR1, injoignable depuis le .* : il passera de lui-même à son retour/,
            )
            .waitFor({ timeout: 20_000 });
          await shot(front, '83-journey-waits-for-hlr');
          await net.hlr.start();
          await expect
            .poll(async () => (await read()).workflow.tasks.find((x) => x.node === 'hlr_activate')?.status, {
              timeout: 20_000,
            })
            .toBe('done');
          await s.t.app.activation.automaton.stop();
          hlrDown = false;
          sawWait = true;
        }
      }
      await settle();
      const r = await read();
      if (r.status !== 'open') break;
      const open = r.workflow.tasks.filter(
        (x) => x.kind === 'human' && ['ready', 'claimed'].includes(x.status),
      );
      expect(open.length, JSON.stringify(r.workflow.tasks.map((x) => [x.node, x.status]))).toBeGreaterThan(0);
      for (const task of open) {
        const user = AGENT_OF[task.actor];
        expect(user, `no demo agent for ${task.actor}`).toBeDefined();
        const page = await pageOf(user!);
        await page.goto(`${s.base}/baskets`);
        await page
          .getByRole('tab', { name: actors.find((a) => a.code === task.actor)?.name ?? task.actor })
          .click();
        await page.getByTestId('basket').getByText(task.label, { exact: true }).click();
        const drawer = page.getByTestId('task-drawer');
        await drawer.getByTestId('claim').click();
        // What the agent reads on the quote and the invoice: the amounts due.
        const data = r.workflow.data;
        if (task.node === 'deposit') {
          await drawer.getByLabel(/^amount/).fill(String(data.depositDue));
          await drawer.getByLabel(/^method/).fill('cash');
        }
        if (task.node === 'payment') {
          await drawer.getByLabel(/^amount/).fill(String((data.invoice as { total: number }).total));
          await drawer.getByLabel(/^method/).fill('mobile_money');
          await drawer.getByLabel(/^reference/).fill('OM-778899');
        }
        await shot(page, `83-journey-${task.node}`);
        if (task.node === 'payment') {
          await net.hlr.stop();
          hlrDown = true;
        }
        const outcome =
          task.node === 'quote_acceptance' ? 'accepted' : task.node === 'choose_number' ? 'chosen' : 'paid';
        await drawer.getByTestId(`outcome-${outcome}`).click();
        await drawer.waitFor({ state: 'detached' });
        worked.push(`${task.node}@${task.actor}`);
      }
    }
    expect(sawWait).toBe(true);
    const done = await read();
    expect(done.status, JSON.stringify(done.workflow.tasks.map((x) => [x.node, x.status]))).toBe('completed');
    // The commercial service accepted the quote, finance took the money; switching had nothing to do.
    expect(worked).toEqual(expect.arrayContaining(['quote_acceptance@commercial', 'payment@finance']));
    expect(worked.filter((w) => w.endsWith('@switching'))).toEqual([]);
    expect(done.lineId).toBe(chosen);

    // 4. The request page shows the whole path; the line view shows the line active.
    await front.goto(`${s.base}/requests/${number}`);
    const diagram = front.getByTestId('scenario-diagram');
    await expect(diagram.locator('[data-node="hlr_activate"]').getAttribute('data-mark')).resolves.toBe(
      'done',
    );
    // The request's end is reached: marked, like the steps done.
    await expect(diagram.locator('[data-node="done"]').getAttribute('data-mark')).resolves.toBe('done');
    await expect(diagram.locator('[data-node="rejected"]').getAttribute('data-mark')).resolves.toBe('none');
    await shot(front, '84-journey-request-done');
    expect(await overflow(front)).toEqual([]);
    await front.goto(`${s.base}/lines/${chosen}`);
    const line = front.getByTestId('line-view');
    await line.getByText(`Ligne ${chosen}`).waitFor();
    await line.getByText('Actif', { exact: true }).first().waitFor();
    // The HLR itself, asked through the automaton, sees the line in service (not "idle": the HLR
    // cannot tell whether the phone is in a call)
    await expect(
      line.getByTestId('live-status').locator('[data-state]').getAttribute('data-state'),
    ).resolves.toBe('in_service');
    await line
      .getByTestId('live-status')
      .getByText(/en service \(HLR\)/)
      .waitFor();
    // …with voice and data open in the HLR, and nothing in the records holding them
    const access = line.getByTestId('line-access');
    await access.locator('[data-access="voice"]').getByText('Voix ouverte').waitFor();
    await access.locator('[data-access="data"]').getByText('Données ouvertes').waitFor();
    expect(await access.locator('[data-access="limitation"], [data-access="temporary"]').count()).toBe(0);
    await shot(front, '85-journey-line-active');
    expect(await overflow(front)).toEqual([]);

    // …and the subscriber really is in osmo-hlr with the chosen number (read back over CTRL).
    const sub = (await s.t.call('GET', `/api/v1/subscriptions/${done.subscriptionId}`, admin)).json() as {
      status: string;
      simIccid: string;
    };
    expect(sub.status).toBe('active');
    const sim = (await s.t.call('GET', `/api/v1/inventory/sims/${sub.simIccid}`, admin)).json() as {
      imsi: string;
      shop: string | null;
    };
    expect(await net.subscriber(sim.imsi)).toMatchObject({ exists: true, msisdn: chosen });
    for (const p of pages.values()) expect(errorsOf(p)).toEqual([]);
  }, 240_000);
});
