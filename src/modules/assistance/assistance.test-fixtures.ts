// Test helpers (not a test file): an app with the fixed plant, a switch simulator as the default
// switch, and lines built the way the operator builds them (customer, study, commit, subscription,
// activation on the switch).
import { SYSTEM } from '../../platform/events.js';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { SwitchSimulator } from '../activation/index.js';
import { buildPlant } from '../inventory/test-fixtures.js';
import { loadAssistanceScenarios } from './index.js';

export interface AssistanceWorld {
  t: TestApp;
  sim: SwitchSimulator;
  close: () => Promise<void>;
}

export async function assistanceWorld(o: { distPairs?: number } = {}): Promise<AssistanceWorld> {
  const t = await createTestApp();
  await loadAssistanceScenarios(t.app.workflow);
  await buildPlant(t.app.inventory, { distPairs: o.distPairs ?? 10, primaryPairs: 20, ports: 20 });
  const sim = new SwitchSimulator({ name: 'SW1' });
  const port = await sim.start();
  await t.app.activation.service.upsertElement(
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
  return {
    t,
    sim,
    close: async () => {
      await t.app.activation.stop().catch(() => undefined);
      await sim.stop();
      await t.close();
    },
  };
}

let seq = 0;

export interface BuiltLine {
  customerCode: string;
  customerId: number;
  number: string;
  subscriptionId: number;
  payerId: number;
  distributionPair: { id: number; cable: string; number: number };
}

/** A customer of Dakar Plateau with a fixed line, built on the plant and live on the switch. */
export async function buildLine(w: AssistanceWorld, lastName = 'Diop'): Promise<BuiltLine> {
  const { t } = w;
  const agent = await t.login('commercial');
  const c = await t.call('POST', '/api/v1/customers', agent, {
    kind: 'person',
    title: 'M.',
    lastName,
    firstNames: 'Moussa',
    birthDate: '1980-01-01',
    idDocument: { type: 'national_id', number: `ID${Date.now()}${seq}` },
    address: { number: '3', street: 'Rue Carnot', district: 'Plateau', locality: 'Dakar' },
    phones: ['+221 77 000 00 0' + String(seq % 10)],
    categories: {
      commercial1: 'RES',
      commercial2: 'STD',
      collection: 'STANDARD',
      accounting: 'PART',
      tax: 'TVA18',
    },
  });
  if (c.statusCode !== 201) throw new Error(`customer: ${c.body}`);
  const customer = c.json() as { code: string; id: number };
  const ref = `T-LINE-${++seq}`;
  const study = await t.app.inventory.service.study(
    {
      requestRef: ref,
      kind: 'fixed_wired',
      product: 'FIXE',
      address: { number: '3', street: 'Rue Carnot', district: 'Plateau', locality: 'Dakar' },
    },
    SYSTEM,
  );
  if (!study.feasible) throw new Error(`study: ${study.detail}`);
  const tf = await t.app.inventory.service.commit({ requestRef: ref }, SYSTEM);
  const s = await t.call('POST', `/api/v1/customers/${customer.code}/subscriptions`, agent, {
    productCode: 'FIXE',
    directoryNumber: tf.directoryNumber,
  });
  if (s.statusCode !== 201) throw new Error(`subscription: ${s.body}`);
  const sub = s.json() as { id: number; payerId: number };
  await t.app.activation.service.order(
    {
      operation: 'fixed.activate',
      lineId: tf.directoryNumber,
      params: { dn: tf.directoryNumber, en: tf.chain.equipmentNumber ?? '' },
    },
    SYSTEM,
  );
  await t.app.activation.automaton.drain();
  if (!w.sim.lines.get(tf.directoryNumber)) throw new Error('the line is not on the switch');
  return {
    customerCode: customer.code,
    customerId: customer.id,
    number: tf.directoryNumber,
    subscriptionId: sub.id,
    payerId: sub.payerId,
    distributionPair: tf.chain.distributionPair!,
  };
}
