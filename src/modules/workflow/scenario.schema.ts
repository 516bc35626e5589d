import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Scalar } from '../../platform/http/nullable.js';

/**
 * The scenario format: a JSON document operators write, validate, version, export and import.
 * docs/workflow.md explains each field; `validateScenario` adds the checks a schema cannot express.
 */

const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{1,60}$' });
const NodeName = Type.String({ pattern: '^[a-z][a-z0-9_]{0,60}$' });
const DataPath = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)*$', maxLength: 200 });

export const ConditionOp = Type.Union([
  Type.Literal('eq'),
  Type.Literal('ne'),
  Type.Literal('in'),
  Type.Literal('nin'),
  Type.Literal('gt'),
  Type.Literal('gte'),
  Type.Literal('lt'),
  Type.Literal('lte'),
  Type.Literal('exists'),
  Type.Literal('missing'),
]);
export type ConditionOp = Static<typeof ConditionOp>;

/** A test over the request's data: `{path, op, value}`, or `all`/`any`/`not` of other tests. */
export const Condition = Type.Recursive(
  (Self: TSchema) =>
    Type.Union([
      Type.Object(
        { path: DataPath, op: ConditionOp, value: Type.Optional(Type.Union([Scalar, Type.Array(Scalar)])) },
        { additionalProperties: false },
      ),
      Type.Object({ all: Type.Array(Self, { minItems: 1 }) }, { additionalProperties: false }),
      Type.Object({ any: Type.Array(Self, { minItems: 1 }) }, { additionalProperties: false }),
      Type.Object({ not: Self }, { additionalProperties: false }),
    ]),
  { $id: 'WorkflowCondition' },
);
export type Condition =
  | { path: string; op: ConditionOp; value?: unknown }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const ActorRule = Type.Object(
  {
    when: Type.Optional(Condition),
    actor: Code,
    why: Type.String({ minLength: 1, maxLength: 300 }),
  },
  { additionalProperties: false },
);

export const Assignment = Type.Object(
  {
    // pull: agents take tasks themselves; zone/skill/load: the engine pushes to one agent
    strategy: Type.Union([
      Type.Literal('pull'),
      Type.Literal('zone'),
      Type.Literal('skill'),
      Type.Literal('load'),
    ]),
    skill: Type.Optional(Type.String({ maxLength: 60 })),
    zonePath: Type.Optional(DataPath),
  },
  { additionalProperties: false },
);

export const Field = Type.Object(
  {
    name: Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_]{0,60}$' }),
    type: Type.Union([
      Type.Literal('string'),
      Type.Literal('integer'),
      Type.Literal('boolean'),
      Type.Literal('date'),
    ]),
    required: Type.Optional(Type.Boolean()),
    label: Type.Optional(Type.String({ maxLength: 200 })),
    // the field is only required for these outcomes (e.g. the reason of a refusal)
    forOutcomes: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

export const TimerDef = Type.Object(
  {
    afterHours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 3650 })),
    afterDays: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3650 })),
    // fire at the instant held in this data path (ISO date-time), e.g. the end of a temporary change
    atPath: Type.Optional(DataPath),
    action: Type.Union([
      Type.Literal('cancel'),
      Type.Literal('reject'),
      Type.Literal('escalate'),
      Type.Literal('complete'),
    ]),
    outcome: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);
export type TimerDef = Static<typeof TimerDef>;

export const NodeKind = Type.Union([
  Type.Literal('human'),
  Type.Literal('automatic'),
  Type.Literal('join'),
  Type.Literal('hold'),
  Type.Literal('timer'),
  Type.Literal('end'),
]);
export type NodeKind = Static<typeof NodeKind>;

export const NodeDef = Type.Object(
  {
    kind: NodeKind,
    label: Type.String({ minLength: 1, maxLength: 200 }),
    // human / automatic
    actor: Type.Optional(Code),
    actorRules: Type.Optional(Type.Array(ActorRule, { maxItems: 50 })),
    handler: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.]{1,60}$' })),
    outcomes: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,40}$' }), { minItems: 1 })),
    fields: Type.Optional(Type.Array(Field, { maxItems: 50 })),
    needs: Type.Optional(Type.Array(DataPath, { maxItems: 50 })),
    slaHours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 365 })),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    assignment: Type.Optional(Assignment),
    timers: Type.Optional(Type.Array(TimerDef, { maxItems: 10 })),
    // automatic only: retries with back-off, then fall out to a human basket
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    backoffSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86400 })),
    fallbackActor: Type.Optional(Code),
    // automatic: where the handler's parameters come from in the data (name → data path), e.g.
    // an activation step's `{ msisdn: 'line.number', iccid: 'line.sim' }`
    params: Type.Optional(Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_]{0,40}$' }), DataPath)),
    // join
    waitFor: Type.Optional(Type.Array(NodeName, { minItems: 2 })),
    abortOn: Type.Optional(Type.Array(Type.String())),
    // hold
    cause: Type.Optional(Type.String({ maxLength: 300 })),
    resumeOn: Type.Optional(
      Type.Object(
        {
          event: Type.String({ pattern: '^[a-z][a-z0-9_.]{1,80}$' }),
          // event payload key → data path whose value it must equal
          match: Type.Optional(Type.Record(Type.String(), DataPath)),
        },
        { additionalProperties: false },
      ),
    ),
    // timer node
    afterHours: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    atPath: Type.Optional(DataPath),
    // end
    result: Type.Optional(
      Type.Union([Type.Literal('completed'), Type.Literal('rejected'), Type.Literal('cancelled')]),
    ),
    reasonPath: Type.Optional(DataPath),
  },
  { additionalProperties: false },
);
export type NodeDef = Static<typeof NodeDef>;

export const TransitionDef = Type.Object(
  {
    from: NodeName,
    on: Type.String({ minLength: 1 }),
    when: Type.Optional(Condition),
    to: Type.Array(NodeName, { minItems: 1, maxItems: 20 }),
    why: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);
export type TransitionDef = Static<typeof TransitionDef>;

export const ScenarioDef = Type.Object(
  {
    code: Code,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    // the kind of service request this scenario serves (new_line, termination…)
    requestKind: Type.Optional(Type.String({ maxLength: 60 })),
    start: Type.Array(NodeName, { minItems: 1, maxItems: 20 }),
    nodes: Type.Record(NodeName, NodeDef),
    transitions: Type.Array(TransitionDef, { maxItems: 500 }),
  },
  { additionalProperties: false, $id: 'Scenario' },
);
export type ScenarioDef = Omit<Static<typeof ScenarioDef>, 'transitions' | 'nodes'> & {
  nodes: Record<string, NodeDef>;
  transitions: (Omit<TransitionDef, 'when'> & { when?: Condition })[];
};
