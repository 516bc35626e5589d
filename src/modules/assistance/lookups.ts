import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import type { LineParties } from '../referential/index.js';

/**
 * A line by its directory number, as the front office asks for it. INTERIM: the referential has
 * no "subscription by directory number" call yet (asked for in the hand-over); this read-only query
 * uses its live-number index and is the only place assistance reads referential tables.
 */
export interface LineSubscription {
  subscriptionId: number;
  subscriptionCode: string;
  customerId: number;
  customerCode: string;
  customerName: string;
  payerId: number;
  status: string;
  directoryNumber: string;
  simIccid: string | null;
  equipmentNumber: string | null;
  productCode: string;
  productName: string;
  productKind: string;
  /** The recurring (monthly) price of the subscription's product version: outage rebates use it. */
  recurringPrice: number;
  locality: string | null;
  contactPhone: string | null;
}

/** The subscription of each number (the live one first): also embedded in the line consultation's read. */
export const byNumber = (numbers: string[]) => sql<LineSubscription>`
  SELECT DISTINCT ON (s.directory_number)
    s.id AS "subscriptionId", s.code AS "subscriptionCode", c.id AS "customerId", c.code AS "customerCode",
    coalesce(nullif(concat_ws(' ', c.title, c.first_names, c.last_name), ''), c.company_name, c.code) AS "customerName",
    s.payer_id AS "payerId", s.status, s.directory_number AS "directoryNumber", s.sim_iccid AS "simIccid",
    s.equipment_number AS "equipmentNumber", p.code AS "productCode", p.name AS "productName",
    p.kind AS "productKind", pv.recurring_price::bigint AS "recurringPrice",
    c.address->>'locality' AS locality, c.phones[1] AS "contactPhone"
  FROM subscription s
  JOIN customer c ON c.id = s.customer_id
  JOIN product_version pv ON pv.id = s.product_version_id
  JOIN product p ON p.id = pv.product_id
  WHERE s.directory_number = ANY(${numbers}::text[])
  ORDER BY s.directory_number, (s.status <> 'terminated') DESC, s.id DESC`;

export async function lineSubscription(db: Executor, number: string): Promise<LineSubscription | undefined> {
  return (await byNumber([number]).execute(db)).rows[0];
}

export async function lineSubscriptions(db: Executor, numbers: string[]): Promise<LineSubscription[]> {
  if (numbers.length === 0) return [];
  return (await byNumber(numbers).execute(db)).rows;
}

/** The same line from the referential's own read (`referential.subscriptions.byNumber`). */
export function fromParties(l: LineParties): LineSubscription {
  const s = l.subscription;
  return {
    subscriptionId: s.id,
    subscriptionCode: s.code,
    customerId: l.customer.id,
    customerCode: l.customer.code,
    customerName: l.customer.displayName || l.customer.code,
    payerId: l.payer.id,
    status: s.status,
    directoryNumber: s.directoryNumber ?? '',
    simIccid: s.simIccid,
    equipmentNumber: s.equipmentNumber,
    productCode: s.product?.code ?? '',
    productName: s.product?.name ?? '',
    productKind: s.product?.kind ?? '',
    recurringPrice: Number(l.recurringPrice),
    locality: l.customer.address?.locality ?? null,
    contactPhone: l.customer.phones[0] ?? null,
  };
}
