import { activationSteps } from '../activation/index.js';
import type { ScenarioDef } from '../workflow/index.js';

/** The workflow event that resumes the limitations of a payer whose debt is paid. */
export const DEBT_SETTLED = 'billing.debt_settled';
export const LIMITATION_SCENARIO = 'collection_limitation';
export const SUSPENSION_SCENARIO = 'collection_suspension';
export const RESTORATION_SCENARIO = 'collection_restoration';

/** Handlers of the collection scenarios (collection-handlers.ts). */
export const LINE_HANDLER = 'collection.line';
export const DEBT_CHECK_HANDLER = 'collection.check_debt';

type Nodes = ScenarioDef['nodes'];
type Transitions = ScenarioDef['transitions'];

const MOBILE = { path: 'collectionLine', op: 'eq', value: 'mobile' } as const;

/**
 * First step of every collection scenario: reads the line (number, SIM card, mobile or fixed) and
 * puts what the activation automaton needs at the top of the data (`directoryNumber`, `simIccid`).
 */
const lineNode = {
  kind: 'automatic',
  label: 'Line to act on (number, SIM card, network)',
  actor: 'workflow_automaton',
  handler: LINE_HANDLER,
  outcomes: ['mobile', 'fixed'],
  maxAttempts: 3,
  backoffSeconds: 30,
  fallbackActor: 'switching',
} as Nodes[string];

const replyNodes = {
  reply_completed: {
    kind: 'automatic',
    label: 'Reply to the customer',
    actor: 'workflow_automaton',
    handler: 'request.reply_completed',
    outcomes: ['sent'],
    maxAttempts: 3,
    backoffSeconds: 30,
    fallbackActor: 'supervision',
  },
} as Nodes;

/** The same step on a mobile line (osmo-hlr) or a fixed line (the switch), chosen by the line. */
function byLine(
  from: string,
  on: string,
  mobile: string,
  fixed: string,
  why: { mobile: string; fixed: string },
): Transitions {
  return [
    { from, on, when: MOBILE, to: [mobile], why: why.mobile },
    { from, on, to: [fixed], why: why.fixed },
  ];
}

function merge(...parts: { nodes: Nodes; transitions: Transitions }[]) {
  return {
    nodes: Object.assign({}, ...parts.map((p) => p.nodes)) as Nodes,
    transitions: parts.flatMap((p) => p.transitions),
  };
}

const limitMobile = activationSteps('limit_mobile', 'mobile.limit', ['check_debt'], {
  label: 'Limitation (unpaid bills): data cut in the HLR',
});
const limitFixed = activationSteps('limit_fixed', 'fixed.barring', ['check_debt'], {
  label: 'Limitation (unpaid bills): outgoing calls barred on the switch',
});
const liftMobile = activationSteps('lift_mobile', 'mobile.restore', ['reply_completed'], {
  label: 'End of limitation (debt paid): full access in the HLR',
});
const liftFixed = activationSteps('lift_fixed', 'fixed.barring', ['reply_completed'], {
  label: 'End of limitation (debt paid): barring class given back on the switch',
});
const limitation = merge(limitMobile, limitFixed, liftMobile, liftFixed);

/**
 * Limitation for unpaid bills (seed: "limitation des droits d'accès"), carried out by the
 * activation automaton: on a mobile line the HLR's `mobile.limit` (data cut, voice and SMS kept —
 * osmo-hlr knows CS and PS access only, not call barring), on a fixed line the switch's barring
 * class `OUTG` (outgoing calls barred). The request then waits until the payer's debt is paid
 * (`billing.debt_settled`), and the automaton lifts the limitation: full access in the HLR, the
 * barring class the line had before on the switch. A refusal by the element falls out to
 * switching with the element's message (activationSteps).
 *
 * No shipped scenario does this — `temporary_access_change` reverts at a date, not at a payment —
 * so collection ships it for the `access_change` request kind, through the requests module's
 * `scenario` override. Operators edit it like any other scenario.
 */
export const LIMITATION_SCENARIO_DEF: ScenarioDef = {
  code: LIMITATION_SCENARIO,
  name: 'Limitation for unpaid bills',
  requestKind: 'access_change',
  description:
    'Collection: the activation automaton limits the line (mobile: data cut in the HLR; fixed: outgoing calls barred on the switch), the request waits until the debt is paid, then the automaton lifts the limitation.',
  start: ['line'],
  nodes: {
    line: lineNode,
    ...limitation.nodes,
    check_debt: {
      kind: 'automatic',
      label: 'Is the debt still unpaid?',
      actor: 'workflow_automaton',
      handler: DEBT_CHECK_HANDLER,
      outcomes: ['owing', 'settled'],
      maxAttempts: 3,
      backoffSeconds: 30,
      fallbackActor: 'supervision',
    },
    wait_payment: {
      kind: 'hold',
      label: 'Limited until the debt is paid',
      cause: 'unpaid bills: the line is limited until the payer’s debt is paid',
      resumeOn: { event: DEBT_SETTLED, match: { payerId: 'payerId' } },
    },
    ...replyNodes,
    done: { kind: 'end', label: 'Limitation lifted', result: 'completed' },
  } as Nodes,
  transitions: [
    { from: 'line', on: 'mobile', to: ['limit_mobile'], why: 'a mobile line: the HLR cuts data' },
    { from: 'line', on: 'fixed', to: ['limit_fixed'], why: 'a fixed line: the switch bars outgoing calls' },
    ...limitation.transitions,
    { from: 'check_debt', on: 'owing', to: ['wait_payment'], why: 'the debt is still unpaid' },
    ...byLine('check_debt', 'settled', 'lift_mobile', 'lift_fixed', {
      mobile: 'paid while the line was being limited: lift it at once',
      fixed: 'paid while the line was being limited: lift it at once',
    }),
    ...byLine('wait_payment', 'resumed', 'lift_mobile', 'lift_fixed', {
      mobile: 'the payer’s debt is paid: the HLR gives full access back',
      fixed: 'the payer’s debt is paid: the switch gets the barring class back',
    }),
    { from: 'reply_completed', on: 'sent', to: ['done'] },
  ],
};

const suspendMobile = activationSteps('suspend_mobile', 'mobile.suspend', ['reply_completed'], {
  label: 'Suspension (unpaid bills): CS and PS cut in the HLR',
});
const suspendFixed = activationSteps('suspend_fixed', 'fixed.suspend', ['reply_completed'], {
  label: 'Suspension (unpaid bills): line barred on the switch',
});
const suspension = merge(suspendMobile, suspendFixed);

/**
 * Suspension for unpaid bills, by the activation automaton. The subscription is suspended first,
 * then the element: if the debt is paid meanwhile, collection cancels this request and, the line
 * being suspended already, starts a restoration — whose order on the element runs after this
 * one's (orders of a line run in order), so the line always ends restored.
 */
export const SUSPENSION_SCENARIO_DEF: ScenarioDef = {
  code: SUSPENSION_SCENARIO,
  name: 'Suspension for unpaid bills',
  requestKind: 'suspension',
  description:
    'Collection: subscription suspended, then the activation automaton cuts the line (mobile: CS and PS in the HLR; fixed: line barred on the switch).',
  start: ['line'],
  nodes: {
    line: lineNode,
    suspend: {
      kind: 'automatic',
      label: 'Subscription suspended',
      actor: 'workflow_automaton',
      handler: 'request.suspend',
      outcomes: ['done'],
      maxAttempts: 3,
      backoffSeconds: 30,
      fallbackActor: 'supervision',
    },
    ...suspension.nodes,
    ...replyNodes,
    done: { kind: 'end', label: 'Line suspended', result: 'completed' },
  } as Nodes,
  transitions: [
    { from: 'line', on: '*', to: ['suspend'] },
    ...byLine('suspend', 'done', 'suspend_mobile', 'suspend_fixed', {
      mobile: 'a mobile line: the HLR cuts CS and PS',
      fixed: 'a fixed line: the switch bars the line',
    }),
    ...suspension.transitions,
    { from: 'reply_completed', on: 'sent', to: ['done'] },
  ],
};

const restoreMobile = activationSteps('restore_mobile', 'mobile.restore', ['restore'], {
  label: 'Restoration (debt paid): full access in the HLR',
});
const restoreFixed = activationSteps('restore_fixed', 'fixed.restore', ['restore'], {
  label: 'Restoration (debt paid): barring lifted on the switch',
});
const restoration = merge(restoreMobile, restoreFixed);

/** Restoration once the debt is paid: the automaton first, then the subscription is active again. */
export const RESTORATION_SCENARIO_DEF: ScenarioDef = {
  code: RESTORATION_SCENARIO,
  name: 'Restoration after payment',
  requestKind: 'restoration',
  description:
    'Collection: the debt is paid; the activation automaton restores the line (mobile: CS and PS in the HLR; fixed: barring lifted on the switch), then the subscription is active again.',
  start: ['line'],
  nodes: {
    line: lineNode,
    ...restoration.nodes,
    restore: {
      kind: 'automatic',
      label: 'Subscription active again',
      actor: 'workflow_automaton',
      handler: 'request.restore',
      outcomes: ['done'],
      maxAttempts: 3,
      backoffSeconds: 30,
      fallbackActor: 'supervision',
    },
    ...replyNodes,
    done: { kind: 'end', label: 'Line restored', result: 'completed' },
  } as Nodes,
  transitions: [
    {
      from: 'line',
      on: 'mobile',
      to: ['restore_mobile'],
      why: 'a mobile line: the HLR gives CS and PS back',
    },
    { from: 'line', on: 'fixed', to: ['restore_fixed'], why: 'a fixed line: the switch lifts the barring' },
    ...restoration.transitions,
    { from: 'restore', on: 'done', to: ['reply_completed'] },
    { from: 'reply_completed', on: 'sent', to: ['done'] },
  ],
};

export const COLLECTION_SCENARIOS: ScenarioDef[] = [
  LIMITATION_SCENARIO_DEF,
  SUSPENSION_SCENARIO_DEF,
  RESTORATION_SCENARIO_DEF,
];
