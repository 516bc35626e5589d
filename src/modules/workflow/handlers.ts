import type { Tx } from '../../platform/db.js';
import type { Actor, EventInput } from '../../platform/events.js';
import type { Data } from './routing.js';
import type { NodeDef } from './scenario.schema.js';
import type { BatchWriter } from './writes.js';

/**
 * Given to an automatic step a worker runs in a batch (not when it is run on its own): the step's
 * own rows can be written with the batch's workflow rows — one statement per table for the whole
 * batch at its end, no statement (and so no savepoint round trip) per step. If the batch's write
 * fails, the worker runs the batch again step by step, without `batch`: the step then writes for
 * itself through `trx`.
 */
export interface StepBatch {
  /** An id from `table`'s identity sequence, fetched ahead for the batch. */
  id(table: string): Promise<number>;
  /** A row for `writer`, which writes all the batch's rows of that writer at once. */
  defer<R>(writer: BatchWriter<R>, row: R): void;
  /** An event written with the batch's events. */
  event(e: EventInput): void;
  /**
   * Runs `fn` once the batch's transaction has committed (synchronously, one after the other, in
   * the steps' order); never if the step or the batch is rolled back (the batch may then be run
   * again step by step, without `batch`).
   */
  afterCommit(fn: () => void): void;
}

/** What a step sees of its instance; `data` may be changed by returning a patch. */
export interface InstanceState {
  id: number;
  scenarioCode: string;
  scenarioVersion: number;
  subjectType: string;
  subjectId: string;
  customerId: number | null;
  lineId: string | null;
  data: Data;
}

export interface TaskContext {
  trx: Tx;
  instance: InstanceState;
  task: { id: number; node: string; attempts: number; input: Data };
  node: NodeDef;
  /** The agent's input for a human task, else the task's input. */
  input: Data;
  /** The outcome an agent chose (human tasks). */
  outcome?: string;
  by: Actor;
  now: Date;
  /** Records how to undo what this step did; run newest first if the request is cancelled or rejected. */
  compensate: (action: string, payload: Data) => void;
  /** The line (directory number) the request now concerns, for the line's timeline. */
  setLine: (lineId: string) => void;
  /** Present when a worker runs the step in a batch (see StepBatch). */
  batch?: StepBatch;
}

export interface HandlerResult {
  /** Automatic tasks say how they ended; human tasks keep the agent's outcome. */
  outcome?: string;
  /** Merged into the instance's data, where later conditions and tasks read it. */
  data?: Data;
  /**
   * Automatic steps only: the step waits for an external completion (e.g. an order on a network
   * element) instead of ending now. The task becomes `waiting` under this key, no transaction is
   * held meanwhile, and `engine.completeWaiting(trx, key, outcome…)` ends it (or `failWaiting`
   * retries it or makes it fall out to its fallback actor).
   */
  wait?: { key: string };
}

/**
 * Thrown by an automatic step that knows retrying is pointless (nothing can do it automatically):
 * the task falls out to its fallback actor's basket at once, with this message as the diagnosis.
 */
export class FallOutNow extends Error {}

export type TaskHandler = (ctx: TaskContext) => Promise<HandlerResult | void>;

export interface CompensationContext {
  trx: Tx;
  instance: InstanceState;
  payload: Data;
  by: Actor;
  now: Date;
}
export type CompensationHandler = (ctx: CompensationContext) => Promise<void>;

/** What the owner of an instance's subject (e.g. a service request) does when the instance ends. */
export interface SubjectHooks {
  onEnd?: (
    trx: Tx,
    instance: InstanceState,
    result: 'completed' | 'rejected' | 'cancelled',
    reason: string | null,
    by: Actor,
    now: Date,
  ) => Promise<void>;
}

/** The named steps scenarios may call: modules register theirs, scenarios refer to them by name. */
export class HandlerRegistry {
  readonly tasks = new Map<string, TaskHandler>();
  readonly compensations = new Map<string, CompensationHandler>();
  readonly subjects = new Map<string, SubjectHooks>();

  task(name: string, handler: TaskHandler): this {
    this.tasks.set(name, handler);
    return this;
  }
  compensation(name: string, handler: CompensationHandler): this {
    this.compensations.set(name, handler);
    return this;
  }
  subject(type: string, hooks: SubjectHooks): this {
    this.subjects.set(type, hooks);
    return this;
  }
}
