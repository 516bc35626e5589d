import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../platform/http/nullable.js';

const Text = (max = 200) => Type.String({ minLength: 1, maxLength: max });
export const Code = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$' });
const Digits = Type.String({ pattern: '^[0-9]{6,15}$' });

export const ResourceStatus = Type.Union([
  Type.Literal('free'),
  Type.Literal('reserved'),
  Type.Literal('in_service'),
  Type.Literal('faulty'),
  Type.Literal('out_of_order'),
]);
export const LineKind = Type.Union([
  Type.Literal('fixed_wired'),
  Type.Literal('fixed_radio'),
  Type.Literal('mobile'),
]);

/** An address as the referential stores it; locality, district and street resolve the serving plant. */
export const Address = Type.Object(
  {
    number: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
    street: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    district: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    locality: Text(100),
    postalCode: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
  },
  { additionalProperties: true },
);
export type Address = Static<typeof Address>;

export const SiteCreate = Type.Object(
  { code: Code, name: Text(), locality: Text(100), district: Type.Optional(Nullable(Text(100))) },
  { additionalProperties: false },
);
export type SiteCreate = Static<typeof SiteCreate>;

export const SwitchCreate = Type.Object(
  { code: Code, site: Code, name: Text(), model: Type.Optional(Nullable(Text(100))) },
  { additionalProperties: false },
);
export type SwitchCreate = Static<typeof SwitchCreate>;

export const MdfCreate = Type.Object(
  { code: Code, site: Code, name: Text() },
  { additionalProperties: false },
);
export type MdfCreate = Static<typeof MdfCreate>;

/** Equips a card of a switch: `ports` line ports, each wired to a new horizontal MDF position. */
export const PortsCreate = Type.Object(
  {
    switch: Code,
    mdf: Code,
    shelf: Type.Integer({ minimum: 0, maximum: 999 }),
    card: Type.Integer({ minimum: 0, maximum: 999 }),
    ports: Type.Integer({ minimum: 1, maximum: 10000 }),
  },
  { additionalProperties: false },
);
export type PortsCreate = Static<typeof PortsCreate>;

export const SdfCreate = Type.Object(
  {
    code: Code,
    site: Code,
    name: Text(),
    locality: Text(100),
    district: Type.Optional(Nullable(Text(100))),
  },
  { additionalProperties: false },
);
export type SdfCreate = Static<typeof SdfCreate>;

export const CpCreate = Type.Object(
  {
    code: Code,
    sdf: Code,
    name: Text(),
    locality: Text(100),
    district: Type.Optional(Nullable(Text(100))),
    street: Type.Optional(Nullable(Text(200))),
  },
  { additionalProperties: false },
);
export type CpCreate = Static<typeof CpCreate>;

/** A primary cable (MDF → cabinet) or a distribution cable (cabinet → concentration point). */
export const CableCreate = Type.Object(
  {
    code: Code,
    kind: Type.Union([Type.Literal('primary'), Type.Literal('distribution')]),
    mdf: Type.Optional(Code),
    sdf: Code,
    cp: Type.Optional(Code),
    pairs: Type.Integer({ minimum: 1, maximum: 10000 }),
    bundle: Type.Optional(Nullable(Text(100))),
    head: Type.Optional(Nullable(Text(100))),
    lead: Type.Optional(Nullable(Text(100))),
  },
  { additionalProperties: false },
);
export type CableCreate = Static<typeof CableCreate>;

export const BaseStationCreate = Type.Object(
  { code: Code, site: Code, name: Text(), capacity: Type.Integer({ minimum: 0, maximum: 1000000 }) },
  { additionalProperties: false },
);
export type BaseStationCreate = Static<typeof BaseStationCreate>;

export const ServingAreaCreate = Type.Object(
  {
    locality: Text(100),
    district: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    street: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    cp: Type.Optional(Code),
    baseStation: Type.Optional(Code),
  },
  { additionalProperties: false },
);
export type ServingAreaCreate = Static<typeof ServingAreaCreate>;

export const StatusChange = Type.Object(
  { status: ResourceStatus, reason: Type.Optional(Text(500)) },
  { additionalProperties: false },
);
export type StatusChange = Static<typeof StatusChange>;

export const PoolCreate = Type.Object(
  {
    code: Code,
    product: Code,
    site: Type.Optional(Nullable(Code)),
    quarantineDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
  },
  { additionalProperties: false },
);
export type PoolCreate = Static<typeof PoolCreate>;

export const RangeCreate = Type.Object({ first: Digits, last: Digits }, { additionalProperties: false });
export type RangeCreate = Static<typeof RangeCreate>;

export const NumberSearch = Type.Object(
  {
    product: Code,
    contains: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
    golden: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  },
  { additionalProperties: false },
);
export type NumberSearch = Static<typeof NumberSearch>;

export const ShopCreate = Type.Object(
  { code: Code, name: Text(), locality: Text(100) },
  { additionalProperties: false },
);
export type ShopCreate = Static<typeof ShopCreate>;

export const SimImport = Type.Object(
  {
    batch: Code,
    manufacturer: Text(100),
    csv: Type.String({ minLength: 1, maxLength: 50_000_000 }),
  },
  { additionalProperties: false },
);
export type SimImport = Static<typeof SimImport>;

export const SimAllocate = Type.Object(
  {
    shop: Code,
    iccids: Type.Optional(
      Type.Array(Type.String({ pattern: '^[0-9]{18,20}$' }), { minItems: 1, maxItems: 10000 }),
    ),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  },
  { additionalProperties: false },
);
export type SimAllocate = Static<typeof SimAllocate>;

export const SimActionBody = Type.Object(
  {
    action: Type.Union([
      Type.Literal('return_to_stock'),
      Type.Literal('suspend'),
      Type.Literal('restore'),
      Type.Literal('destroy'),
      Type.Literal('declare_lost'),
    ]),
    reason: Type.Optional(Text(500)),
  },
  { additionalProperties: false },
);
export type SimActionBody = Static<typeof SimActionBody>;

export const SimReplace = Type.Object(
  { newIccid: Type.String({ pattern: '^[0-9]{18,20}$' }), reason: Type.Optional(Text(500)) },
  { additionalProperties: false },
);
export type SimReplace = Static<typeof SimReplace>;

export const StudyInput = Type.Object(
  {
    requestRef: Type.String({ minLength: 1, maxLength: 60 }),
    kind: LineKind,
    product: Code,
    address: Type.Optional(Address),
    shop: Type.Optional(Code),
    preferredNumber: Type.Optional(Digits),
    withNumber: Type.Optional(Type.Boolean()),
    holdIfNotFeasible: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type StudyInput = Static<typeof StudyInput>;

export const AssignNumberInput = Type.Object(
  {
    requestRef: Type.String({ minLength: 1, maxLength: 60 }),
    product: Code,
    site: Type.Optional(Code),
    preferredNumber: Type.Optional(Digits),
  },
  { additionalProperties: false },
);
export type AssignNumberInput = Static<typeof AssignNumberInput>;

export const PendingQuery = Type.Object(
  {
    cause: Type.Optional(
      Type.Union([
        Type.Literal('saturation'),
        Type.Literal('unequipped_zone'),
        Type.Literal('missing_equipment'),
      ]),
    ),
    zone: Type.Optional(Type.String({ maxLength: 200 })),
    minAgeDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 36500 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);
export type PendingQuery = Static<typeof PendingQuery>;

export const CsvImport = Type.Object(
  { csv: Type.String({ minLength: 1, maxLength: 50_000_000 }) },
  { additionalProperties: false },
);
export type CsvImport = Static<typeof CsvImport>;
