import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { swaggerErrors } from '../../../test/tmf/swagger.js';

const BASE = '/tmf-api/processFlowManagement/v4';
const ORDERING = '/tmf-api/productOrderingManagement/v4';
let t: TestApp;
let admin: string;
let customer: { id: number; code: string };

beforeAll(async () => {
  t = await createTestApp();
  await t.app.requests.loadDefaultScenarios();
  admin = await t.login('admin');
  const c = await t.call('POST', '/api/v1/customers', admin, {
    kind: 'organisation',
    companyName: 'Boulangerie Jaune',
    address: { street: 'Rue Carnot', district: 'Plateau', locality: 'Dakar' },
    phones: ['+221 33 821 00 00'],
    categories: {
      commercial1: 'PRO',
      commercial2: 'STD',
      collection: 'STANDARD',
      accounting: 'ENTR',
      tax: 'TVA18',
    },
  });
  expect(c.statusCode, c.body).toBe(201);
  customer = c.json() as { id: number; code: string };
});
afterAll(async () => {
  await t?.close();
});

type Flow = Record<string, unknown> & { id: string; state: string; taskFlow: { id: string; href: string }[] };
type Task = Record<string, unknown> & {
  id: string;
  state: string;
  characteristic: { name: string; value: unknown }[];
};
const char = (task: Task, name: string) => task.characteristic.find((c) => c.name === name)?.value;

async function activeLine(): Promise<{ id: number; code: string }> {
  const s = await t.call('POST', `/api/v1/customers/${customer.code}/subscriptions`, admin, {
    productCode: 'MOBILE-POST',
    directoryNumber: `77${String(Date.now()).slice(-7)}`,
  });
  expect(s.statusCode, s.body).toBe(201);
  const sub = s.json() as { id: number; code: string; status: string };
  if (sub.status === 'pending')
    expect(
      (await t.call('POST', `/api/v1/subscriptions/${sub.id}/status`, admin, { status: 'active' }))
        .statusCode,
    ).toBe(200);
  return sub;
}

describe('TMF701 process flows over the workflow engine', () => {
  it('a termination ordered through TMF622 is a processFlow whose human taskFlow an agent completes by PATCH', async () => {
    const line = await activeLine();
    const placed = await t.call('POST', `${ORDERING}/productOrder`, admin, {
      productOrderItem: [{ id: '1', action: 'delete', product: { id: line.code } }],
    });
    expect(placed.statusCode, placed.body).toBe(201);
    const orderId = (placed.json() as { id: string }).id;
    const native = (await t.call('GET', `/api/v1/requests/${orderId}`, admin)).json() as {
      kind: string;
      workflow: { id: number };
    };
    expect(native.kind).toBe('termination');

    const flows = await t.call('GET', `${BASE}/processFlow?relatedEntity.id=${orderId}`, admin);
    expect(flows.statusCode).toBe(200);
    expect(flows.headers['x-total-count']).toBe('1');
    const flow = (flows.json() as Flow[])[0]!;
    expect(flow).toMatchObject({
      id: String(native.workflow.id),
      state: 'active',
      processFlowSpecification: 'termination',
      relatedEntity: [{ id: orderId, '@referredType': 'ProductOrder' }],
      relatedParty: [{ id: customer.code, role: 'customer' }],
      '@type': 'ProcessFlow',
    });
    expect(swaggerErrors('TMF701', 'ProcessFlow', flow)).toEqual([]);
    expect((await t.call('GET', `${BASE}/processFlow/${flow.id}`, admin)).json()).toEqual(flow);

    const tasks = await t.call('GET', `${BASE}/processFlow/${flow.id}/taskFlow`, admin);
    expect(tasks.statusCode, tasks.body).toBe(200);
    const list = tasks.json() as Task[];
    for (const x of list) expect(swaggerErrors('TMF701', 'TaskFlow', x)).toEqual([]);
    const finalAccount = list.find((x) => char(x, 'node') === 'final_account')!;
    expect(finalAccount).toMatchObject({ state: 'new', completionMethod: 'manual' });
    expect(char(finalAccount, 'actor')).toBe('finance');
    expect(flow.taskFlow.map((x) => x.id)).toContain(finalAccount.id);
    const url = `${BASE}/processFlow/${flow.id}/taskFlow/${finalAccount.id}`;

    // rights and actors as in the baskets
    const enquiries = await t.login('enquiries');
    expect((await t.call('PATCH', url, enquiries, { state: 'active' })).statusCode).toBe(403);
    const commercial = await t.login('commercial');
    const notTheirs = await t.call('PATCH', url, commercial, { state: 'active' });
    expect(notTheirs.statusCode).toBe(403);
    expect(notTheirs.json()).toMatchObject({ '@type': 'Error', status: '403' });
    const finance = await t.login('finance');
    const noOutcome = await t.call('PATCH', url, finance, { state: 'completed' });
    expect(noOutcome.json()).toMatchObject({ status: '400', field: 'characteristic' });
    const badOutcome = await t.call('PATCH', url, finance, {
      state: 'completed',
      characteristic: [{ name: 'outcome', value: 'lost' }],
    });
    expect(badOutcome.json()).toMatchObject({ status: '400', field: 'characteristic.outcome' });

    const claimed = await t.call('PATCH', url, finance, { state: 'active' });
    expect(claimed.statusCode, claimed.body).toBe(200);
    expect(claimed.json()).toMatchObject({ state: 'active' });
    expect(char(claimed.json() as Task, 'assignee')).toBe('finance');
    const done = await t.app.http.inject({
      method: 'PATCH',
      url,
      headers: { authorization: `Bearer ${finance}`, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({
        state: 'completed',
        characteristic: [{ name: 'outcome', value: 'settled' }],
      }),
    });
    expect(done.statusCode, done.body).toBe(200);
    const completed = done.json() as Task;
    expect(completed).toMatchObject({ state: 'completed' });
    expect(char(completed, 'outcome')).toBe('settled');
    expect(swaggerErrors('TMF701', 'TaskFlow', completed)).toEqual([]);
    // the same task through the native API, and the flow went on to the next step
    const task = (await t.call('GET', `/api/v1/tasks/${finalAccount.id}`, finance)).json() as {
      status: string;
      outcome: string;
    };
    expect(task).toMatchObject({ status: 'done', outcome: 'settled' });
    const after = (await t.call('GET', `${BASE}/processFlow/${flow.id}/taskFlow`, admin)).json() as Task[];
    const next = after.find((x) => char(x, 'node') === 'network_deactivate');
    expect(next?.taskFlowRelationship).toMatchObject([
      { relationshipType: 'previousTask', taskFlow: { id: finalAccount.id } },
    ]);
    const auto = await t.call(
      'GET',
      `${BASE}/processFlow/${flow.id}/taskFlow?completionMethod=automatic`,
      admin,
    );
    expect((auto.json() as Task[]).map((x) => char(x, 'node'))).toContain('network_deactivate');
  });

  it('a new line without network capacity is on hold, as a processFlow and as a productOrder', async () => {
    // no plant loaded in this database: the automatic study cannot serve the address
    const placed = await t.call('POST', `${ORDERING}/productOrder`, admin, {
      productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'FIXE' } }],
      relatedParty: [{ id: customer.code, role: 'customer', '@referredType': 'Organization' }],
    });
    expect(placed.statusCode, placed.body).toBe(201);
    const orderId = (placed.json() as { id: string }).id;
    await t.app.workflow.drain();
    const order = (await t.call('GET', `${ORDERING}/productOrder/${orderId}`, admin)).json() as {
      state: string;
    };
    expect(order.state).toBe('held');
    const flow = (
      await t.call('GET', `${BASE}/processFlow?relatedEntity.id=${orderId}`, admin)
    ).json() as Flow[];
    expect(flow.map((f) => f.state)).toEqual(['hold']);
    const held = await t.call(
      'GET',
      `${BASE}/processFlow?state=hold&relatedParty.id=${customer.code}`,
      admin,
    );
    expect((held.json() as Flow[]).map((f) => f.id)).toEqual([flow[0]!.id]);
    const tasks = (
      await t.call('GET', `${BASE}/processFlow/${flow[0]!.id}/taskFlow?state=hold`, admin)
    ).json() as Task[];
    expect(tasks.map((x) => char(x, 'node'))).toEqual(['wait_capacity']);
  });

  it('scenarios are process flow specifications and their steps task flow specifications', async () => {
    const res = await t.call('GET', `${BASE}/processFlowSpecification`, admin);
    expect(res.statusCode).toBe(200);
    const specs = res.json() as { id: string }[];
    expect(specs.map((s) => s.id)).toEqual(expect.arrayContaining(['new_fixed_wired', 'termination']));
    for (const s of specs) expect(swaggerErrors('TMF701', 'ProcessFlowSpecification', s)).toEqual([]);
    const one = await t.call('GET', `${BASE}/processFlowSpecification/termination`, admin);
    expect(one.json()).toMatchObject({
      id: 'termination',
      taskFlowSpecification: expect.arrayContaining([
        expect.objectContaining({ id: 'termination.final_account' }),
      ]),
    });
    const step = await t.call('GET', `${BASE}/taskFlowSpecification/termination.final_account`, admin);
    expect(step.statusCode).toBe(200);
    expect(swaggerErrors('TMF701', 'TaskFlowSpecification', step.json())).toEqual([]);
    expect(step.json()).toMatchObject({ taskFlowSpecificationType: 'human', name: 'Final account' });
  });

  it('answers 404 for unknown flows and tasks, 400 for bad filters, 401 without a token', async () => {
    expect((await t.call('GET', `${BASE}/processFlow/999999`, admin)).statusCode).toBe(404);
    expect((await t.call('GET', `${BASE}/processFlow/abc`, admin)).statusCode).toBe(404);
    expect((await t.call('GET', `${BASE}/processFlow/999999/taskFlow`, admin)).statusCode).toBe(404);
    const flows = (await t.call('GET', `${BASE}/processFlow?limit=1`, admin)).json() as Flow[];
    expect(
      (await t.call('GET', `${BASE}/processFlow/${flows[0]!.id}/taskFlow/999999`, admin)).statusCode,
    ).toBe(404);
    expect((await t.call('GET', `${BASE}/processFlowSpecification/nope`, admin)).statusCode).toBe(404);
    const bad = await t.call('GET', `${BASE}/processFlow?state=running`, admin);
    expect(bad.json()).toMatchObject({ status: '400', field: 'state' });
    const fields = await t.call('GET', `${BASE}/processFlow?limit=1&fields=state`, admin);
    expect(Object.keys((fields.json() as object[])[0] ?? {}).sort()).toEqual([
      '@type',
      'href',
      'id',
      'state',
    ]);
    expect((await t.call('GET', `${BASE}/processFlow`)).statusCode).toBe(401);
  });
});
