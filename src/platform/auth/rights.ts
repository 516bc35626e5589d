/**
 * Every right a route can require. Roles hold lists of these; the `*` right (administrators) holds all.
 * Later modules add theirs here so the catalogue stays in one place and the UI can list them.
 */
export const RIGHTS = {
  'customer:read': 'See customers, payers, users, subscriptions and their timelines',
  'customer:write': 'Create and change customers, payers, users and subscriptions',
  'catalogue:read': 'See the product catalogue and the categories',
  'catalogue:write': 'Change the product catalogue',
  'category:write': 'Manage the five customer category lists',
  'blacklist:read': 'See the blacklist and check a person against it',
  'blacklist:write': 'Add and lift blacklist entries',
  'event:read': 'Read the raw event journal (audit)',
  'user:admin': 'Manage users, roles and actors',
  'request:read': 'See service requests, their tasks, documents and why each task went to whom',
  'request:write': 'Take and cancel service requests for customers',
  'task:work': 'Work the baskets of one’s actors: claim, release and complete tasks',
  'task:supervise': 'See every basket, reassign tasks, work escalated and fallen-out tasks',
  'task:retry': 'Retry now an automatic step waiting for its retry or fallen out to one’s basket',
  'scenario:admin': 'Create, validate, import and export scenario versions',
  'billing:read': 'See payer accounts: invoices, payments, deposits, balance',
  'billing:run': 'Run billing cycles, post charges and meter readings, issue credit notes',
  'payment:write':
    'Record payments at the cash desk, import bank-transfer and mobile-money files, settle deposits',
  'collection:run': 'Set collection rules and exemptions, run the daily collection',
  'ledger:close': 'Close an accounting period after its centralisation into the general ledger',
  'inventory:read': 'See the plant, number pools, SIM stock, technical files and pending requests',
  'inventory:write': 'Build and change the plant and number pools; import plant CSV files',
  'inventory:study': 'Run automatic studies; reserve, assign, release and commit resources of a line',
  'sim:write': 'Import SIM batches, send cards to shops, suspend, restore, replace and destroy cards',
  'sim:secret': 'Disclose SIM PUK codes for PIN unblocking (each disclosure is logged)',
  'directory:search': 'Directory enquiries: search the published listings (never the red list)',
  'directory:technical': 'See the technical list in enquiries and editions',
  'directory:write':
    'Create, change, withdraw and import directory listings and headings; read red-list listings (logged)',
  'directory:edition': 'Produce directory editions (PDF) and the publishers export (CSV)',
  'line:read':
    'Line consultation: live status and meter index, technical file, history, consumption, payer account',
  'fault:read': 'See faults, plant incidents, complaints, rebates, work orders and their follow-up',
  'fault:write': 'Report, close and reopen faults; take meter readings',
  'complaint:write': 'Open customer complaints',
  'rebate:write': 'Ask for a rebate (credit on a payer account)',
  'rebate:approve_small': 'Approve or reject rebates up to the small-rebate limit',
  'rebate:approve_large': 'Approve or reject rebates of any amount',
  'workorder:write': 'Take work orders and file their completion reports',
  'incident:write': 'Declare plant incidents (cable, pair range, concentration point) and their repair',
  'activation:read':
    'See network elements and their health, activation orders, the command journal; query line status and meter index',
  'activation:write': 'Queue activation orders on lines and replay refused ones',
  'activation:admin': 'Configure network elements (address, pool, throttle)',
} as const;

export type Right = keyof typeof RIGHTS;
export const ALL_RIGHTS = Object.keys(RIGHTS) as Right[];

export function isRight(value: string): value is Right {
  return Object.prototype.hasOwnProperty.call(RIGHTS, value);
}

export function hasRight(rights: ReadonlySet<string>, right: Right): boolean {
  return rights.has('*') || rights.has(right);
}
