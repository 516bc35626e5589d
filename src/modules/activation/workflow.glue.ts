import type { Tx } from '../../platform/db.js';
import type { Actor } from '../../platform/events.js';
import type { Data, HandlerRegistry, ScenarioDef, WorkflowEngine } from '../workflow/index.js';
import type { Run } from '../workflow/engine.js';
import type { ActivationService } from './activation.service.js';
import type { Completion } from './automaton.js';
import { ORDER_OPERATIONS, type Params } from './operations.js';
import { DomainError } from '../../platform/errors.js';
import { getPath } from '../workflow/routing.js';

/**
 * How the automaton plugs into the workflow engine without holding a transaction across the network:
 *
 * 1. An automatic node whose handler is `activation.<operation>` (e.g. `activation.mobile.activate`)
 *    queues an order in the worker's transaction and ends `submitted`, noting the order id in the
 *    instance data (`activation.<node>.orderId`).
 * 2. The next node, `<node>_wait`, is a hold resumed by the event `activation.completed` whose
 *    `orderId` matches.
 * 3. The automaton executes the order outside any transaction; in the transaction that records the
 *    outcome it writes `activation.<node>.status` (`done` or `refused`, with the element's message)
 *    into the instance data and signals the hold through the engine.
 * 4. The hold's transitions route on that status: on to the next step, or to `<node>_fallout`, a
 *    human task of the switching basket showing the element's message (outcomes `done` — fixed by
 *    hand — or `retry`, which submits a new order).
 *
 * `activationSteps()` writes those three nodes and their transitions for a scenario.
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

export function registerActivationHandlers(registry: HandlerRegistry, service: ActivationService): void {
  for (const name of [...ORDER_OPERATIONS, ...Object.keys(LINE_OPERATIONS)]) {
    registry.task(`activation.${name}`, async (ctx) => {
      const d: Data = { ...ctx.instance.data, ...ctx.input };
      const node = ctx.task.node;
      const params = resolveParams(d, ctx.instance.lineId, node, ctx.node.params ?? {});
      const prev = (ctx.instance.data.activation ?? {}) as Data;
      const note = (v: Data) => ({ activation: { ...prev, [node]: v } });
      let operation: string | null;
      try {
        operation = operationFor(name, params);
      } catch (err) {
        if (!(err instanceof ManualStep)) throw err;
        return { outcome: 'manual', data: note({ status: 'manual', error: err.message }) };
      }
      if (operation === null)
        return { outcome: 'done', data: note({ status: 'done', result: { nothingToDo: true } }) };
      const lineId =
        (typeof params.dn === 'string' ? params.dn : null) ??
        (typeof params.msisdn === 'string' ? params.msisdn : null) ??
        ctx.instance.lineId;
      if (!lineId) throw new Error(`${operation}: the request has no line (directory number) yet`);
      let order;
      try {
        order = await service.submit(
          ctx.trx,
          {
            operation,
            lineId,
            params,
            element: typeof d.networkElement === 'string' ? d.networkElement : undefined,
            instanceId: ctx.instance.id,
            taskId: ctx.task.id,
            resumeNode: `${node}_wait`,
            requestRef: ctx.instance.subjectId,
            customerId: ctx.instance.customerId,
          },
          ctx.by,
        );
      } catch (err) {
        // No element of that kind (e.g. osmo-hlr not installed): switching does it by hand, now.
        if (!(err instanceof DomainError) || err.code !== 'activation.element_not_found') throw err;
        const error = `${err.message}: no network element can carry out ${operation}, do it by hand`;
        return { outcome: 'manual', data: note({ operation, status: 'manual', error }) };
      }
      return {
        outcome: 'submitted',
        data: note({ orderId: order.id, operation, element: order.element, status: 'pending' }),
      };
    });
  }
}

const OPEN: ('ready' | 'claimed' | 'waiting' | 'held')[] = ['ready', 'claimed', 'waiting', 'held'];

/**
 * The automaton's completion hook, for a batch of orders in the transaction that records their
 * outcomes: each outcome goes into its instance's data and the hold waiting for it is resumed.
 *
 * Done set-based like the engine's own workers: the instances are locked and their open tasks read
 * with one statement each, the transitions are recorded in one write set (`engine.attach` sharing
 * the first run's writes) and written with one statement per table. The holds are found by
 * instance and node rather than through `engine.signal`, whose containment match scans every hold
 * waiting for the same event — thousands while a batch of activations is in flight. Reading the
 * workflow's rows here is what the engine hook asked for in docs/activation.md would replace.
 */
export function resumeWorkflow(engine: WorkflowEngine) {
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
 * The nodes and transitions of one automatic activation step: submit → wait → next, or → fall-out
 * to switching with the element's message. `next` is where the request goes once the line is done.
 * `operation` is an order operation (`mobile.activate`) or a line operation (`line.suspend`, see
 * LINE_OPERATIONS); `params` says where its parameters come from in the data (name → data path).
 * The step also ends `done` at once when there is nothing to change on the network, and goes to
 * switching (`manual`) when no element can do it (none configured, or not an automatic operation).
 */
export function activationSteps(
  node: string,
  operation: string,
  next: string[],
  opts: { label?: string; fallbackActor?: string; params?: Record<string, string> } = {},
): { nodes: Nodes; transitions: Transitions } {
  const label = opts.label ?? `Activation: ${operation}`;
  const fallback = opts.fallbackActor ?? 'switching';
  return {
    nodes: {
      [node]: {
        kind: 'automatic',
        label,
        actor: 'activation_automaton',
        handler: `activation.${operation}`,
        outcomes: ['submitted', 'done', 'manual'],
        maxAttempts: 3,
        backoffSeconds: 5,
        fallbackActor: fallback,
        ...(opts.params ? { params: opts.params } : {}),
      },
      [`${node}_wait`]: {
        kind: 'hold',
        label: `${label} — on the network element`,
        cause: 'network element operation in progress',
        resumeOn: { event: COMPLETED_EVENT, match: { orderId: `activation.${node}.orderId` } },
      },
      [`${node}_fallout`]: {
        kind: 'human',
        label: `${label} — by hand (the network element refused, or cannot do it)`,
        actor: fallback,
        outcomes: ['done', 'retry'],
        needs: [`activation.${node}`],
        slaHours: 8,
      },
    } as Nodes,
    transitions: [
      { from: node, on: 'submitted', to: [`${node}_wait`] },
      { from: node, on: 'done', to: next, why: 'nothing to change on the network' },
      {
        from: node,
        on: 'manual',
        to: [`${node}_fallout`],
        why: 'no network element can do it: switching does it by hand',
      },
      {
        from: `${node}_wait`,
        on: 'resumed',
        when: { path: `activation.${node}.status`, op: 'eq', value: 'done' },
        to: next,
        why: 'the network element carried out the operation',
      },
      {
        from: `${node}_wait`,
        on: 'resumed',
        to: [`${node}_fallout`],
        why: 'the network element refused: switching reads its message',
      },
      { from: `${node}_fallout`, on: 'done', to: next, why: 'switching did it by hand' },
      { from: `${node}_fallout`, on: 'retry', to: [node], why: 'switching fixed the cause: submit again' },
    ],
  };
}
