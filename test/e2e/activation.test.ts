import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { sql } from 'kysely';
import { SYSTEM } from '../../src/platform/events.js';
import { generateCustomers } from '../../src/demo/generate.js';
import { loadDemoInstalledBase } from '../../src/demo/installed-base.js';
import { loadDemoPlant } from '../../src/demo/plant.js';
import { activationSteps, SwitchSimulator } from '../../src/modules/activation/index.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, TEST_SECRET_KEY } from '../app.js';
import { Sealer } from '../../src/platform/sealed.js';
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
  `automatic activation in the browser: elements, refused orders, the journal, replay${availability.run ? '' : ` — ${availability.reason}`}`,
  () => {
    let s: Session;
    let sim: SwitchSimulator;
    let switching: Page;
    beforeAll(async () => {
      s = await startSession();
      sim = new SwitchSimulator({ name: 'SWA' });
      const port = await sim.start();
      await s.t.app.activation.service.upsertElement(
        {
          code: 'SWA',
          kind: 'mml_switch',
          name: 'Central Plateau',
          host: '127.0.0.1',
          port,
          username: 'gpto',
          password: 'gpto',
          isDefault: true,
        },
        SYSTEM,
      );
      switching = await newPage(s);
      await login(switching, s.base, 'switching', DEMO_PASSWORD);
    }, 240_000);
    afterAll(async () => {
      await s?.t.app.activation.stop().catch(() => undefined);
      await sim?.stop();
      await s?.close();
    });

    it('the switching service sees the element at work, finds the refused order with the switch’s message, and replays it once the line is there', async () => {
      const s1 = s.t.app.activation.service;
      // a line set up, then services asked on a number the switch does not have: refused (DNUNK)
      await s1.order(
        { operation: 'fixed.activate', lineId: '338260001', params: { dn: '338260001', en: '04-01-001' } },
        SYSTEM,
      );
      const refused = await s1.order(
        { operation: 'fixed.services', lineId: '338260002', params: { dn: '338260002', add: ['CW'] } },
        SYSTEM,
      );
      await s.t.app.activation.automaton.drain();
      expect((await s1.get(refused.id)).status).toBe('refused');

      await switching.goto(`${s.base}/activation`);
      const card = switching.getByTestId('element-SWA');
      await card.getByTestId('circuit').getByText('En service').waitFor();
      await card.getByText('Central Plateau', { exact: false }).waitFor();
      const sent = Number((await card.getByTestId('commands-sent').innerText()).replace(/\D/g, ''));
      expect(sent).toBeGreaterThanOrEqual(2);
      // the last 24 hours from the journal, under the counters; a click opens the chart
      const journaled = await s.t.tdb.db
        .selectFrom('act_command')
        .select(['outcome', (eb) => eb.fn.countAll<string>().as('n')])
        .where('element_code', '=', 'SWA')
        .groupBy('outcome')
        .execute();
      const total = journaled.reduce((n, r) => n + Number(r.n), 0);
      const refusedCommands = Number(journaled.find((r) => r.outcome === 'refused')?.n ?? 0);
      expect(refusedCommands).toBeGreaterThanOrEqual(1);
      const spark = card.getByTestId('activity-spark');
      await spark.getByText(`${total} commandes · ${refusedCommands} refus · 0 erreur(s)`).waitFor();
      // the refused order left to handle, beside "Activation automatique"
      const toHandleAlert = switching.getByTestId('nav-activation-alert');
      await toHandleAlert.getByText('1', { exact: true }).waitFor();
      await expect(toHandleAlert.getAttribute('title')).resolves.toBe('1 ordre refusé à traiter');
      await spark.click();
      const totals = switching.getByTestId('activity-totals');
      await totals
        .getByText(new RegExp(`^${total - refusedCommands} acceptées, ${refusedCommands} refusées`))
        .waitFor();
      await switching.getByTestId('activity-window').getByText('1 heure').click();
      await totals.getByText(/barres de 1 min/).waitFor();
      // one bar of this minute's commands at least, in each of its colours
      const commandBars = switching.getByTestId('activity-commands').locator('.recharts-bar-rectangle');
      await expect.poll(async () => commandBars.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      // the bar of this minute: its commands, the refused one with the switch's reply
      await commandBars.last().click();
      const bucket = switching.getByTestId('bucket-journal');
      await expect.poll(async () => bucket.locator('tbody tr').count(), { timeout: 10_000 }).toBe(total);
      await switching.getByTestId('bucket-outcome').getByText('Refusées').click();
      await expect
        .poll(async () => bucket.locator('tbody tr').count(), { timeout: 10_000 })
        .toBe(refusedCommands);
      await bucket.getByText(/DNUNK/).first().waitFor();
      await switching.waitForTimeout(400); // the drawer's opening transition
      await shot(switching, '73-activation-element-activity');
      await switching.keyboard.press('Escape');
      await totals.waitFor({ state: 'detached' });
      // the first look: what the elements refused — this order only
      const orders = switching.getByTestId('orders');
      const row = orders.getByRole('row', { name: new RegExp(`^${refused.id}\\b`) });
      await row.getByRole('cell', { name: '338260002', exact: true }).waitFor();
      await expect(orders.getByText('338260001').count()).resolves.toBe(0);
      await row.click();
      const detail = switching.getByTestId('order-detail');
      await detail
        .getByTestId('order-error')
        .getByText(/DNUNK|no line/)
        .waitFor();
      const journal = detail.getByTestId('order-journal');
      await journal.getByText('Refusée').waitFor();
      await journal
        .getByText(/338260002/)
        .first()
        .waitFor();
      await detail.getByTestId('replay-order').waitFor();
      await switching.waitForTimeout(400); // the drawer's opening transition
      await shot(switching, '70-activation-refused-order');
      expect(await overflow(switching)).toEqual([]);

      // put right on the network (the line now exists), then replayed from the screen
      await s1.order(
        { operation: 'fixed.activate', lineId: '338260002', params: { dn: '338260002', en: '04-01-002' } },
        SYSTEM,
      );
      await s.t.app.activation.automaton.drain();
      await detail.getByTestId('replay-order').click();
      const notice = switching.getByText(new RegExp(`Ordre ${refused.id} rejoué : nouvel ordre \\d+`));
      await notice.waitFor();
      const next = Number(/nouvel ordre (\d+)/.exec(await notice.innerText())?.[1]);
      expect((await s1.get(next)).replayOf).toBe(refused.id);
      await s.t.app.activation.automaton.drain();
      // the drawer follows the new order, which the switch carried out
      await switching.getByRole('dialog').getByText(`Ordre ${next}`, { exact: true }).waitFor();
      const replayed = switching.getByTestId('order-detail');
      await replayed.getByText('Rejoue l’ordre').waitFor();
      await replayed.getByText('Fait').waitFor({ timeout: 10_000 });
      expect(sim.lines.get('338260002')?.services).toContain('CW');
      await switching.keyboard.press('Escape');

      // one line's orders, every status (the line view links here: care.test.ts)
      await switching.goto(`${s.base}/activation?line=338260002`);
      const ofLine = switching.getByTestId('orders');
      await expect.poll(async () => ofLine.getByRole('row').count(), { timeout: 10_000 }).toBe(1 + 3); // the refused order, the set-up, the replay
      await choose(switching, /^État/, 'Fait');
      await expect.poll(async () => ofLine.getByRole('row').count(), { timeout: 10_000 }).toBe(1 + 2);
      expect(errorsOf(switching)).toEqual([]);
    }, 120_000);

    it('after a bad night the switching service replays the refused orders of an element at once, each once', async () => {
      const s1 = s.t.app.activation.service;
      const dns = ['338260011', '338260012'];
      const refused = [];
      for (const dn of dns)
        refused.push(
          await s1.order({ operation: 'fixed.services', lineId: dn, params: { dn, add: ['CW'] } }, SYSTEM),
        );
      await s.t.app.activation.automaton.drain();
      // put right on the network overnight
      for (const dn of dns)
        await s1.order(
          { operation: 'fixed.activate', lineId: dn, params: { dn, en: `04-03-${dn.slice(-3)}` } },
          SYSTEM,
        );
      await s.t.app.activation.automaton.drain();

      await switching.goto(`${s.base}/activation`);
      const card = switching.getByTestId('element-SWA');
      await card.getByTestId('to-handle').getByText('2', { exact: true }).waitFor();
      const orders = switching.getByTestId('orders');
      // the order replayed in the test before is dealt with: not in the refused orders left to handle
      await orders.getByRole('cell', { name: dns[0], exact: true }).waitFor();
      await expect(orders.getByRole('cell', { name: '338260002', exact: true }).count()).resolves.toBe(0);
      await switching.getByTestId('unreplayed-only').click();
      await orders.getByRole('cell', { name: '338260002', exact: true }).waitFor();
      await orders.getByText(/rejoué → \d+/).waitFor();
      await switching.getByTestId('unreplayed-only').click();

      // the card's count leads to the element's refusals left to handle
      await card.getByTestId('to-handle').click();
      await switching.waitForURL(/element=SWA/);
      // first, the night's refusals as a file for the network team: every one, with the switch's message
      const [file] = await Promise.all([
        switching.waitForEvent('download'),
        switching.getByTestId('export-orders').click(),
      ]);
      expect(file.suggestedFilename()).toBe('activation-orders-SWA-refused.csv');
      const exported = parse(readFileSync(await file.path(), 'utf8'), { bom: true, columns: true }) as Record<
        string,
        string
      >[];
      expect(exported.map((r) => r.lineId).sort()).toEqual(dns);
      for (const r of exported) expect(r.error).toMatch(/DNUNK/);
      await switching.getByText('2 ordres exportés : activation-orders-SWA-refused.csv').waitFor();
      await switching.getByTestId('replay-refused').click();
      await switching.getByText(/Chaque ordre refusé de SWA restant à traiter/).waitFor();
      await switching.waitForTimeout(300); // the popover's opening transition
      await shot(switching, '72-activation-replay-refused');
      await switching.getByTestId('replay-refused-confirm').click();
      await switching.getByText('2 ordres refusés de SWA rejoués.').waitFor();
      // the list of refusals left to handle is empty now, and so is the card's count
      await switching.getByText(/Aucun ordre/).waitFor();
      await card.getByTestId('to-handle').getByText('0', { exact: true }).waitFor();
      await s.t.app.activation.automaton.drain();
      for (const dn of dns) expect(sim.lines.get(dn)?.services).toContain('CW');
      // each refused order names its replay, and cannot be replayed again from its drawer
      await switching.getByTestId('unreplayed-only').click();
      await orders.getByRole('row', { name: new RegExp(`^${refused[0]!.id}\\b`) }).click();
      const detail = switching.getByTestId('order-detail');
      await detail.getByTestId('replayed-by').waitFor();
      await expect(detail.getByTestId('replay-order').count()).resolves.toBe(0);
      const next = Number(await detail.getByTestId('replayed-by').innerText());
      expect((await s1.get(next)).replayOf).toBe(refused[0]!.id);
      await switching.keyboard.press('Escape');
      expect(errorsOf(switching)).toEqual([]);
    }, 120_000);

    it('an administrator sets the throttle from the card; the password stays as it was', async () => {
      await expect(switching.getByTestId('edit-element').count()).resolves.toBe(0);
      const admin = await newPage(s);
      await login(admin, s.base, 'admin', ADMIN_PASSWORD);
      await admin.goto(`${s.base}/activation`);
      const card = admin.getByTestId('element-SWA');
      await card.getByTestId('edit-element').click();
      const form = admin.getByTestId('element-form');
      await form.getByLabel(/Débit maximal/).fill('');
      await form.getByTestId('save-element').click();
      await form.getByText('Obligatoire').waitFor();
      await form.getByLabel(/Débit maximal/).fill('50');
      await form.getByTestId('save-element').click();
      await form.waitFor({ state: 'detached' });
      await card.getByText('50/s').waitFor();
      const row = await s.t.tdb.db
        .selectFrom('act_element')
        .select(['rate_per_second', 'username', 'password', 'password_sealed'])
        .where('code', '=', 'SWA')
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ rate_per_second: 50, username: 'gpto', password: null });
      expect(new Sealer(TEST_SECRET_KEY).open(row.password_sealed!, 'SWA')).toBe('gpto');
      // the automaton follows at once: the next order goes through the throttled element
      const o = await s.t.app.activation.service.order(
        { operation: 'fixed.activate', lineId: '338260009', params: { dn: '338260009', en: '04-01-009' } },
        SYSTEM,
      );
      await s.t.app.activation.automaton.drain();
      expect((await s.t.app.activation.service.get(o.id)).status).toBe('done');
      expect(errorsOf(admin)).toEqual([]);
    }, 60_000);

    it('an unreachable element is shown as such, its orders waiting', async () => {
      await sim.stop();
      const s1 = s.t.app.activation.service;
      const waiting = await s1.order(
        { operation: 'fixed.activate', lineId: '338260003', params: { dn: '338260003', en: '04-01-003' } },
        SYSTEM,
      );
      s.t.app.activation.automaton.start();
      await switching.goto(`${s.base}/activation`);
      const card = switching.getByTestId('element-SWA');
      await card.getByTestId('circuit').getByText('Injoignable').waitFor({ timeout: 20_000 });
      await card.getByText(/les ordres attendent son retour/).waitFor();
      await card
        .getByTestId('last-error')
        .getByText(/^Dernière erreur : .*ECONNREFUSED/)
        .waitFor();
      await expect((await s1.get(waiting.id)).status).toBe('running');
      await card
        .getByTestId('last-outage')
        .getByText(/^depuis le /)
        .waitFor({ timeout: 10_000 });
      await shot(switching, '71-activation-element-down');
      // on every screen, beside "Activation automatique": one element unreachable
      await switching.goto(`${s.base}/baskets`);
      const alert = switching.getByTestId('nav-activation-alert');
      await alert.getByText('1', { exact: true }).waitFor();
      await expect(alert.getAttribute('title')).resolves.toBe('1 équipement réseau injoignable');
      await switching.goto(`${s.base}/activation`);
      // back: the order goes through, and the card keeps the outage and how long it lasted
      await sim.start(); // the same port
      await card.getByTestId('circuit').getByText('En service').waitFor({ timeout: 20_000 });
      // its last error stays readable, as history with its time, no longer in red
      await card
        .getByTestId('last-error')
        .getByText(/^Dernière erreur \(\d\d\/\d\d\/\d{4} \d\d:\d\d, répond depuis\) : .*ECONNREFUSED/)
        .waitFor();
      await card
        .getByTestId('last-outage')
        .getByText(/, pendant \d+ (s|min)$/)
        .waitFor({ timeout: 10_000 });
      await expect.poll(async () => (await s1.get(waiting.id)).status, { timeout: 10_000 }).toBe('done');
      // nothing unreachable and no refusal left to handle (the earlier ones were replayed): no alert
      await alert.waitFor({ state: 'detached', timeout: 10_000 });
      // the element's outages, from the journal
      await card.getByTestId('last-outage').click();
      const outages = switching.getByTestId('outages');
      await outages.getByText(/ECONNREFUSED/).waitFor();
      await expect(outages.getByRole('row').count()).resolves.toBe(1 + 1);
      await expect(outages.getByText('toujours injoignable').count()).resolves.toBe(0);
      await switching.keyboard.press('Escape');
      await s.t.app.activation.automaton.stop();
      expect(errorsOf(switching)).toEqual([]);
    }, 60_000);

    it('an outage left open by an automaton that stopped is ended at the next start, and says so', async () => {
      // what a process killed while SWA was down leaves in the journal: an outage that never ended
      const child = spawn(process.execPath, ['-e', '']);
      await new Promise((r) => child.once('exit', r));
      const gone = `${hostname()}:${child.pid}`;
      await s.t.tdb.db
        .insertInto('event')
        .values({
          entity_type: 'network_element',
          entity_id: 'SWA',
          kind: 'activation.element_unreachable',
          actor: 'activation_automaton',
          payload: JSON.stringify({ error: 'connect ETIMEDOUT', seenBy: gone }),
        })
        .execute();
      await switching.goto(`${s.base}/activation`);
      const card = switching.getByTestId('element-SWA');
      await card
        .getByTestId('last-outage')
        .getByText(/^depuis le /)
        .waitFor();
      // the next start (gpto start, gpto worker) finds SWA answering and ends it
      await s.t.app.activation.start();
      await card
        .getByTestId('last-outage')
        .getByText(/, pendant \d+ (s|min)$/)
        .waitFor({ timeout: 10_000 });
      await card.getByTestId('last-outage').click();
      const outages = switching.getByTestId('outages');
      await outages.getByText(/ETIMEDOUT/).waitFor();
      await expect(outages.getByTestId('outage-closed-by').first().textContent()).resolves.toBe(
        `close par ${hostname()}:${process.pid} à son démarrage : l'automate qui l'avait vue s'était arrêté ; l'équipement répondait`,
      );
      await switching.keyboard.press('Escape');
      // and switching checks that it answers before replaying anything
      await card.getByTestId('probe-element').click();
      await card
        .getByTestId('probe-result')
        .getByText(/^répond \(\d+(\.\d)? ms\)$/)
        .waitFor();
      await s.t.app.activation.automaton.stop();
      expect(errorsOf(switching)).toEqual([]);
    }, 60_000);

    it('switching audits the switch against the records and realigns the lines it lacks', async () => {
      // the demo's records: customers, the plant and their lines on it (every one on SWA: the default
      // switch, with no exchange of its own)
      await generateCustomers(s.t.tdb.pool, 30, () => undefined, { batchSize: 30, concurrency: 1 });
      await loadDemoPlant(s.t.tdb.db, TEST_SECRET_KEY);
      await loadDemoInstalledBase(s.t.tdb.db, TEST_SECRET_KEY);
      const fixed = (
        await sql<{ dn: string }>`
          SELECT s.directory_number AS dn FROM subscription s
          JOIN product_version pv ON pv.id = s.product_version_id JOIN product p ON p.id = pv.product_id
          WHERE s.status IN ('active', 'suspended') AND p.kind IN ('fixed_wired', 'fixed_radio')`.execute(
          s.t.tdb.db,
        )
      ).rows.map((r) => r.dn);
      expect(fixed.length).toBeGreaterThan(3);
      const before = new Set(sim.lines.keys());
      await s.t.app.activation.start(); // the previous test stopped the automaton
      await switching.goto(`${s.base}/activation`);
      const card = switching.getByTestId('element-SWA');
      await card.getByTestId('open-audit').click();
      const drawer = switching.getByTestId('element-audit');
      await drawer.getByText('Aucun audit de cet équipement pour l’instant.').waitFor();
      await drawer.getByTestId('start-audit').click();
      const result = drawer.getByTestId('audit-result');
      await result.and(switching.locator('[data-status="done"]')).waitFor({ timeout: 20_000 });
      await drawer
        .getByTestId('audit-kind-missing')
        .getByText(`Absente de l’équipement · ${fixed.length}`)
        .waitFor();
      // the lines the earlier tests made by hand are on the switch and in no subscription
      if (before.size)
        await drawer
          .getByTestId('audit-kind-unknown_on_element')
          .getByText(`Inconnue des dossiers · ${before.size}`)
          .waitFor();
      await expect(drawer.getByTestId('audit-summary').innerText()).resolves.toBe(
        `${fixed.length} lignes vérifiées : 0 conformes, ${fixed.length + before.size} écart(s)`,
      );
      await drawer.getByTestId('audit-kind-missing').click();
      await expect.poll(() => drawer.getByTestId('audit-item').count()).toBe(Math.min(fixed.length, 50));
      // in the screen's words, the port the technical file names
      await drawer
        .getByTestId('audit-item')
        .first()
        .getByText(/^Absente du commutateur \(port [0-9A-Z-]+ au dossier technique\)$/)
        .waitFor();
      await shot(switching, '73-activation-audit');
      await drawer.getByTestId('audit-repair').click();
      await drawer
        .getByTestId('audit-repaired')
        .getByText(new RegExp(`^${fixed.length} écart\\(s\\) réaligné\\(s\\) par les ordres AUDIT-\\d+$`))
        .waitFor();
      await expect
        .poll(() => fixed.filter((dn) => sim.lines.has(dn)).length, { timeout: 20_000 })
        .toBe(fixed.length);
      // every realigning order carried out, not only the lines created: a suspended line's
      // suspension follows its creation (an audit before it would rightly find the line open)
      const unfinished = async () =>
        (
          await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM act_order WHERE request_ref LIKE 'AUDIT-%' AND finished_at IS NULL`.execute(
            s.t.tdb.db,
          )
        ).rows[0]!.n;
      await expect.poll(unfinished, { timeout: 20_000 }).toBe(0);
      // a second audit: every line in line with the records
      await drawer.getByTestId('start-audit').click();
      await drawer
        .getByTestId('audit-summary')
        .getByText(`${fixed.length} lignes vérifiées : ${fixed.length} conformes, ${before.size} écart(s)`)
        .waitFor({ timeout: 20_000 });
      // a line's barring class changed by hand on the switch: named in the screen's words, realigned
      const touched = sim.lines.get(fixed[0]!)!;
      const was = touched.barring;
      touched.barring = was === 'NONE' ? 'ALL' : 'NONE';
      await drawer.getByTestId('start-audit').click();
      await drawer.getByTestId('audit-kind-state_differs').click();
      await drawer
        .getByTestId('audit-item')
        .getByText(`Classe de restriction ${touched.barring} sur le commutateur, les dossiers disent ${was}`)
        .waitFor({ timeout: 20_000 });
      await drawer.getByTestId('audit-repair').click();
      await expect.poll(() => sim.lines.get(fixed[0]!)!.barring, { timeout: 20_000 }).toBe(was);
      await drawer.getByTestId('start-audit').click();
      await drawer
        .getByTestId('audit-summary')
        .getByText(`${fixed.length} lignes vérifiées : ${fixed.length} conformes, ${before.size} écart(s)`)
        .waitFor({ timeout: 20_000 });
      // the card says what the newest audit found
      await switching.keyboard.press('Escape');
      await card
        .getByTestId('last-audit')
        .getByText(before.size ? new RegExp(`^${before.size} écarts? \\(`) : /^conforme \(/)
        .waitFor();
      expect(await overflow(switching)).toEqual([]);
      expect(errorsOf(switching)).toEqual([]);
      await s.t.app.activation.automaton.stop();
    }, 90_000);

    it('the agent on the phone sees on the line view that the line may call abroad this week only, and until when', async () => {
      // a fixed line of the demo, on SWA since the audit: international opened for a week by order
      const line = (
        await sql<{ dn: string }>`
          SELECT s.directory_number AS dn FROM subscription s
          JOIN product_version pv ON pv.id = s.product_version_id JOIN product p ON p.id = pv.product_id
          WHERE s.status = 'active' AND p.kind = 'fixed_wired' ORDER BY s.id LIMIT 1`.execute(s.t.tdb.db)
      ).rows[0]!.dn;
      expect(sim.lines.has(line)).toBe(true);
      const a = s.t.app.activation;
      await a.service.order(
        { operation: 'fixed.barring', lineId: line, params: { dn: line, barring: 'INTL' } },
        SYSTEM,
      );
      const until = new Date(Date.now() + 7 * 86_400_000);
      const tmp = await a.service.order(
        {
          operation: 'fixed.temporary_access',
          lineId: line,
          params: { dn: line, barring: 'NONE', until: until.toISOString() },
        },
        SYSTEM,
      );
      await a.automaton.drain();
      expect(sim.lines.get(line)).toMatchObject({ barring: 'INTL', tmpBarring: 'NONE' });
      const care = await newPage(s);
      await login(care, s.base, 'care', DEMO_PASSWORD);
      await care.goto(`${s.base}/lines/${line}`);
      const access = care.getByTestId('line-access');
      await access
        .locator('[data-access="barring"]')
        .getByText('Restriction INTL · en vigueur : NONE')
        .waitFor();
      await access
        .locator('[data-access="temporary"]')
        .getByText(new RegExp(`^Changement temporaire jusqu’au .+ : Restriction NONE \\(ordre ${tmp.id}\\)$`))
        .waitFor();
      expect(await access.locator('[data-access="limitation"]').count()).toBe(0);
      await shot(care, '74-line-access-temporary');
      expect(await overflow(care)).toEqual([]);
      expect(errorsOf(care)).toEqual([]);
      await a.automaton.stop();
    }, 60_000);

    it('a step fallen out to the switching basket says why in the basket itself, before it is opened', async () => {
      const step = activationSteps('activate', 'fixed.activate', ['done'], {
        label: 'Activation de la ligne',
      });
      await s.t.app.workflow.scenarios.createVersion(
        {
          code: 'ui_act_fixed',
          name: 'Test : activation fixe',
          start: ['activate'],
          nodes: { ...step.nodes, done: { kind: 'end', label: 'Terminé', result: 'completed' } },
          transitions: step.transitions,
        } as never,
        SYSTEM,
      );
      // the element the request names does not exist: the step goes to switching with the reason
      await s.t.tdb.db.transaction().execute((trx) =>
        s.t.app.workflow.engine.start(trx, {
          scenarioCode: 'ui_act_fixed',
          subjectType: 'test',
          subjectId: 'ui-act-1',
          customerId: null,
          lineId: '338260099',
          data: { directoryNumber: '338260099', equipmentNumber: '04-09-099', networkElement: 'SWZ' },
          by: SYSTEM,
        }),
      );
      await s.t.app.workflow.drain();
      await switching.goto(`${s.base}/baskets`);
      await switching.getByRole('tab', { name: 'Switching' }).click();
      const row = switching.getByTestId('basket').getByRole('row', { name: /Activation de la ligne/ });
      await row
        .getByTestId('task-why')
        .getByText(/SWZ.*do it by hand/)
        .waitFor();
      await shot(switching, '75-basket-fallen-out-step');
      // opened, the task says first why it is here: the automatic run that failed, in French
      await row.click();
      await switching
        .getByTestId('task-drawer')
        .getByTestId('fell-out')
        .getByText(/^Étape automatique retombée dans cette corbeille après 1 essai : .*SWZ.*Au départ :$/)
        .waitFor();
      await switching.keyboard.press('Escape');
      expect(errorsOf(switching)).toEqual([]);
    });

    it('switching sets aside a refused order that replaying would only refuse again, with the reason', async () => {
      const s1 = s.t.app.activation.service;
      const o = await s1.order(
        { operation: 'fixed.suspend', lineId: '338269998', params: { dn: '338269998' } },
        SYSTEM,
      );
      await s.t.app.activation.automaton.drain();
      expect((await s1.get(o.id)).status).toBe('refused');
      await switching.goto(`${s.base}/activation?line=338269998`);
      await switching
        .getByTestId('orders')
        .getByRole('row', { name: new RegExp(`^${o.id}\\b`) })
        .click();
      const detail = switching.getByTestId('order-detail');
      await expect(detail.getByTestId('dismiss-order').isDisabled()).resolves.toBe(true);
      await detail.getByTestId('dismiss-reason').fill('numéro inexistant, saisi par erreur');
      await detail.getByTestId('dismiss-order').click();
      await detail
        .getByTestId('order-dismissed')
        .getByText(/^Classé sans suite par switching le .* : numéro inexistant, saisi par erreur$/)
        .waitFor();
      await expect(detail.getByTestId('replay-order').count()).resolves.toBe(0);
      await shot(switching, '76-order-set-aside');
      await switching.keyboard.press('Escape');
      expect((await s1.orders({ lineId: '338269998', toHandle: true }, {})).items).toEqual([]);
      expect(errorsOf(switching)).toEqual([]);
    });
  },
);
