import type { ScenarioDef } from '../workflow/index.js';

/** The workflow event that resumes the limitations of a payer whose debt is paid. */
export const DEBT_SETTLED = 'billing.debt_settled';
export const LIMITATION_SCENARIO = 'collection_limitation';

/**
 * Limitation for unpaid bills (seed: "limitation des droits d'accès"): outgoing calls barred by
 * switching (the activation automaton's actor), held until the payer's debt is paid, then lifted.
 * No shipped scenario does this: `temporary_access_change` reverts at a date, not at a payment,
 * so collection ships this one, for the `access_change` request kind, through the requests
 * module's `scenario` override. Operators edit it like any other scenario.
 */
export const LIMITATION_SCENARIO_DEF: ScenarioDef = {
  code: LIMITATION_SCENARIO,
  name: 'Limitation for unpaid bills',
  requestKind: 'access_change',
  description:
    'Collection: outgoing calls barred on the switch, the line waits until the debt is paid, then the barring is lifted.',
  start: ['switching_apply'],
  nodes: {
    switching_apply: {
      kind: 'human',
      label: 'Bar outgoing calls (unpaid bills)',
      actor: 'switching',
      outcomes: ['done'],
      slaHours: 8,
      fields: [{ name: 'notes', type: 'string', label: 'Notes' }],
    },
    wait_payment: {
      kind: 'hold',
      label: 'Limited until the debt is paid',
      cause: 'unpaid bills: outgoing calls barred until the payer’s debt is paid',
      resumeOn: { event: DEBT_SETTLED, match: { payerId: 'payerId' } },
    },
    switching_revert: {
      kind: 'human',
      label: 'Lift the outgoing-call barring (debt paid)',
      actor: 'switching',
      outcomes: ['done'],
      slaHours: 4,
      fields: [{ name: 'notes', type: 'string', label: 'Notes' }],
    },
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
    done: { kind: 'end', label: 'Limitation lifted', result: 'completed' },
  },
  transitions: [
    { from: 'switching_apply', on: 'done', to: ['wait_payment'] },
    { from: 'wait_payment', on: 'resumed', to: ['switching_revert'], why: 'the payer’s debt is paid' },
    { from: 'switching_revert', on: 'done', to: ['reply_completed'] },
    { from: 'reply_completed', on: 'sent', to: ['done'] },
  ],
};
