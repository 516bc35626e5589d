import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './db.js';
import { createUser } from './auth/auth.service.js';
import { SYSTEM } from './events.js';

/** The operator's services (seed: "acteurs") and the automata that act as services. */
export const BUILTIN_ACTORS: { code: string; name: string; kind: 'human' | 'automatic' }[] = [
  { code: 'commercial', name: 'Commercial service', kind: 'human' },
  { code: 'finance', name: 'Finance service', kind: 'human' },
  { code: 'switching', name: 'Switching', kind: 'human' },
  { code: 'mdf', name: 'Main distribution frame', kind: 'human' },
  { code: 'network_studies', name: 'Network studies', kind: 'human' },
  { code: 'stock', name: 'Stock', kind: 'human' },
  { code: 'field', name: 'Field teams', kind: 'human' },
  { code: 'directory_enquiries', name: 'Directory enquiries', kind: 'human' },
  { code: 'customer_care', name: 'Customer care', kind: 'human' },
  { code: 'supervision', name: 'Supervisors', kind: 'human' },
  { code: 'activation_automaton', name: 'Activation automaton', kind: 'automatic' },
  { code: 'blacklist_check', name: 'Blacklist check', kind: 'automatic' },
  {
    code: 'workflow_automaton',
    name: 'Workflow automaton (quotes, invoices, letters, line set-up)',
    kind: 'automatic',
  },
];

export const BUILTIN_ROLES: { code: string; name: string; rights: string[] }[] = [
  { code: 'admin', name: 'Administrator', rights: ['*'] },
  {
    code: 'front_office',
    name: 'Front-office agent',
    rights: [
      // The counter prints duplicates of invoices and reads the account to the customer.
      'billing:read',
      'request:read',
      'request:write',
      'task:work',
      'customer:read',
      'customer:write',
      'catalogue:read',
      'blacklist:read',
      'line:read',
      'fault:read',
      'fault:write',
      'complaint:write',
      'rebate:write',
      'inventory:read',
      'inventory:study',
      'activation:read',
    ],
  },
  {
    code: 'back_office',
    name: 'Back-office agent',
    rights: [
      'request:read',
      'task:work',
      'task:retry',
      'billing:read',
      'payment:write',
      'directory:search',
      'directory:technical',
      'customer:read',
      'catalogue:read',
      'blacklist:read',
      'line:read',
      'fault:read',
      'workorder:write',
      'incident:write',
      'inventory:read',
      'inventory:write',
      'inventory:study',
      'sim:write',
      'activation:read',
      'activation:write',
    ],
  },
  {
    code: 'supervisor',
    name: 'Supervisor',
    rights: [
      'request:read',
      'request:write',
      'task:work',
      'task:supervise',
      'task:retry',
      'billing:read',
      'billing:run',
      'payment:write',
      'collection:run',
      'ledger:close',
      'directory:search',
      'directory:technical',
      'directory:edition',
      'customer:read',
      'customer:write',
      'catalogue:read',
      'blacklist:read',
      'blacklist:write',
      'event:read',
      'line:read',
      'fault:read',
      'fault:write',
      'complaint:write',
      'rebate:write',
      'rebate:approve_small',
      'rebate:approve_large',
      'workorder:write',
      'incident:write',
      'inventory:read',
      'sim:secret',
      'activation:read',
      'activation:write',
    ],
  },
  {
    code: 'catalogue_manager',
    name: 'Catalogue manager',
    rights: ['catalogue:read', 'catalogue:write', 'category:write'],
  },
  {
    code: 'care_leader',
    name: 'Customer-care team leader',
    rights: [
      'request:read',
      'task:work',
      'customer:read',
      'catalogue:read',
      'billing:read',
      'line:read',
      'fault:read',
      'fault:write',
      'complaint:write',
      'rebate:write',
      'rebate:approve_small',
    ],
  },
  { code: 'directory_operator', name: 'Directory-enquiry operator', rights: ['directory:search'] },
  {
    code: 'auditor',
    name: 'Auditor',
    rights: [
      'request:read',
      'billing:read',
      'customer:read',
      'catalogue:read',
      'blacklist:read',
      'event:read',
      'inventory:read',
      'activation:read',
    ],
  },
];

/**
 * Makes sure the built-in actors and roles exist (never overwriting an operator's edits) and that
 * there is an `admin` account. Returns the admin password when this call generated it, so the
 * caller can print it once.
 */
export async function bootstrap(
  db: Db,
  adminPassword: string | undefined,
): Promise<{ generatedAdminPassword?: string; createdAdmin: boolean }> {
  await db
    .insertInto('actor')
    .values(BUILTIN_ACTORS)
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
  await db
    .insertInto('role')
    .values(BUILTIN_ROLES)
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
  const admin = await db
    .selectFrom('app_user')
    .select('id')
    .where('username', '=', 'admin')
    .executeTakeFirst();
  if (admin) return { createdAdmin: false };
  const password = adminPassword ?? randomBytes(12).toString('base64url');
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(7470002)`.execute(trx);
    const again = await trx
      .selectFrom('app_user')
      .select('id')
      .where('username', '=', 'admin')
      .executeTakeFirst();
    if (again) return;
    await createUser(
      trx,
      { username: 'admin', displayName: 'Administrator', password, roles: ['admin'], actors: [] },
      SYSTEM,
    );
  });
  return { createdAdmin: true, ...(adminPassword ? {} : { generatedAdminPassword: password }) };
}
