import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { SYSTEM } from '../../platform/events.js';
import type { ScenarioDef } from '../workflow/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const N = 40;

/** A fully automatic prepaid sale: every step has a domain effect that must happen exactly once. */
export const AUTO_PREPAID: ScenarioDef = {
  code: 'auto_prepaid_sale',
  name: 'Automatic prepaid sale (crash test and benchmark)',
  start: ['check_customer'],
  nodes: {
    check_customer: {
      kind: 'automatic',
      label: 'Blacklist check',
      actor: 'blacklist_check',
      handler: 'request.check_customer',
      outcomes: ['clear', 'blacklisted'],
    },
    invoice: {
      kind: 'automatic',
      label: 'Invoice',
      actor: 'workflow_automaton',
      handler: 'request.issue_invoice',
      outcomes: ['issued'],
    },
    reply_completed: {
      kind: 'automatic',
      label: 'Reply',
      actor: 'workflow_automaton',
      handler: 'request.reply_completed',
      outcomes: ['sent'],
    },
    reply_rejected: {
      kind: 'automatic',
      label: 'Reply',
      actor: 'workflow_automaton',
      handler: 'request.reply_rejected',
      outcomes: ['sent'],
    },
    done: { kind: 'end', label: 'Done', result: 'completed' },
    rejected: { kind: 'end', label: 'Rejected', result: 'rejected' },
  },
  transitions: [
    { from: 'check_customer', on: 'clear', to: ['invoice'] },
    { from: 'check_customer', on: 'blacklisted', to: ['reply_rejected'] },
    { from: 'invoice', on: 'issued', to: ['reply_completed'] },
    { from: 'reply_completed', on: 'sent', to: ['done'] },
    { from: 'reply_rejected', on: 'sent', to: ['rejected'] },
  ],
};

function startWorker(url: string): ChildProcess {
  const child = spawn(path.join(root, 'node_modules/.bin/tsx'), [path.join(here, 'worker.process.ts')], {
    env: { ...process.env, DATABASE_URL: url, WORKER_BATCH: '2' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return child;
}

const exited = (c: ChildProcess) =>
  new Promise<void>((resolve) =>
    c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve()),
  );

describe('crash recovery of the workflow workers', () => {
  let t: TestApp;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    t = await createTestApp();
    await t.app.workflow.scenarios.createVersion(AUTO_PREPAID, SYSTEM);
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await t?.close();
  });

  const doneTasks = async () =>
    Number(
      (
        await sql<{ n: number }>`SELECT count(*)::int AS n FROM wf_task WHERE status = 'done'`.execute(
          t.tdb.db,
        )
      ).rows[0]!.n,
    );

  it('a worker killed with SIGKILL mid-run resumes after restart and every request ends exactly right', async () => {
    const customer = await t.app.referential.customers.create(
      {
        kind: 'person',
        lastName: 'Crash',
        firstNames: 'Test',
        address: { street: 'Rue 1', locality: 'Dakar' },
        categories: {
          commercial1: 'RES',
          commercial2: 'STD',
          collection: 'STANDARD',
          accounting: 'PART',
          tax: 'TVA18',
        },
      } as never,
      SYSTEM,
    );
    const numbers: string[] = [];
    for (let i = 0; i < N; i++) {
      const r = await t.app.requests.requests.create(
        {
          kind: 'new_line',
          customer: customer.code,
          productCode: 'MOBILE-PREP',
          scenario: 'auto_prepaid_sale',
        },
        SYSTEM,
      );
      numbers.push(r.number);
    }
    const total = N * 3;
    const first = startWorker(t.tdb.url);
    children.push(first);
    // let it work a while, then kill it without warning in the middle of the run
    const deadline = Date.now() + 60_000;
    while ((await doneTasks()) < total / 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    first.kill('SIGKILL');
    await exited(first);
    const atKill = await doneTasks();
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(total);

    const second = startWorker(t.tdb.url);
    children.push(second);
    while ((await doneTasks()) < total && Date.now() < deadline + 60_000)
      await new Promise((r) => setTimeout(r, 50));
    second.kill('SIGTERM');
    await exited(second);

    const requests = await t.tdb.db
      .selectFrom('service_request')
      .select(['id', 'status'])
      .where('number', 'in', numbers)
      .execute();
    expect(requests.map((r) => r.status)).toEqual(numbers.map(() => 'completed'));
    // exactly one invoice, one letter and one SMS per request; every task done once
    const perRequest = await sql<{ invoices: number; letters: number; sms: number; entries: number }>`
      SELECT (SELECT count(*) FROM billing_invoice i WHERE i.source_id = sr.id::text)::int AS invoices,
             (SELECT count(*) FROM request_document d WHERE d.request_id = sr.id AND d.kind = 'letter')::int AS letters,
             (SELECT count(*) FROM request_document d WHERE d.request_id = sr.id AND d.kind = 'sms')::int AS sms,
             (SELECT count(*) FROM billing_ledger_entry e JOIN billing_invoice i ON i.id = e.invoice_id
               WHERE i.source_id = sr.id::text)::int AS entries
      FROM service_request sr WHERE sr.number = ANY(${numbers})`.execute(t.tdb.db);
    expect(perRequest.rows).toEqual(numbers.map(() => ({ invoices: 1, letters: 1, sms: 1, entries: 1 })));
    const tasks = await sql<{ node: string; n: number }>`
      SELECT t.node, count(*)::int AS n FROM wf_task t GROUP BY t.node ORDER BY t.node`.execute(t.tdb.db);
    expect(tasks.rows).toEqual([
      { node: 'check_customer', n: N },
      { node: 'invoice', n: N },
      { node: 'reply_completed', n: N },
    ]);
    const completedEvents = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM event WHERE kind = 'task.completed'`.execute(t.tdb.db);
    expect(completedEvents.rows[0]!.n).toBe(total);
  }, 180_000);
});
