import type { ScenarioDef } from '../workflow/index.js';

/**
 * The assistance scenarios shipped with GPTo: ordinary scenario documents operators may export,
 * change and import again. Handlers named here are registered by `assistance.handlers.ts`.
 */

type Node = ScenarioDef['nodes'][string];

const auto = (label: string, handler: string, outcomes: string[]): Node => ({
  kind: 'automatic',
  label,
  actor: 'workflow_automaton',
  handler,
  outcomes,
  maxAttempts: 3,
  backoffSeconds: 30,
  fallbackActor: 'supervision',
});

const causeCode = {
  name: 'causeCode',
  type: 'string' as const,
  required: true,
  forOutcomes: ['repaired'],
  label: 'Cause code (e.g. PAIR_CUT, MDF_JUMPER, SWITCH_CARD, CPE, NO_FAULT)',
};
const report = { name: 'report', type: 'string' as const, label: 'Completion report' };

/** Fixed lines: first diagnosis, then test at the switch, at the MDF, in the field with work orders. */
export const FAULT_FIXED: ScenarioDef = {
  code: 'fault_fixed',
  name: 'Dérangement ligne fixe',
  description:
    'Trouble ticket on a fixed line: automatic first diagnosis (line status, plant incidents), tests at the switch and at the MDF, field repair with a work order, completion report with a cause code, customer notification.',
  start: ['triage'],
  nodes: {
    triage: auto('First diagnosis (line status, plant incidents)', 'fault.triage', [
      'incident',
      'switch',
      'mdf',
      'field',
    ]),
    wait_incident: {
      kind: 'hold',
      label: 'Waiting for the repair of the plant incident',
      cause: 'a plant incident covers the line',
      resumeOn: { event: 'assistance.incident_repaired', match: { incidentId: 'incidentId' } },
    },
    test_switch: {
      kind: 'human',
      label: 'Test the line at the switch',
      actor: 'switching',
      handler: 'fault.test_report',
      outcomes: ['repaired', 'to_mdf', 'to_field'],
      fields: [causeCode, report],
      needs: ['line', 'diagnosis'],
      slaHours: 4,
    },
    wo_mdf: auto('Work order for the MDF', 'fault.issue_work_order', ['issued']),
    test_mdf: {
      kind: 'human',
      label: 'Test and repair at the MDF',
      actor: 'mdf',
      handler: 'fault.work_report',
      outcomes: ['repaired', 'to_field'],
      fields: [causeCode, report],
      needs: ['line', 'chain', 'workOrder'],
      slaHours: 8,
    },
    wo_field: auto('Work order for the field team', 'fault.issue_work_order', ['issued']),
    field_repair: {
      kind: 'human',
      label: 'Field repair',
      actor: 'field',
      handler: 'fault.work_report',
      outcomes: ['repaired', 'failed'],
      fields: [causeCode, report],
      needs: ['line', 'chain', 'address', 'workOrder'],
      slaHours: 24,
      assignment: { strategy: 'zone', zonePath: 'zone' },
    },
    review: {
      kind: 'human',
      label: 'Field repair failed: decide',
      actor: 'supervision',
      outcomes: ['retry_field', 'unresolved'],
      fields: [{ name: 'reason', type: 'string', required: true, forOutcomes: ['unresolved'] }],
    },
    notify: auto('Tell the customer', 'fault.notify', ['sent']),
    done: { kind: 'end', label: 'Fault resolved', result: 'completed' },
  },
  transitions: [
    { from: 'triage', on: 'incident', to: ['wait_incident'], why: 'a known plant incident explains it' },
    { from: 'triage', on: 'switch', to: ['test_switch'], why: 'start at the switch' },
    { from: 'triage', on: 'mdf', to: ['wo_mdf'], why: 'the switch sees the line: test the pair' },
    { from: 'triage', on: 'field', to: ['wo_field'], why: 'the fault is in the outside plant' },
    { from: 'wait_incident', on: 'resumed', to: ['notify'], why: 'the incident is repaired' },
    { from: 'test_switch', on: 'repaired', to: ['notify'] },
    { from: 'test_switch', on: 'to_mdf', to: ['wo_mdf'], why: 'the line is sound at the switch' },
    { from: 'test_switch', on: 'to_field', to: ['wo_field'] },
    { from: 'wo_mdf', on: 'issued', to: ['test_mdf'] },
    { from: 'test_mdf', on: 'repaired', to: ['notify'] },
    { from: 'test_mdf', on: 'to_field', to: ['wo_field'], why: 'the pair is faulty beyond the MDF' },
    { from: 'wo_field', on: 'issued', to: ['field_repair'] },
    { from: 'field_repair', on: 'repaired', to: ['notify'] },
    { from: 'field_repair', on: 'failed', to: ['review'] },
    { from: 'review', on: 'retry_field', to: ['wo_field'] },
    { from: 'review', on: 'unresolved', to: ['notify'] },
    { from: 'notify', on: 'sent', to: ['done'] },
  ],
};

/** Radio and mobile lines: the network checks the line (switch/HLR/base station), then notify. */
export const FAULT_NETWORK: ScenarioDef = {
  code: 'fault_network',
  name: 'Dérangement ligne radio ou mobile',
  description: 'Trouble ticket on a radio (WLL) or mobile line: network check, repair, notification.',
  start: ['triage'],
  nodes: {
    triage: auto('First diagnosis (line status, plant incidents)', 'fault.triage', [
      'incident',
      'switch',
      'mdf',
      'field',
    ]),
    wait_incident: {
      kind: 'hold',
      label: 'Waiting for the repair of the incident',
      cause: 'an incident covers the line',
      resumeOn: { event: 'assistance.incident_repaired', match: { incidentId: 'incidentId' } },
    },
    test_switch: {
      kind: 'human',
      label: 'Check the line on the network (switch, HLR, base station)',
      actor: 'switching',
      handler: 'fault.test_report',
      outcomes: ['repaired', 'to_field'],
      fields: [causeCode, report],
      needs: ['line', 'diagnosis'],
      slaHours: 4,
    },
    wo_field: auto('Work order for the field team', 'fault.issue_work_order', ['issued']),
    field_repair: {
      kind: 'human',
      label: 'Field repair (radio terminal, base station)',
      actor: 'field',
      handler: 'fault.work_report',
      outcomes: ['repaired', 'failed'],
      fields: [causeCode, report],
      needs: ['line', 'address', 'workOrder'],
      slaHours: 24,
      assignment: { strategy: 'zone', zonePath: 'zone' },
    },
    notify: auto('Tell the customer', 'fault.notify', ['sent']),
    done: { kind: 'end', label: 'Fault resolved', result: 'completed' },
  },
  transitions: [
    { from: 'triage', on: 'incident', to: ['wait_incident'] },
    { from: 'triage', on: '*', to: ['test_switch'], why: 'a line without copper is checked on the network' },
    { from: 'wait_incident', on: 'resumed', to: ['notify'] },
    { from: 'test_switch', on: 'repaired', to: ['notify'] },
    { from: 'test_switch', on: 'to_field', to: ['wo_field'] },
    { from: 'wo_field', on: 'issued', to: ['field_repair'] },
    { from: 'field_repair', on: '*', to: ['notify'] },
    { from: 'notify', on: 'sent', to: ['done'] },
  ],
};

/** Complaints: an investigation by the service concerned, a decision, the reply to the customer. */
export const COMPLAINT: ScenarioDef = {
  code: 'complaint',
  name: 'Réclamation',
  description:
    'Customer complaint (billing or service dispute): investigation by the service concerned, decision (an accepted complaint gives a rebate), written reply.',
  start: ['investigate'],
  nodes: {
    investigate: {
      kind: 'human',
      label: 'Investigate the complaint',
      actorRules: [
        {
          when: { path: 'category', op: 'eq', value: 'billing' },
          actor: 'finance',
          why: 'a billing dispute',
        },
        {
          when: { path: 'category', op: 'eq', value: 'quality' },
          actor: 'switching',
          why: 'quality of service',
        },
        { actor: 'customer_care', why: 'every other complaint' },
      ],
      handler: 'complaint.investigation',
      outcomes: ['done'],
      fields: [
        { name: 'findings', type: 'string', required: true, label: 'Findings' },
        { name: 'recommendedAmount', type: 'integer', label: 'Recommended rebate (XOF)' },
      ],
      needs: ['category', 'subject', 'invoiceNumber', 'disputedAmount'],
      slaHours: 72,
    },
    decide: {
      kind: 'human',
      label: 'Decide on the complaint',
      actor: 'supervision',
      handler: 'complaint.decide',
      outcomes: ['accepted', 'rejected'],
      fields: [
        { name: 'reason', type: 'string', required: true, label: 'Reason given to the customer' },
        { name: 'amount', type: 'integer', label: 'Rebate amount (XOF); or outageMinutes' },
        { name: 'outageMinutes', type: 'integer', label: 'Outage to compensate (minutes)' },
      ],
      needs: ['investigate', 'disputedAmount'],
      slaHours: 48,
    },
    reply: auto('Reply to the customer', 'complaint.reply', ['sent']),
    done: { kind: 'end', label: 'Complaint answered', result: 'completed' },
  },
  transitions: [
    { from: 'investigate', on: 'done', to: ['decide'] },
    { from: 'decide', on: '*', to: ['reply'] },
    { from: 'reply', on: 'sent', to: ['done'] },
  ],
};

export const ASSISTANCE_SCENARIOS: ScenarioDef[] = [FAULT_FIXED, FAULT_NETWORK, COMPLAINT];

export function faultScenarioFor(productKind: string): string {
  return productKind === 'fixed_wired' ? FAULT_FIXED.code : FAULT_NETWORK.code;
}
