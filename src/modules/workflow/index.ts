import type { Db } from '../../platform/db.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import type { Actor } from '../../platform/events.js';
import type { Data } from './routing.js';
import { WorkflowEngine } from './engine.js';
import { HandlerRegistry } from './handlers.js';
import { InstanceService } from './instance.service.js';
import { ScenarioService } from './scenario.service.js';
import { TaskService } from './task.service.js';
import { drain, runTimers, workOnce, type WorkOptions } from './worker.js';

export interface WorkflowServices {
  engine: WorkflowEngine;
  handlers: HandlerRegistry;
  scenarios: ScenarioService;
  tasks: TaskService;
  instances: InstanceService;
  /** One worker round (claims, runs, commits a batch of automatic tasks). */
  work: (opts?: WorkOptions) => ReturnType<typeof workOnce>;
  /** Fires due timers (at the engine's clock, or at `at`). */
  timers: (at?: Date) => Promise<number>;
  /** Works and fires timers until nothing is left to do now. */
  drain: (opts?: WorkOptions) => Promise<number>;
  /** Delivers an event to the holds waiting for it (its own transaction). */
  signal: (event: string, payload: Data, by: Actor) => Promise<number[]>;
}

export function createWorkflow(
  db: Db,
  opts: { clock?: Clock; handlers?: HandlerRegistry } = {},
): WorkflowServices {
  const handlers = opts.handlers ?? new HandlerRegistry();
  const engine = new WorkflowEngine(handlers, opts.clock ?? systemClock);
  const tasks = new TaskService(db, engine);
  return {
    engine,
    handlers,
    scenarios: new ScenarioService(db, handlers),
    tasks,
    instances: new InstanceService(db, engine, tasks),
    work: (o) => workOnce(db, engine, o),
    timers: (at) => runTimers(db, engine, at),
    drain: (o) => drain(db, engine, o),
    signal: (event, payload, by) => db.transaction().execute((trx) => engine.signal(trx, event, payload, by)),
  };
}

export { WorkflowEngine, SUPERVISION_ACTOR } from './engine.js';
export { FallOutNow, HandlerRegistry } from './handlers.js';
export type {
  TaskContext,
  TaskHandler,
  CompensationHandler,
  InstanceState,
  HandlerResult,
} from './handlers.js';
export type { Agent, TaskView } from './task.service.js';
export type { InstanceView } from './instance.service.js';
export { agentOf, registerWorkflowRoutes } from './workflow.routes.js';
export type { ScenarioDef } from './scenario.schema.js';
export { validateScenario } from './scenario.validate.js';
export { simulate } from './simulate.js';
export { workLoop, workOnce, runTimers } from './worker.js';
export { listenForReadyTasks, type Wake } from './wake.js';
export type { Data } from './routing.js';
