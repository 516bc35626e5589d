import type { Tx } from '../../platform/db.js';
import { appendEvents, type Actor, type EventInput } from '../../platform/events.js';
import {
  FallOutNow,
  type Data,
  type HandlerRegistry,
  type ScenarioDef,
  type WorkflowEngine,
} from '../workflow/index.js';
import type { Run } from '../workflow/engine.js';
import type { ActivationService } from './activation.service.js';
import type { Completion } from './automaton.js';
import { accessConflict, type Limitations } from './line-access.js';
import { ORDER_OPERATIONS, type Params } from './operations.js';
import { DomainError } from '../../platform/errors.js';
import { getPath } from '../workflow/routing.js';

/**
 * How the automaton plugs into the workflow engine without holding a transaction across the network:
 *
 * 1. An automatic node whose handler is `activation.<operation>` (e.g. `activation.mobile.activate`,
 *    or `activation.line.suspend` for either kind of line) queues an order in the worker's
 *    transaction and answers `wait` with the key `activation.order:<id>`: the task is `waiting`,
 *    `activation.<node>` in the data notes the order.
 * 2. The automaton executes the order outside any transaction; in the transaction that records the
 *    outcome it ends the step through the engine: done → `engine.completeWaitingMany` (outcome
 *    `done`, the element's answer in `activation.<node>`); refused → `engine.failWaiting` (final:
 *    the task falls out at once to the node's fallback actor, switching, with the element's message).
 * 3. The agent ends the fell-out task `done` (fixed by hand) or `retry` (a new order).
 * A step with nothing to change on the network ends `done` at once; one no element can do (none of
 * its kind configured, or not an automatic operation) falls out to switching at once, with why.
 *
 * Scenario versions written before the engine had waiting steps use three nodes (submit, a hold
 * resumed on `activation.completed`, a human fall-out): their orders name `<node>_wait` and are
 * still resumed that way (`legacyResume`).
 */

export const AUTOMATON_ACTOR: Actor = {
  userId: null,
  username: 'activation-automaton',
  actor: 'activation_automaton',
};
export const COMPLETED_EVENT = 'activation.completed';

/** Where a step's parameters come from in the request's data (override: `activationParams.<node>`). */
function paramsFrom(d: Data, lineId: string | null): Params {
  const pick: Params = {
    iccid: d.simIccid,
    imsi: d.imsi,
    msisdn: d.directoryNumber ?? lineId,
    dn: d.directoryNumber ?? lineId,
    en: d.equipmentNumber,
    category: d.lineCategory,
    services: d.services,
    barring: d.barring,
    add: d.addServices,
    remove: d.removeServices,
    cs: d.cs,
    ps: d.ps,
    until: d.until,
    newIccid: d.newSimIccid ?? d.simIccid,
    oldIccid: d.oldSimIccid,
    oldImsi: d.oldImsi,
  };
  return Object.fromEntries(Object.entries(pick).filter(([, v]) => v !== undefined && v !== null));
}

/**
 * Operations on "the line", whatever its kind: the step names the verb and the line's kind comes
 * with its parameters (`lineKind`: a product kind such as `mobile_postpaid`, or `mobile`/`fixed`),
 * so one scenario serves mobile and fixed lines (suspension, restoration, termination…). A kind the
 * verb has no operation for is done by hand (switching).
 */
export const LINE_OPERATIONS: Record<string, { mobile?: string; fixed?: string }> = {
  'line.suspend': { mobile: 'mobile.suspend', fixed: 'fixed.suspend' },
  'line.restore': { mobile: 'mobile.restore', fixed: 'fixed.restore' },
  'line.limit': { mobile: 'mobile.limit' },
  'line.deactivate': { mobile: 'mobile.deactivate', fixed: 'fixed.deactivate' },
  'line.temporary_access': { mobile: 'mobile.temporary_access', fixed: 'fixed.temporary_access' },
  // options: supplementary services or the barring class on the switch; osmo-hlr holds neither
  'line.options': { fixed: 'fixed.services' },
};

/** Why a step could not be given to a network element: the step's task goes to switching as is. */
class ManualStep extends Error {}

const isMobile = (kind: unknown) => typeof kind === 'string' && kind.startsWith('mobile');
const nonEmpty = (v: unknown) => Array.isArray(v) && v.length > 0;

/** The concrete operation of a step, or null when there is nothing to change on the network. */
function operationFor(name: string, p: Params): string | null {
  if (typeof p.manual === 'string' && p.manual) throw new ManualStep(p.manual);
  // a relocation that keeps its port (same exchange) has nothing to change on the switch
  if (name === 'fixed.move' && !p.en) return null;
  const line = LINE_OPERATIONS[name];
  if (!line) return name;
  const kind = isMobile(p.lineKind) ? 'mobile' : 'fixed';
  if (name === 'line.options') {
    if (p.barring === undefined && !nonEmpty(p.add) && !nonEmpty(p.remove)) return null;
    if (kind === 'mobile')
      throw new ManualStep(
        'osmo-hlr holds no supplementary services nor barring classes: set the option by hand',
      );
    return p.barring !== undefined ? 'fixed.barring' : 'fixed.services';
  }
  const op = line[kind];
  if (!op) throw new ManualStep(`${name} has no automatic operation for a ${kind} line: do it by hand`);
  return op;
}

/** A WLL subscriber has no copper port: the switch knows it on a virtual port of its base station. */
function radioPort(p: Params): Params {
  if (p.en || typeof p.baseStation !== 'string' || typeof p.dn !== 'string') return p;
  return { ...p, en: `${p.baseStation}-${p.dn.slice(-6)}`.toUpperCase() };
}

function resolveParams(d: Data, lineId: string | null, node: string, paths: Record<string, string>): Params {
  const fromPaths: Params = {};
  for (const [name, path] of Object.entries(paths)) {
    const v = getPath(d, path);
    if (v !== undefined && v !== null) fromPaths[name] = v;
  }
  const overrides = ((d.activationParams as Data | undefined)?.[node] ?? {}) as Params;
  return radioPort({ ...paramsFrom(d, lineId), ...fromPaths, ...overrides });
}

/** The key a step waiting for an order waits under. */
export const orderKey = (orderId: number) => `activation.order:${orderId}`;

export function registerActivationHandlers(
  registry: HandlerRegistry,
  service: ActivationService,
  limitations: Limitations | null = null,
): void {
  for (const name of [...ORDER_OPERATIONS, ...Object.keys(LINE_OPERATIONS)]) {
    registry.task(`activation.${name}`, async (ctx) => {
      const d: Data = { ...ctx.instance.data, ...ctx.input };
      const node = ctx.task.node;
      // scenario versions of the three-node design: submit, then a hold
      const legacy = (ctx.node.outcomes ?? []).includes('submitted');
      let params = resolveParams(d, ctx.instance.lineId, node, ctx.node.params ?? {});
      const prev = (ctx.instance.data.activation ?? {}) as Data;
      const note = (v: Data) => ({ activation: { ...prev, [node]: v } });
      const manual = (error: string, operation?: string) => {
        if (!legacy) throw new FallOutNow(error);
        return {
          outcome: 'manual',
          data: note({ ...(operation ? { operation } : {}), status: 'manual', error }),
        };
      };
      let operation: string | null;
      try {
        operation = operationFor(name, params);
      } catch (err) {
        if (!(err instanceof ManualStep)) throw err;
        return manual(err.message);
      }
      if (operation === null)
        return { outcome: 'done', data: note({ status: 'done', result: { nothingToDo: true } }) };
      const lineId =
        (typeof params.dn === 'string' ? params.dn : null) ??
        (typeof params.msisdn === 'string' ? params.msisdn : null) ??
        ctx.instance.lineId;
      if (!lineId) throw new Error(`${operation}: the request has no line (directory number) yet`);
      // what the records closed stays closed: a limitation for unpaid bills, a suspension
      const conflict = await accessConflict(ctx.trx, operation, lineId, params, limitations);
      if (conflict) return manual(`${conflict}: switching decides`, operation);
      // A restoration or a limitation sets both accesses: it must not give back what the records
      // still close — a limited line's data, what a temporary change in force barred (a card
      // reported lost abroad). Such a change's end applies the records, limitation included.
      let kept: string | null = null;
      if (operation === 'mobile.restore' || operation === 'mobile.limit') {
        const limited =
          operation === 'mobile.limit' ||
          (limitations !== null && (await limitations.lines(lineId)).get(lineId) === 'limited');
        const tmp = (await service.temporaryInForce(lineId)).at(-1);
        const cs = tmp?.voice ?? true;
        const ps = (tmp?.data ?? true) && !limited;
        const why = [
          limited && operation === 'mobile.restore' ? 'limited for unpaid bills: data stays cut' : null,
          tmp && (!cs || (!ps && !limited))
            ? `temporary change ${tmp.orderId} in force until ${tmp.until}: voice ${cs ? 'open' : 'barred'}, data ${ps ? 'open' : 'barred'}`
            : null,
        ].filter((x): x is string => x !== null);
        if (why.length) {
          kept = why.join('; ');
          if (cs && !ps) operation = 'mobile.limit';
          else {
            operation = 'mobile.set_access';
            params = { ...params, cs, ps };
          }
        }
      }
      let order: { id: number; element: string; status: string };
      const input = {
        operation,
        lineId,
        params,
        element: typeof d.networkElement === 'string' ? d.networkElement : undefined,
        instanceId: ctx.instance.id,
        taskId: ctx.task.id,
        resumeNode: legacy ? `${node}_wait` : node,
        requestRef: ctx.instance.subjectId,
        customerId: ctx.instance.customerId,
      };
      try {
        // A task's first run in a worker's batch: the order is written with the batch's (no round
        // trip per step). A re-run (after a refusal, a retry) may have an order already: `submit`.
        order =
          ctx.batch && !legacy && ctx.task.attempts === 0
            ? { ...(await service.queue(ctx.trx, ctx.batch, input, ctx.by)), status: 'pending' }
            : await service.submit(ctx.trx, input, ctx.by);
      } catch (err) {
        // No element of that kind (e.g. osmo-hlr not installed): switching does it by hand, now.
        if (!(err instanceof DomainError)) throw err;
        // a relocation onto another exchange's switch: two elements, done by hand
        if (err.code === 'activation.exchange_change') return manual(err.message, operation);
        if (err.code !== 'activation.element_not_found') throw err;
        return manual(
          `${err.message}: no network element can carry out ${operation}, do it by hand`,
          operation,
        );
      }
      // a step re-run whose order was carried out already (its outcome not yet recorded with it)
      if (!legacy && order.status === 'done')
        return { outcome: 'done', data: note({ orderId: order.id, operation, status: 'done' }) };
      const data = note({
        orderId: order.id,
        operation,
        element: order.element,
        status: 'pending',
        ...(kept ? { kept } : {}),
      });
      return legacy ? { outcome: 'submitted', data } : { wait: { key: orderKey(order.id) }, data };
    });
  }
}

/** What the step's data keeps of an order's outcome. */
function outcomeNote(c: Completion): Data {
  return {
    orderId: c.order.id,
    operation: c.order.operation,
    element: c.order.element_code,
    status: c.status,
    ...(c.error ? { error: c.error, errorCode: c.errorCode } : {}),
    ...(c.result ? { result: c.result } : {}),
  };
}

/**
 * The automaton's completion hook, for a batch of orders in the transaction that records their
 * outcomes: the waiting steps are ended through the engine — set-based for those done, each
 * refused one falling out to switching with the element's message. Returns the orders whose step
 * could not go on (their outcome is recorded all the same).
 */
export function resumeWorkflow(engine: WorkflowEngine) {
  const legacy = legacyResume(engine);
  return async (
    trx: Tx,
    cs: Completion[],
    events: EventInput[],
  ): Promise<{ order: Completion['order']; error: string }[]> => {
    const old = cs.filter((c) => c.order.resume_node?.endsWith('_wait'));
    const failed = old.length ? await legacy(trx, old) : [];
    const fresh = cs.filter((c) => !c.order.resume_node?.endsWith('_wait'));
    // each step's note joins the notes of the instance's other steps, read under the instance lock
    const patchOf =
      (c: Completion) =>
      (data: Data): Data => ({
        activation: { ...((data.activation ?? {}) as Data), [c.order.resume_node!]: outcomeNote(c) },
      });
    const done = fresh.filter((c) => c.status === 'done');
    if (done.length) {
      const byKey = new Map(done.map((c) => [orderKey(c.order.id), c]));
      // the order names its step's instance: the engine locks it without looking the step up first,
      // and writes the outcomes' events with the steps'
      const results = await engine.completeWaitingMany(
        trx,
        done.map((c) => ({
          key: orderKey(c.order.id),
          outcome: 'done',
          patch: patchOf(c),
          result: { orderId: c.order.id, element: c.order.element_code },
          instanceId: c.order.instance_id,
        })),
        AUTOMATON_ACTOR,
        { events },
      );
      for (const r of results)
        if (r.status === 'failed') failed.push({ order: byKey.get(r.key)!.order, error: r.error ?? '' });
    } else await appendEvents(trx, events);
    for (const c of fresh.filter((x) => x.status === 'refused')) {
      const error = `${c.order.element_code} refused ${c.order.operation}: ${c.error ?? 'no reason given'}`;
      await engine.failWaiting(trx, orderKey(c.order.id), error, AUTOMATON_ACTOR, {
        final: true,
        patch: patchOf(c),
      });
    }
    return failed;
  };
}

const OPEN: ('ready' | 'claimed' | 'waiting' | 'held')[] = ['ready', 'claimed', 'waiting', 'held'];

/**
 * Three-node scenario versions: each outcome goes into its instance's data and the hold waiting
 * for it is resumed.
 *
 * Done set-based like the engine's own workers: the instances are locked and their open tasks read
 * with one statement each, the transitions are recorded in one write set (`engine.attach` sharing
 * the first run's writes) and written with one statement per table. The holds are found by
 * instance and node rather than through `engine.signal`, whose containment match scans every hold
 * waiting for the same event — thousands while a batch of activations is in flight. Reading the
 * workflow's rows here is what the engine hook asked for in docs/activation.md would replace.
 */
function legacyResume(engine: WorkflowEngine) {
  return async (trx: Tx, cs: Completion[]): Promise<{ order: Completion['order']; error: string }[]> => {
    const failed: { order: Completion['order']; error: string }[] = [];
    const ids = [...new Set(cs.map((c) => c.order.instance_id!))].sort((a, b) => a - b);
    const rows = await trx
      .selectFrom('wf_instance')
      .selectAll()
      .where('id', 'in', ids)
      .orderBy('id')
      .forUpdate()
      .execute();
    const open = await trx
      .selectFrom('wf_task')
      .select(['id', 'instance_id', 'node', 'kind', 'actor', 'status'])
      .where('instance_id', 'in', ids)
      .where('status', 'in', OPEN)
      .orderBy('id')
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    let writes: Run['writes'] | undefined;
    for (const c of cs) {
      const row = byId.get(c.order.instance_id!);
      if (!row || row.status !== 'running') continue;
      const run = await engine.attach(trx, row, AUTOMATON_ACTOR, writes ? { writes } : {});
      writes = run.writes;
      const tasks = open.filter((t) => t.instance_id === row.id);
      const hold = tasks.find((t) => t.node === c.order.resume_node && t.status === 'held');
      if (!hold) continue; // resumed by hand already (signals API), or the request moved on
      run.writes.knowOpenTasks(
        row.id,
        tasks.filter((t) => t.id !== hold.id || true),
      );
      const mark = run.writes.mark();
      const node = c.order.resume_node!.replace(/_wait$/, '');
      const prev = (run.inst.data.activation ?? {}) as Data;
      const patch: Data = {
        activation: {
          ...prev,
          [node]: {
            orderId: c.order.id,
            operation: c.order.operation,
            element: c.order.element_code,
            status: c.status,
            ...(c.error ? { error: c.error, errorCode: c.errorCode } : {}),
            ...(c.result ? { result: c.result } : {}),
          },
        },
      };
      try {
        await engine.finish(
          run,
          hold,
          'resumed',
          { event: COMPLETED_EVENT, payload: { orderId: c.order.id } },
          patch,
        );
        engine.stage(run);
        // the instance row now holds this run's data: a second order of the same instance builds on it
        row.data = run.inst.data;
        row.status = run.inst.status as typeof row.status;
      } catch (err) {
        run.writes.rollback(mark);
        failed.push({ order: c.order, error: err instanceof Error ? err.message : String(err) });
      }
    }
    if (writes) await writes.flush(trx);
    return failed;
  };
}

type Nodes = ScenarioDef['nodes'];
type Transitions = ScenarioDef['transitions'];

/**
 * The node and transitions of one automatic activation step: the order is queued and the step
 * waits for it; done → `next`; refused → the task falls out to switching (`fallbackActor`) with the
 * element's message, and the agent ends it `done` (fixed by hand → `next`) or `retry` (a new order).
 * `operation` is an order operation (`mobile.activate`) or a line operation (`line.suspend`, see
 * LINE_OPERATIONS); `params` says where its parameters come from in the data (name → data path).
 * The step also ends `done` at once when there is nothing to change on the network, and falls out
 * to switching at once when no element can do it (none configured, or not an automatic operation).
 */
export function activationSteps(
  node: string,
  operation: string,
  next: string[],
  opts: { label?: string; fallbackActor?: string; params?: Record<string, string> } = {},
): { nodes: Nodes; transitions: Transitions } {
  const label = opts.label ?? `Activation: ${operation}`;
  return {
    nodes: {
      [node]: {
        kind: 'automatic',
        label,
        actor: 'activation_automaton',
        handler: `activation.${operation}`,
        outcomes: ['done', 'retry'],
        maxAttempts: 3,
        backoffSeconds: 5,
        fallbackActor: opts.fallbackActor ?? 'switching',
        ...(opts.params ? { params: opts.params } : {}),
      },
    } as Nodes,
    transitions: [
      { from: node, on: 'done', to: next, why: 'the line is done on the network element' },
      { from: node, on: 'retry', to: [node], why: 'switching fixed the cause: a new order' },
    ],
  };
}
