import { DomainError } from '../../platform/errors.js';
import type { Address } from '../referential/referential.schemas.js';
import { tmfInvalid } from './framework.js';

/** Mappings between GPTo's shapes and the TMF common data types, shared by every facade. */

export interface ContactMedium {
  mediumType: string;
  preferred?: boolean;
  characteristic: Record<string, unknown>;
}

export interface Characteristic {
  name: string;
  value: unknown;
  valueType?: string;
  '@type'?: string;
}

export const CATEGORY_KINDS = ['commercial1', 'commercial2', 'collection', 'accounting', 'tax'] as const;
export type CategoryKind = (typeof CATEGORY_KINDS)[number];

/** GPTo address + phones + e-mail → TMF contactMedium (postalAddress, phone, email). */
export function contactMediumOf(
  address: Address | null,
  phones: readonly string[],
  email: string | null,
): ContactMedium[] {
  const out: ContactMedium[] = [];
  if (address?.street) {
    out.push({
      mediumType: 'postalAddress',
      preferred: true,
      characteristic: {
        contactType: 'postalAddress',
        street1: [address.number, address.street].filter(Boolean).join(' '),
        ...(address.district ? { street2: address.district } : {}),
        city: address.locality,
        ...(address.postalCode ? { postCode: address.postalCode } : {}),
        country: 'SN',
      },
    });
  }
  phones.forEach((phoneNumber, i) =>
    out.push({
      mediumType: 'phone',
      preferred: i === 0,
      characteristic: { contactType: 'phone', phoneNumber },
    }),
  );
  if (email)
    out.push({
      mediumType: 'email',
      preferred: true,
      characteristic: { contactType: 'email', emailAddress: email },
    });
  return out;
}

export interface ContactInput {
  address?: Address;
  phones?: string[];
  email?: string | null;
}

function text(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw tmfInvalid(field, 'must be a string');
  return v;
}

/** TMF contactMedium → GPTo address / phones / e-mail; names the element at fault. */
export function contactInputOf(raw: unknown): ContactInput {
  if (raw === undefined) return {};
  if (!Array.isArray(raw)) throw tmfInvalid('contactMedium', 'must be an array');
  const out: ContactInput = {};
  raw.forEach((m: unknown, i) => {
    const field = `contactMedium[${i}]`;
    if (!m || typeof m !== 'object') throw tmfInvalid(field, 'must be an object');
    const medium = m as Record<string, unknown>;
    const type = text(medium.mediumType, `${field}.mediumType`)?.toLowerCase();
    const c = (medium.characteristic ?? {}) as Record<string, unknown>;
    if (typeof c !== 'object') throw tmfInvalid(`${field}.characteristic`, 'must be an object');
    if (type === 'postaladdress' || type === 'address') {
      const street = text(c.street1, `${field}.characteristic.street1`);
      const city = text(c.city, `${field}.characteristic.city`);
      if (!street) throw tmfInvalid(`${field}.characteristic.street1`, 'is required for a postal address');
      if (!city) throw tmfInvalid(`${field}.characteristic.city`, 'is required for a postal address');
      out.address = {
        street,
        locality: city,
        district: text(c.street2, `${field}.characteristic.street2`) ?? null,
        postalCode: text(c.postCode, `${field}.characteristic.postCode`) ?? null,
      };
    } else if (type === 'phone' || type === 'mobile' || type === 'telephone') {
      const phone = text(c.phoneNumber, `${field}.characteristic.phoneNumber`);
      if (!phone) throw tmfInvalid(`${field}.characteristic.phoneNumber`, 'is required for a phone');
      (out.phones ??= []).push(phone);
    } else if (type === 'email') {
      const email = text(c.emailAddress, `${field}.characteristic.emailAddress`);
      if (!email) throw tmfInvalid(`${field}.characteristic.emailAddress`, 'is required for an e-mail');
      out.email = email;
    } else {
      throw tmfInvalid(`${field}.mediumType`, 'must be postalAddress, phone or email');
    }
  });
  return out;
}

/** GPTo's five category codes as TMF characteristics `category.<kind>`. */
export function categoryCharacteristics(categories: Record<string, string>): Characteristic[] {
  return CATEGORY_KINDS.filter((k) => categories[k]).map((k) => ({
    name: `category.${k}`,
    value: categories[k],
    valueType: 'string',
  }));
}

/** `characteristic: [{name: 'category.tax', value: 'EXEMPT'}]` → `{ tax: 'EXEMPT' }`. */
export function categoriesOf(raw: unknown): Partial<Record<CategoryKind, string>> {
  if (raw === undefined) return {};
  if (!Array.isArray(raw)) throw tmfInvalid('characteristic', 'must be an array');
  const out: Partial<Record<CategoryKind, string>> = {};
  raw.forEach((c: unknown, i) => {
    const ch = c as Record<string, unknown> | null;
    if (!ch || typeof ch.name !== 'string') throw tmfInvalid(`characteristic[${i}].name`, 'is required');
    const m = /^category\.(\w+)$/.exec(ch.name);
    if (!m)
      throw tmfInvalid(
        `characteristic[${i}].name`,
        'must be category.<commercial1|commercial2|collection|accounting|tax>',
      );
    const kind = m[1] as CategoryKind;
    if (!CATEGORY_KINDS.includes(kind))
      throw tmfInvalid(`characteristic[${i}].name`, `unknown category kind "${kind}"`);
    if (typeof ch.value !== 'string')
      throw tmfInvalid(`characteristic[${i}].value`, 'must be a category code');
    out[kind] = ch.value;
  });
  return out;
}

export function requireAllCategories(
  cats: Partial<Record<CategoryKind, string>>,
): Record<CategoryKind, string> {
  for (const k of CATEGORY_KINDS) {
    if (!cats[k])
      throw new DomainError(
        'invalid',
        'tmf.invalid',
        `characteristic: category.${k} is required (GPTo files every customer in its five categories)`,
        `characteristic.category.${k}`,
      );
  }
  return cats as Record<CategoryKind, string>;
}

/** TMF dates are ISO 8601 date-times. */
export function isoOf(v: Date | string | null | undefined): string | undefined {
  if (v === null || v === undefined) return undefined;
  return (v instanceof Date ? v : new Date(v)).toISOString();
}
