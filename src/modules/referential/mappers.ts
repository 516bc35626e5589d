import type { Address } from './referential.schemas.js';

const iso = (d: Date | string | null | undefined): string | null =>
  d === null || d === undefined ? null : d instanceof Date ? d.toISOString() : new Date(d).toISOString();

export interface Payer {
  id: number;
  customerId: number;
  code: string;
  name: string;
  billingAddress: Address;
  paymentMethod: string;
  bankAccount: string | null;
  mobileMoneyNumber: string | null;
  isDefault: boolean;
  status: string;
  createdAt: string | null;
}

export interface SubscriptionUser {
  id: number;
  customerId: number;
  title: string | null;
  lastName: string;
  firstNames: string | null;
  phone: string | null;
  email: string | null;
  idDocumentNumber: string | null;
}

export interface Subscription {
  id: number;
  code: string;
  customerId: number;
  payerId: number;
  userId: number | null;
  parentId: number | null;
  productVersionId: number;
  product?: { code: string; name: string; kind: string; version: number };
  status: string;
  directoryNumber: string | null;
  simIccid: string | null;
  equipmentNumber: string | null;
  plantRef: unknown;
  createdAt: string | null;
  activatedAt: string | null;
  terminatedAt: string | null;
}

// Rows come either from Kysely (Date objects, numbers) or from to_jsonb() (ISO strings): accept both.
type R = Record<string, unknown>;

export function toPayer(r: R): Payer {
  return {
    id: Number(r.id),
    customerId: Number(r.customer_id),
    code: r.code as string,
    name: r.name as string,
    billingAddress: (typeof r.billing_address === 'string'
      ? JSON.parse(r.billing_address)
      : r.billing_address) as Address,
    paymentMethod: r.payment_method as string,
    bankAccount: (r.bank_account as string | null) ?? null,
    mobileMoneyNumber: (r.mobile_money_number as string | null) ?? null,
    isDefault: Boolean(r.is_default),
    status: r.status as string,
    createdAt: iso(r.created_at as string),
  };
}

export function toUser(r: R): SubscriptionUser {
  return {
    id: Number(r.id),
    customerId: Number(r.customer_id),
    title: (r.title as string | null) ?? null,
    lastName: r.last_name as string,
    firstNames: (r.first_names as string | null) ?? null,
    phone: (r.phone as string | null) ?? null,
    email: (r.email as string | null) ?? null,
    idDocumentNumber: (r.id_document_number as string | null) ?? null,
  };
}

export function toSubscription(r: R): Subscription {
  return {
    id: Number(r.id),
    code: r.code as string,
    customerId: Number(r.customer_id),
    payerId: Number(r.payer_id),
    userId: r.user_id === null || r.user_id === undefined ? null : Number(r.user_id),
    parentId: r.parent_id === null || r.parent_id === undefined ? null : Number(r.parent_id),
    productVersionId: Number(r.product_version_id),
    ...(r.product_code
      ? {
          product: {
            code: r.product_code as string,
            name: r.product_name as string,
            kind: r.product_kind as string,
            version: Number(r.product_version),
          },
        }
      : {}),
    status: r.status as string,
    directoryNumber: (r.directory_number as string | null) ?? null,
    simIccid: (r.sim_iccid as string | null) ?? null,
    equipmentNumber: (r.equipment_number as string | null) ?? null,
    plantRef: r.plant_ref ?? null,
    createdAt: iso(r.created_at as string),
    activatedAt: iso(r.activated_at as string | null),
    terminatedAt: iso(r.terminated_at as string | null),
  };
}
