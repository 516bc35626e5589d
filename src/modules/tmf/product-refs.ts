import { sql } from 'kysely';
import { tmfInvalid, type TmfContext } from './framework.js';

/**
 * References shared by the product facades (TMF620 catalogue, TMF622 ordering, TMF637 inventory):
 * a productOffering is a catalogue product (id = product code), its productSpecification the kind
 * of line it makes, a TMF637 product a subscription (id = subscription code).
 */

export const CATALOG_API = 'productCatalogManagement';
export const ORDERING_API = 'productOrderingManagement';
export const INVENTORY_API = 'productInventory';
export const RESOURCE_API = 'resourceInventoryManagement';
export const SERVICE_API = 'serviceInventory';
export const CUSTOMER_API = 'customerManagement';
export const ACCOUNT_API = 'accountManagement';

/** The product kinds of GPTo's catalogue, as TMF620 product specifications. */
export const SPECIFICATIONS: Record<string, { name: string; description: string }> = {
  fixed_wired: {
    name: 'Fixed wired line',
    description: 'A copper line from the exchange: directory number, equipment number (switch port), pairs',
  },
  fixed_radio: {
    name: 'Fixed radio line (WLL)',
    description: 'A fixed line served by a radio base station: directory number, base station',
  },
  mobile_postpaid: {
    name: 'Mobile line, postpaid',
    description: 'A cellular line: directory number (MSISDN) and SIM card (ICCID), billed monthly',
  },
  mobile_prepaid: {
    name: 'Mobile line, prepaid',
    description: 'A cellular line: directory number (MSISDN) and SIM card (ICCID), prepaid',
  },
  option: { name: 'Option', description: 'A service added to a line (call forwarding, barring…)' },
};

export function offeringRef(ctx: TmfContext, code: string, name?: string | null): Record<string, unknown> {
  return {
    id: code,
    href: ctx.href(CATALOG_API, 'productOffering', code),
    ...(name ? { name } : {}),
    '@referredType': 'ProductOffering',
  };
}

export function specificationRef(ctx: TmfContext, kind: string): Record<string, unknown> {
  return {
    id: kind,
    href: ctx.href(CATALOG_API, 'productSpecification', kind),
    name: SPECIFICATIONS[kind]?.name ?? kind,
    version: '1',
    '@referredType': 'ProductSpecification',
  };
}

export function productRef(ctx: TmfContext, code: string, name?: string | null): Record<string, unknown> {
  return {
    id: code,
    href: ctx.href(INVENTORY_API, 'product', code),
    ...(name ? { name } : {}),
    '@referredType': 'Product',
  };
}

export function customerPartyRef(ctx: TmfContext, code: string, name: string): Record<string, unknown> {
  return {
    id: code,
    href: ctx.href(CUSTOMER_API, 'customer', code),
    name,
    role: 'customer',
    '@referredType': 'Customer',
  };
}

export function billingAccountRef(ctx: TmfContext, code: string, name: string): Record<string, unknown> {
  return {
    id: code,
    href: ctx.href(ACCOUNT_API, 'billingAccount', code),
    name,
    '@referredType': 'BillingAccount',
  };
}

/** TMF Money: XOF has no minor unit, so GPTo's integer amounts are the value itself. */
export function money(amount: number, currency: string): { unit: string; value: number } {
  const decimals = currency === 'XOF' || currency === 'XAF' ? 0 : 2;
  return { unit: currency, value: amount / 10 ** decimals };
}

/** A customer's display name in SQL (alias `c`), as TMF629 shows it. */
export const CUSTOMER_NAME = sql<string>`CASE WHEN c.kind = 'organisation' THEN coalesce(c.company_name, '')
  ELSE concat_ws(' ', nullif(c.title, ''), nullif(c.first_names, ''), nullif(c.last_name, '')) END`;

/** Input readers of the order facades: each names the TMF attribute at fault. */
/** `orderDate` as written by a client that read it (millisecond ISO) → the instant in SQL. */
export function instantOf(v: string, field: string): Date {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw tmfInvalid(field, 'must be an ISO 8601 date-time');
  return d;
}

export function field(v: unknown, name: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw tmfInvalid(name, 'must be an object');
  return v as Record<string, unknown>;
}

export function text(v: unknown, name: string, max = 500): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max)
    throw tmfInvalid(name, `must be a string of at most ${max} characters`);
  return v;
}

export function date(v: unknown, name: string): Date | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw tmfInvalid(name, 'must be an ISO 8601 date-time');
  return instantOf(v, name);
}
