import { activationSteps } from '../activation/index.js';
import type { ScenarioDef } from '../workflow/index.js';

/**
 * The scenarios shipped with GPTo, one per kind of service request. They are ordinary scenario
 * documents: operators export them, change them and import new versions through the API.
 */

type Node = ScenarioDef['nodes'][string];
type T = ScenarioDef['transitions'][number];

const auto = (label: string, handler: string, outcomes: string[], extra: Partial<Node> = {}): Node => ({
  kind: 'automatic',
  label,
  actor: 'workflow_automaton',
  handler,
  outcomes,
  maxAttempts: 3,
  backoffSeconds: 30,
  fallbackActor: 'supervision',
  ...extra,
});
const human = (label: string, actor: string, outcomes: string[], extra: Partial<Node> = {}): Node => ({
  kind: 'human',
  label,
  actor,
  outcomes,
  ...extra,
});
const feasibility = ['feasible', 'not_feasible'];
const notes = { name: 'notes', type: 'string' as const, label: 'Notes' };

const checkCustomer = auto(
  'Customer existence and blacklist check',
  'request.check_customer',
  ['clear', 'blacklisted'],
  {
    actor: 'blacklist_check',
    fallbackActor: 'commercial',
  },
);
const quote = auto('Quote from catalogue prices', 'request.quote', ['issued']);
const quoteAcceptance = human('Customer accepts the quote', 'commercial', ['accepted', 'refused'], {
  slaHours: 72,
  fields: [
    {
      name: 'reason',
      type: 'string',
      required: true,
      forOutcomes: ['refused'],
      label: 'Reason of the refusal',
    },
  ],
});
const deposit = human('Guarantee deposit', 'finance', ['paid'], {
  handler: 'request.record_deposit',
  needs: ['depositDue'],
  slaHours: 72,
  fields: [
    { name: 'amount', type: 'integer', required: true },
    { name: 'method', type: 'string', required: true },
    { name: 'reference', type: 'string' },
  ],
  // seed: a deposit not paid within 15 days cancels the request
  timers: [{ afterDays: 15, action: 'cancel', reason: 'guarantee deposit unpaid after 15 days' }],
});
const invoice = auto('Invoice of the one-off fees', 'request.issue_invoice', ['issued']);
const payment = human('Payment confirmation', 'finance', ['paid'], {
  handler: 'request.record_payment',
  needs: ['invoice'],
  slaHours: 72,
  fields: [
    { name: 'amount', type: 'integer', required: true },
    { name: 'method', type: 'string', required: true },
    { name: 'reference', type: 'string' },
  ],
  timers: [{ afterDays: 30, action: 'cancel', reason: 'one-off fees unpaid after 30 days' }],
});
const replyCompleted = auto('Reply to the customer', 'request.reply_completed', ['sent']);
const replyRejected = auto('Reply to the customer (refusal)', 'request.reply_rejected', ['sent']);
const endNodes = {
  reply_completed: replyCompleted,
  reply_rejected: replyRejected,
  done: { kind: 'end', label: 'Request satisfied', result: 'completed' } as Node,
  rejected: {
    kind: 'end',
    label: 'Request rejected',
    result: 'rejected',
    reasonPath: 'rejectReason',
  } as Node,
};
// Scenarios with no refusal path end only one way.
const endOkNodes = { reply_completed: replyCompleted, done: endNodes.done };
const endOkTransitions: T[] = [{ from: 'reply_completed', on: 'sent', to: ['done'] }];
const endTransitions: T[] = [
  { from: 'reply_completed', on: 'sent', to: ['done'] },
  { from: 'reply_rejected', on: 'sent', to: ['rejected'] },
];

/**
 * Where the activation automaton's parameters come from (see requests/network.ts): a new line's
 * number, SIM and port from its reservation; an existing line's from `network`, set at intake.
 */
const NEW_MOBILE_PARAMS = { iccid: 'line.sim', msisdn: 'line.number' };
const NEW_FIXED_PARAMS = {
  dn: 'line.number',
  en: 'line.equipmentNumber',
  baseStation: 'study.chain.baseStation',
  barring: 'network.barring',
};
const LINE_PARAMS = {
  lineKind: 'network.lineKind',
  dn: 'network.dn',
  msisdn: 'network.dn',
  iccid: 'network.sim',
};

/** Money part shared by the sales scenarios: quote, deposit when due, invoice, payment when due. */
function moneyPart(after: string[]): { nodes: Record<string, Node>; transitions: T[] } {
  return {
    nodes: { quote, quote_acceptance: quoteAcceptance, deposit, invoice, payment },
    transitions: [
      { from: 'quote', on: 'issued', to: ['quote_acceptance'] },
      {
        from: 'quote_acceptance',
        on: 'accepted',
        when: { path: 'depositDue', op: 'gt', value: 0 },
        to: ['deposit'],
        why: 'a guarantee deposit is due for this product and customer category',
      },
      {
        from: 'quote_acceptance',
        on: 'accepted',
        to: ['invoice'],
        why: 'no deposit for this product and category',
      },
      {
        from: 'quote_acceptance',
        on: 'refused',
        to: ['reply_rejected'],
        why: 'the customer refused the quote',
      },
      { from: 'deposit', on: 'paid', to: ['invoice'] },
      {
        from: 'invoice',
        on: 'issued',
        when: { path: 'invoice.total', op: 'gt', value: 0 },
        to: ['payment'],
        why: 'one-off fees to pay',
      },
      { from: 'invoice', on: 'issued', to: after, why: 'nothing to pay' },
      { from: 'payment', on: 'paid', to: after },
    ],
  };
}

/**
 * The automatic study: the inventory finds and reserves the whole chain (port, MDF positions,
 * primary and distribution pairs at a serving concentration point), or the base station, or the SIM
 * card of the shop, with a number — or says why not (saturation naming the full element, unequipped
 * zone, missing equipment), and then holds the request in its pending requests.
 */
const automaticStudy = (label: string, fallbackActor: string): Node =>
  auto(label, 'request.study', ['feasible', 'not_feasible', 'number_unavailable'], {
    fallbackActor,
    needs: ['installAddress', 'preferredNumber', 'shop'],
  });

/** Choose-a-number: the number the customer asked for is taken; the counter agrees another with them. */
const chooseNumber = human(
  'Chosen number unavailable: agree another with the customer',
  'commercial',
  ['chosen'],
  {
    handler: 'request.choose_number',
    needs: ['preferredNumber', 'numberProblem'],
    slaHours: 48,
    fields: [
      {
        name: 'preferredNumber',
        type: 'string',
        label: 'Another number (empty: any free number)',
      },
    ],
  },
);

/**
 * Held until the inventory finds capacity for the request: when pairs are added or repaired,
 * equipment installed, coverage added or a pool extended, the inventory re-studies its pending
 * requests oldest first, reserves, and announces `pending.resumed`; the requests module turns that
 * into `inventory.pending_resumed` for this request. A periodic recheck studies again in case an
 * announcement was missed (process stopped between the inventory's commit and the signal).
 */
const holdForCapacity: Node = {
  kind: 'hold',
  label: 'Pending request: waiting for capacity',
  cause: 'not feasible now: the cause (saturation, unequipped zone, missing equipment) is in study.cause',
  resumeOn: { event: 'inventory.pending_resumed', match: { requestRef: 'request.number' } },
  timers: [
    {
      afterHours: 24,
      action: 'complete',
      outcome: 'recheck',
      reason: 'periodic recheck of the pending request',
    },
    {
      atPath: 'capacityDeadline',
      action: 'complete',
      outcome: 'expired',
      reason: 'no capacity within 90 days',
    },
  ],
};

/** Study, hold and choose-a-number, shared by the new-line scenarios. */
function studyPart(
  label: string,
  fallbackActor: string,
  next: string[],
): { nodes: Record<string, Node>; transitions: T[] } {
  return {
    nodes: {
      study: automaticStudy(label, fallbackActor),
      wait_capacity: holdForCapacity,
      choose_number: chooseNumber,
    },
    transitions: [
      { from: 'study', on: 'feasible', to: next, why: 'the inventory reserved what the line needs' },
      {
        from: 'study',
        on: 'not_feasible',
        to: ['wait_capacity'],
        why: 'not feasible now: the request waits for capacity in the inventory’s pending requests',
      },
      {
        from: 'study',
        on: 'number_unavailable',
        to: ['choose_number'],
        why: 'the number the customer chose is not available',
      },
      { from: 'choose_number', on: 'chosen', to: ['study'] },
      {
        from: 'wait_capacity',
        on: 'resumed',
        to: ['study'],
        why: 'the inventory found capacity and reserved it for the request',
      },
      { from: 'wait_capacity', on: 'recheck', to: ['study'], why: 'periodic recheck of a pending request' },
      { from: 'wait_capacity', on: 'expired', to: ['reply_rejected'], why: 'no capacity within 90 days' },
    ],
  };
}

/** The number of the inventory's reservation becomes the line's (seed: "attribution du numéro"). */
const numberAssignment = auto('Directory number assignment (from the reservation)', 'request.assign_number', [
  'assigned',
]);

function newFixed(code: string, name: string, radio: boolean): ScenarioDef {
  const money = moneyPart(['number_assignment']);
  // the works are done: the automaton creates the line on the switch, on its port (radio: its base station's)
  const switchActivate = activationSteps('switch_activate', 'fixed.activate', ['activate'], {
    label: 'Line created on the switch',
    params: NEW_FIXED_PARAMS,
  });
  const study = studyPart(
    radio
      ? 'Automatic study: radio coverage, base station capacity and number reserved'
      : 'Automatic study: line port, MDF positions, pairs and number reserved',
    'network_studies',
    ['quote'],
  );
  return {
    code,
    name,
    requestKind: 'new_line',
    description: radio
      ? 'New fixed radio (WLL) line: blacklist check, automatic study (base station and number reserved, or hold), quote, deposit, invoice, payment, number, field installation, set-up, reply.'
      : 'New fixed wired line: blacklist check, automatic study (chain and number reserved, or hold), quote, deposit, invoice, payment, number, work orders for the MDF and the field team, set-up, reply.',
    start: ['check_customer'],
    nodes: {
      check_customer: checkCustomer,
      ...study.nodes,
      ...money.nodes,
      number_assignment: numberAssignment,
      work_orders: auto('Work orders', 'request.work_orders', ['issued'], {
        needs: radio ? ['field'] : ['mdf', 'field'],
      }),
      ...(radio
        ? {}
        : {
            mdf_works: human('Jumpering at the distribution frame', 'mdf', ['done'], {
              assignment: { strategy: 'zone', zonePath: 'zone' },
              slaHours: 48,
            }),
          }),
      field_works: human('Installation at the customer’s premises and completion report', 'field', ['done'], {
        handler: 'request.completion_report',
        fields: [{ name: 'report', type: 'string', required: true, label: 'Completion report' }],
        assignment: { strategy: 'zone', zonePath: 'zone' },
        slaHours: 72,
      }),
      ...(radio
        ? {}
        : { works: { kind: 'join', label: 'Works done', waitFor: ['mdf_works', 'field_works'] } as Node }),
      ...switchActivate.nodes,
      activate: auto(
        'Line set-up: reservation committed to the technical file, subscription active with its number',
        'request.activate_line',
        ['done'],
      ),
      ...endNodes,
    },
    transitions: [
      { from: 'check_customer', on: 'clear', to: ['study'], why: 'the inventory studies the line' },
      {
        from: 'check_customer',
        on: 'blacklisted',
        to: ['reply_rejected'],
        why: 'the customer is refused service',
      },
      ...study.transitions,
      ...money.transitions,
      { from: 'number_assignment', on: 'assigned', to: ['work_orders'] },
      ...(radio
        ? [
            { from: 'work_orders', on: 'issued', to: ['field_works'] },
            { from: 'field_works', on: 'done', to: ['switch_activate'] },
          ]
        : [
            {
              from: 'work_orders',
              on: 'issued',
              to: ['mdf_works', 'field_works'],
              why: 'MDF and field work side by side',
            },
            { from: 'mdf_works', on: 'done', to: ['works'] },
            { from: 'field_works', on: 'done', to: ['works'] },
            { from: 'works', on: 'done', to: ['switch_activate'] },
          ]),
      ...switchActivate.transitions,
      { from: 'activate', on: 'done', to: ['reply_completed'] },
      ...endTransitions,
    ],
  };
}

function newMobile(code: string, name: string, prepaid: boolean): ScenarioDef {
  const money = moneyPart(['number_assignment']);
  // the automaton creates the subscriber in the HLR from the SIM's IMSI and keys, with the number
  const hlrActivate = activationSteps('hlr_activate', 'mobile.activate', ['activate'], {
    label: 'Subscriber created in the HLR',
    params: NEW_MOBILE_PARAMS,
  });
  const study = studyPart('Stock study: SIM card of the shop and number reserved', 'stock', [
    prepaid ? 'invoice' : 'quote',
  ]);
  return {
    code,
    name,
    requestKind: 'new_line',
    description: prepaid
      ? 'New prepaid mobile line: blacklist check, SIM card and number reserved from the shop’s stock (or hold), invoice and payment of the SIM kit, number, set-up, reply.'
      : 'New postpaid mobile line: blacklist check, SIM card and number reserved from the shop’s stock (or hold), quote, deposit by customer category, invoice, payment, number, set-up, reply.',
    start: ['check_customer'],
    nodes: {
      check_customer: checkCustomer,
      ...study.nodes,
      ...(prepaid ? { invoice, payment } : money.nodes),
      number_assignment: numberAssignment,
      ...hlrActivate.nodes,
      activate: auto(
        'Line set-up: SIM and number committed, subscription active with its number and SIM',
        'request.activate_line',
        ['done'],
      ),
      ...endNodes,
    },
    transitions: [
      { from: 'check_customer', on: 'clear', to: ['study'], why: 'the inventory studies the line' },
      {
        from: 'check_customer',
        on: 'blacklisted',
        to: ['reply_rejected'],
        why: 'the customer is refused service',
      },
      ...study.transitions,
      ...(prepaid
        ? [
            {
              from: 'invoice',
              on: 'issued',
              when: { path: 'invoice.total', op: 'gt', value: 0 },
              to: ['payment'],
              why: 'the SIM kit is paid first',
            } as T,
            { from: 'invoice', on: 'issued', to: ['number_assignment'], why: 'nothing to pay' },
            { from: 'payment', on: 'paid', to: ['number_assignment'] },
          ]
        : money.transitions),
      { from: 'number_assignment', on: 'assigned', to: ['hlr_activate'] },
      ...hlrActivate.transitions,
      { from: 'activate', on: 'done', to: ['reply_completed'] },
      ...endTransitions,
    ],
  };
}

const OPTION_PARAMS = {
  ...LINE_PARAMS,
  add: 'network.option.add',
  remove: 'network.option.remove',
  barring: 'network.option.barring',
  manual: 'network.option.manual',
};

/**
 * Relocation on the switch: the line moves to the port its technical file now names (another
 * exchange, or a WLL line's new base station); a line that kept its port has nothing to change.
 */
const switchMove = activationSteps('switch_move', 'fixed.move', ['reply_completed'], {
  label: 'Line moved to its new equipment number on the switch',
  params: { dn: 'network.dn', en: 'relocated.equipmentNumber', baseStation: 'relocated.baseStation' },
});

const switchingApply = (label: string) =>
  human(label, 'switching', ['done'], { slaHours: 8, fields: [notes] });

/** A step of the activation automaton on the request's line (see activationSteps). */
interface NetworkStep {
  network: string;
  operation: string;
  label: string;
  params?: Record<string, string>;
}
const onLine = (network: string, operation: string, label: string): NetworkStep => ({
  network,
  operation,
  label,
  params: LINE_PARAMS,
});

function simple(
  code: string,
  name: string,
  requestKind: string,
  description: string,
  steps: ([string, Node] | NetworkStep)[],
): ScenarioDef {
  const nodes: Record<string, Node> = {};
  const names = steps.map((s) => (Array.isArray(s) ? s[0] : s.network));
  const transitions: T[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const next = names[i + 1] ?? 'reply_completed';
    if (Array.isArray(step)) {
      const [n, node] = step;
      nodes[n] = node;
      transitions.push({ from: n, on: node.outcomes?.[0] ?? 'done', to: [next] });
    } else {
      const a = activationSteps(step.network, step.operation, [next], {
        label: step.label,
        ...(step.params ? { params: step.params } : {}),
      });
      Object.assign(nodes, a.nodes);
      transitions.push(...a.transitions);
    }
  }
  return {
    code,
    name,
    requestKind,
    description,
    start: [names[0]!],
    nodes: { ...nodes, ...endOkNodes },
    transitions: [...transitions, ...endOkTransitions],
  };
}

export const DEFAULT_SCENARIOS: ScenarioDef[] = [
  newFixed('new_fixed_wired', 'New fixed wired line', false),
  newFixed('new_fixed_radio', 'New fixed radio (WLL) line', true),
  newMobile('new_mobile_postpaid', 'New postpaid mobile line', false),
  newMobile('new_mobile_prepaid', 'New prepaid mobile line', true),
  (() => {
    const money = moneyPart(['switch_option']);
    const option = activationSteps('switch_option', 'line.options', ['add_option'], {
      label: 'Option set on the line (switch services or barring class)',
      params: OPTION_PARAMS,
    });
    return {
      code: 'add_option',
      name: 'Add an option',
      requestKind: 'add_option',
      description:
        'Add an option to a line: blacklist check, quote (deposit for e.g. international access), invoice, payment, the activation automaton sets it on the switch (by hand where the element cannot), set-up, reply.',
      start: ['check_customer'],
      nodes: {
        check_customer: checkCustomer,
        ...money.nodes,
        ...option.nodes,
        add_option: auto('Option subscription active', 'request.add_option', ['done']),
        ...endNodes,
      },
      transitions: [
        { from: 'check_customer', on: 'clear', to: ['quote'] },
        { from: 'check_customer', on: 'blacklisted', to: ['reply_rejected'] },
        ...money.transitions,
        ...option.transitions,
        { from: 'add_option', on: 'done', to: ['reply_completed'] },
        ...endTransitions,
      ],
    } satisfies ScenarioDef;
  })(),
  simple(
    'remove_option',
    'Remove an option',
    'remove_option',
    'Remove an option: the activation automaton takes it off the line (by hand where the element cannot), option subscription terminated, reply.',
    [
      {
        network: 'switch_option',
        operation: 'line.options',
        label: 'Option taken off the line',
        params: OPTION_PARAMS,
      },
      ['remove_option', auto('Option subscription terminated', 'request.remove_option', ['done'])],
    ],
  ),
  (() => {
    const apply = activationSteps('apply', 'line.temporary_access', ['until_end'], {
      label: 'Temporary access change applied on the line',
      params: {
        ...LINE_PARAMS,
        barring: 'network.access.barring',
        cs: 'network.access.cs',
        ps: 'network.access.ps',
        until: 'network.access.until',
        manual: 'network.access.manual',
      },
    });
    return {
      code: 'temporary_access_change',
      name: 'Temporary change of access rights',
      requestKind: 'access_change',
      description:
        'A temporary change of the line’s access rights (e.g. international barring) applied by the activation automaton, which reverts it by itself at its end date; by switching where the element cannot.',
      start: ['apply'],
      nodes: {
        ...apply.nodes,
        until_end: { kind: 'timer', label: 'Until the end of the change', atPath: 'accessChange.until' },
        switching_revert: switchingApply('Revert the access change'),
        ...endOkNodes,
      },
      transitions: [
        ...apply.transitions,
        {
          from: 'until_end',
          on: 'elapsed',
          when: { path: 'activation.apply.status', op: 'eq', value: 'done' },
          to: ['reply_completed'],
          why: 'the automaton reverts the change on the element by itself at its end date',
        },
        {
          from: 'until_end',
          on: 'elapsed',
          to: ['switching_revert'],
          why: 'the change was made by hand: switching reverts it at its end date',
        },
        { from: 'switching_revert', on: 'done', to: ['reply_completed'] },
        ...endOkTransitions,
      ],
    } satisfies ScenarioDef;
  })(),
  simple(
    'sim_replacement',
    'SIM replacement',
    'sim_replacement',
    'SIM replacement: a new card from stock, swapped in the HLR by the activation automaton, swapped on the line, reply.',
    [
      [
        'sim_assignment',
        human('New SIM card from stock', 'stock', ['assigned'], {
          handler: 'request.reserve_sim',
          fields: [{ name: 'simIccid', type: 'string', required: true }],
          slaHours: 4,
        }),
      ],
      {
        network: 'hlr_swap',
        operation: 'mobile.sim_swap',
        label: 'New SIM card takes over the number in the HLR',
        params: { oldIccid: 'network.sim', newIccid: 'newSim', msisdn: 'network.dn' },
      },
      ['swap_sim', auto('SIM swapped on the line', 'request.swap_sim', ['done'])],
    ],
  ),
  {
    code: 'transfer_ownership',
    name: 'Transfer of ownership',
    requestKind: 'transfer_ownership',
    description:
      'Transfer of a line to another customer: blacklist check of the new holder, agreement, final account of the old holder, transfer, reply.',
    start: ['check_customer'],
    nodes: {
      check_customer: {
        ...checkCustomer,
        label: 'Blacklist check of the new holder',
        handler: 'request.check_new_customer',
      },
      transfer_agreement: human(
        'Transfer agreement signed by both customers',
        'commercial',
        ['signed', 'refused'],
        {
          fields: [{ name: 'reason', type: 'string', required: true, forOutcomes: ['refused'] }],
        },
      ),
      final_account: human('Final account of the old holder', 'finance', ['settled']),
      transfer: auto('Line transferred to the new holder', 'request.transfer', ['done']),
      ...endNodes,
    },
    transitions: [
      { from: 'check_customer', on: 'clear', to: ['transfer_agreement'] },
      {
        from: 'check_customer',
        on: 'blacklisted',
        to: ['reply_rejected'],
        why: 'the new holder is refused service',
      },
      { from: 'transfer_agreement', on: 'signed', to: ['final_account'] },
      { from: 'transfer_agreement', on: 'refused', to: ['reply_rejected'] },
      { from: 'final_account', on: 'settled', to: ['transfer'] },
      { from: 'transfer', on: 'done', to: ['reply_completed'] },
      ...endTransitions,
    ],
  },
  {
    code: 'relocation',
    name: 'Relocation',
    requestKind: 'relocation',
    description:
      'Moving a fixed line to a new address: automatic study at the new address (chain reserved, or hold until capacity), work orders, field works, the line keeps its number on its new chain, reply.',
    start: ['study'],
    nodes: {
      // The inventory reserves the new chain (port, MDF positions, pairs — or the base station)
      // without a number: the line keeps its own. Not feasible: held like a new line.
      study: auto(
        'Automatic study at the new address: line port, MDF positions and pairs (or base station) reserved',
        'request.relocation_study',
        feasibility,
        { fallbackActor: 'network_studies', needs: ['installAddress'] },
      ),
      wait_capacity: holdForCapacity,
      work_orders: auto('Work orders', 'request.work_orders', ['issued'], { needs: ['mdf', 'field'] }),
      field_works: human('Move the line and completion report', 'field', ['done'], {
        handler: 'request.completion_report',
        fields: [{ name: 'report', type: 'string', required: true }],
        assignment: { strategy: 'zone', zonePath: 'zone' },
      }),
      ...switchMove.nodes,
      relocate: auto('Line moved onto its new chain, same number', 'request.relocate_line', ['done']),
      ...endNodes,
    },
    transitions: [
      {
        from: 'study',
        on: 'feasible',
        to: ['work_orders'],
        why: 'the inventory reserved the chain at the new address',
      },
      {
        from: 'study',
        on: 'not_feasible',
        to: ['wait_capacity'],
        why: 'not feasible now: the request waits for capacity in the inventory’s pending requests',
      },
      {
        from: 'wait_capacity',
        on: 'resumed',
        to: ['study'],
        why: 'the inventory found capacity and reserved it for the request',
      },
      { from: 'wait_capacity', on: 'recheck', to: ['study'], why: 'periodic recheck of a pending request' },
      { from: 'wait_capacity', on: 'expired', to: ['reply_rejected'], why: 'no capacity within 90 days' },
      { from: 'work_orders', on: 'issued', to: ['field_works'] },
      { from: 'field_works', on: 'done', to: ['relocate'] },
      { from: 'relocate', on: 'done', to: ['switch_move'] },
      ...switchMove.transitions,
      ...endTransitions,
    ],
  },
  simple(
    'suspension',
    'Suspension at the customer’s demand',
    'suspension',
    'Suspension asked by the customer: the activation automaton bars the line (switch) or cuts CS and PS (HLR), subscription suspended, reply.',
    [
      onLine('network_suspend', 'line.suspend', 'Line suspended on the network element'),
      ['suspend', auto('Subscription suspended', 'request.suspend', ['done'])],
    ],
  ),
  simple(
    'restoration',
    'Restoration at the customer’s demand',
    'restoration',
    'Restoration of a suspended line: the activation automaton lifts the barring (switch) or gives CS and PS back (HLR), subscription active again, reply.',
    [
      onLine('network_restore', 'line.restore', 'Line restored on the network element'),
      ['restore', auto('Subscription active again', 'request.restore', ['done'])],
    ],
  ),
  simple(
    'termination',
    'Termination',
    'termination',
    'Termination: final account, the activation automaton removes the line from the switch or the subscriber from the HLR, subscription terminated with its options, deposits refunded, reply.',
    [
      ['final_account', human('Final account', 'finance', ['settled'], { slaHours: 72 })],
      onLine('network_deactivate', 'line.deactivate', 'Line removed from the network element'),
      ['terminate', auto('Subscription terminated, deposits refunded', 'request.terminate', ['done'])],
    ],
  ),
];

/** The scenario a request of this kind runs by default. */
export function scenarioFor(kind: string, productKind?: string): string {
  if (kind === 'new_line') {
    switch (productKind ?? '') {
      case 'fixed_wired':
        return 'new_fixed_wired';
      case 'fixed_radio':
        return 'new_fixed_radio';
      case 'mobile_postpaid':
        return 'new_mobile_postpaid';
      case 'mobile_prepaid':
        return 'new_mobile_prepaid';
      default:
        return 'new_fixed_wired';
    }
  }
  const byKind: Record<string, string> = {
    access_change: 'temporary_access_change',
  };
  return byKind[kind] ?? kind;
}
