import type { Db } from '../platform/db.js';
import { createUser } from '../platform/auth/auth.service.js';
import { SYSTEM } from '../platform/events.js';

/** The demo operator's five category lists. */
export const DEMO_CATEGORIES = [
  { kind: 'commercial1', code: 'RES', label: 'Résidentiel' },
  { kind: 'commercial1', code: 'PRO', label: 'Professionnel' },
  { kind: 'commercial1', code: 'ENT', label: 'Entreprise' },
  { kind: 'commercial1', code: 'ADM', label: 'Administration' },
  { kind: 'commercial1', code: 'VIP', label: 'Client VIP' },
  { kind: 'commercial2', code: 'STD', label: 'Standard' },
  { kind: 'commercial2', code: 'SILVER', label: 'Fidélité argent' },
  { kind: 'commercial2', code: 'GOLD', label: 'Fidélité or' },
  { kind: 'commercial2', code: 'STAFF', label: 'Personnel de l’opérateur' },
  { kind: 'collection', code: 'STANDARD', label: 'Recouvrement standard' },
  { kind: 'collection', code: 'SENSIBLE', label: 'Client sensible (pas de coupure automatique)' },
  { kind: 'collection', code: 'ETAT', label: 'État et collectivités' },
  { kind: 'accounting', code: 'PART', label: 'Particuliers', collective_account: '411100' },
  { kind: 'accounting', code: 'ENTR', label: 'Entreprises', collective_account: '411200' },
  { kind: 'accounting', code: 'ADMIN', label: 'Administrations', collective_account: '411300' },
  {
    kind: 'tax',
    code: 'TVA18',
    label: 'Assujetti TVA 18 %',
    tax_exempt: false,
    taxes: [{ code: 'TVA', label: 'TVA', rateBasisPoints: 1800 }],
  },
  {
    kind: 'tax',
    code: 'TVA18-TST',
    label: 'TVA 18 % + taxe télécom 5 %',
    tax_exempt: false,
    taxes: [
      { code: 'TVA', label: 'TVA', rateBasisPoints: 1800 },
      { code: 'TST', label: 'Taxe sur les services de télécommunication', rateBasisPoints: 500 },
    ],
  },
  { kind: 'tax', code: 'EXO', label: 'Exonéré', tax_exempt: true, taxes: [] },
] as const;

/** Prices in XOF (no minor unit in practice: 1 XOF = 1 unit). */
export const DEMO_PRODUCTS = [
  {
    code: 'FIXE',
    name: 'Ligne fixe filaire',
    kind: 'fixed_wired',
    applies_to: [],
    one_off: 25000,
    recurring: 5000,
    usage: 60,
    deposits: { RES: 20000, PRO: 50000, ENT: 100000, ADM: 0, '*': 30000 },
  },
  {
    code: 'FIXE-RADIO',
    name: 'Ligne fixe radio (boucle locale radio)',
    kind: 'fixed_radio',
    applies_to: [],
    one_off: 35000,
    recurring: 6000,
    usage: 60,
    deposits: { RES: 25000, PRO: 50000, ENT: 100000, ADM: 0, '*': 30000 },
  },
  {
    code: 'MOBILE-POST',
    name: 'Mobile postpayé',
    kind: 'mobile_postpaid',
    applies_to: [],
    one_off: 5000,
    recurring: 10000,
    usage: 50,
    deposits: { RES: 15000, PRO: 30000, ENT: 50000, ADM: 0, '*': 20000 },
  },
  {
    code: 'MOBILE-PREP',
    name: 'Mobile prépayé',
    kind: 'mobile_prepaid',
    applies_to: [],
    one_off: 1000,
    recurring: 0,
    usage: 0,
    deposits: {},
  },
  {
    code: 'OPT-RENVOI',
    name: 'Renvoi d’appel',
    kind: 'option',
    applies_to: ['fixed_wired', 'fixed_radio', 'mobile_postpaid', 'mobile_prepaid'],
    one_off: 0,
    recurring: 500,
    usage: 0,
    deposits: {},
  },
  {
    code: 'OPT-INTER',
    name: 'Accès international',
    kind: 'option',
    applies_to: ['fixed_wired', 'fixed_radio', 'mobile_postpaid'],
    one_off: 0,
    recurring: 1000,
    usage: 0,
    deposits: { RES: 50000, '*': 75000 },
  },
  {
    code: 'OPT-RESTR',
    name: 'Restriction d’appels',
    kind: 'option',
    applies_to: ['fixed_wired', 'fixed_radio', 'mobile_postpaid'],
    one_off: 0,
    recurring: 0,
    usage: 0,
    deposits: {},
  },
  {
    code: 'OPT-HOTLINE',
    name: 'Ligne directe (hotline)',
    kind: 'option',
    applies_to: ['fixed_wired'],
    one_off: 5000,
    recurring: 1500,
    usage: 0,
    deposits: {},
  },
  {
    code: 'OPT-ANNUAIRE',
    name: 'Parution à l’annuaire',
    kind: 'option',
    applies_to: ['fixed_wired', 'fixed_radio', 'mobile_postpaid', 'mobile_prepaid'],
    one_off: 0,
    recurring: 0,
    usage: 0,
    deposits: {},
  },
] as const;

export const DEMO_PASSWORD_DEFAULT = 'demo-gpto-2026';

/** One demo agent per actor, named after their service, plus a supervisor. */
export const DEMO_USERS = [
  {
    username: 'commercial',
    displayName: 'Awa Ndiaye (commercial)',
    roles: ['front_office'],
    actors: ['commercial'],
    zone: 'DAKAR',
  },
  {
    username: 'finance',
    displayName: 'Moussa Diop (finance)',
    roles: ['back_office'],
    actors: ['finance'],
    zone: null,
  },
  {
    username: 'switching',
    displayName: 'Ibrahima Fall (commutation)',
    roles: ['back_office'],
    actors: ['switching'],
    zone: null,
  },
  {
    username: 'mdf',
    displayName: 'Ousmane Sarr (répartiteur)',
    roles: ['back_office'],
    actors: ['mdf'],
    zone: 'DAKAR',
  },
  {
    username: 'network',
    displayName: 'Khady Ba (études réseau)',
    roles: ['back_office'],
    actors: ['network_studies'],
    zone: null,
  },
  {
    username: 'stock',
    displayName: 'Cheikh Mbaye (stock)',
    roles: ['back_office'],
    actors: ['stock'],
    zone: null,
  },
  {
    username: 'field',
    displayName: 'Pape Gueye (équipe terrain)',
    roles: ['back_office'],
    actors: ['field'],
    zone: 'DAKAR',
  },
  {
    username: 'enquiries',
    displayName: 'Fatou Sow (renseignements)',
    roles: ['directory_operator'],
    actors: ['directory_enquiries'],
    zone: null,
  },
  {
    username: 'care',
    displayName: 'Aminata Kane (service client)',
    roles: ['front_office'],
    actors: ['customer_care'],
    zone: null,
  },
  {
    username: 'supervisor',
    displayName: 'Mamadou Diallo (superviseur)',
    roles: ['supervisor'],
    actors: ['supervision', 'commercial', 'customer_care'],
    zone: null,
  },
] as const;

/** Loads categories, catalogue and demo users; idempotent so a half-finished first start can be retried. */
export async function loadReferenceData(db: Db, demoPassword: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('category')
      .values(
        DEMO_CATEGORIES.map((c) => ({
          kind: c.kind,
          code: c.code,
          label: c.label,
          collective_account: 'collective_account' in c ? c.collective_account : null,
          tax_exempt: 'tax_exempt' in c ? c.tax_exempt : null,
          taxes: 'taxes' in c ? JSON.stringify(c.taxes) : null,
        })),
      )
      .onConflict((oc) => oc.columns(['kind', 'code']).doNothing())
      .execute();
    for (const p of DEMO_PRODUCTS) {
      const existing = await trx
        .selectFrom('product')
        .select('id')
        .where('code', '=', p.code)
        .executeTakeFirst();
      if (existing) continue;
      const { id } = await trx
        .insertInto('product')
        .values({ code: p.code, name: p.name, kind: p.kind, applies_to: [...p.applies_to] })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('product_version')
        .values({
          product_id: id,
          version: 1,
          valid_from: new Date('2020-01-01T00:00:00Z'),
          one_off_price: p.one_off,
          recurring_price: p.recurring,
          usage_unit_price: p.usage,
          currency: 'XOF',
          deposits: JSON.stringify(p.deposits),
        })
        .execute();
    }
    for (const u of DEMO_USERS) {
      const existing = await trx
        .selectFrom('app_user')
        .select('id')
        .where('username', '=', u.username)
        .executeTakeFirst();
      if (existing) continue;
      await createUser(
        trx,
        { ...u, roles: [...u.roles], actors: [...u.actors], password: demoPassword },
        SYSTEM,
      );
    }
  });
}
