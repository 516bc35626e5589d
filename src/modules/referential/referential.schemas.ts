import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../platform/http/nullable.js';

const Text = (max = 200) => Type.String({ minLength: 1, maxLength: max });
const Code = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$',
  description: 'category or product code',
});
/** Phone numbers as people write them: digits, spaces, dots, dashes, an optional leading +. */
export const Phone = Type.String({ pattern: '^\\+?[0-9][0-9 .-]{4,22}$' });

export const Gps = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
  },
  { additionalProperties: false },
);

export const Address = Type.Object(
  {
    number: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
    street: Text(200),
    district: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    locality: Text(100),
    postalCode: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
    gps: Type.Optional(Nullable(Gps)),
  },
  { additionalProperties: false },
);
export type Address = Static<typeof Address>;

export const IdDocument = Type.Object(
  {
    type: Type.Union([
      Type.Literal('national_id'),
      Type.Literal('passport'),
      Type.Literal('residence_permit'),
      Type.Literal('other'),
    ]),
    number: Type.String({ minLength: 3, maxLength: 40 }),
  },
  { additionalProperties: false },
);

export const Categories = Type.Object(
  { commercial1: Code, commercial2: Code, collection: Code, accounting: Code, tax: Code },
  { additionalProperties: false, description: 'one category code of each of the five kinds' },
);

export const PaymentMethod = Type.Union([
  Type.Literal('cash'),
  Type.Literal('bank_transfer'),
  Type.Literal('direct_debit'),
  Type.Literal('mobile_money'),
  Type.Literal('cheque'),
]);

export const PayerInput = Type.Object(
  {
    name: Type.Optional(Text(200)),
    billingAddress: Type.Optional(Address),
    paymentMethod: Type.Optional(PaymentMethod),
    bankAccount: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
    mobileMoneyNumber: Type.Optional(Nullable(Phone)),
  },
  { additionalProperties: false },
);
export type PayerInput = Static<typeof PayerInput>;

const CustomerFields = {
  title: Type.Optional(Nullable(Type.String({ maxLength: 30 }))),
  lastName: Type.Optional(Nullable(Text(100))),
  firstNames: Type.Optional(Nullable(Text(150))),
  nickname: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  birthDate: Type.Optional(Nullable(Type.String({ format: 'date' }))),
  idDocument: Type.Optional(Nullable(IdDocument)),
  companyName: Type.Optional(Nullable(Text(200))),
  tradeName: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  registrationNumber: Type.Optional(Nullable(Type.String({ maxLength: 50 }))),
  phones: Type.Optional(Type.Array(Phone, { maxItems: 10 })),
  email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 200 }))),
  preferredLanguage: Type.Optional(Type.String({ pattern: '^[a-z]{2}$' })),
};

export const CustomerCreate = Type.Object(
  {
    kind: Type.Union([Type.Literal('person'), Type.Literal('organisation')]),
    ...CustomerFields,
    address: Address,
    status: Type.Optional(Type.Union([Type.Literal('prospect'), Type.Literal('active')])),
    categories: Categories,
    payer: Type.Optional(PayerInput),
  },
  { additionalProperties: false },
);
export type CustomerCreate = Static<typeof CustomerCreate>;

export const CustomerPatch = Type.Object(
  {
    ...CustomerFields,
    address: Type.Optional(Address),
    status: Type.Optional(
      Type.Union([
        Type.Literal('prospect'),
        Type.Literal('active'),
        Type.Literal('inactive'),
        Type.Literal('closed'),
      ]),
    ),
    categories: Type.Optional(Type.Partial(Categories)),
    /** Optimistic concurrency: the version the agent was looking at. */
    version: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type CustomerPatch = Static<typeof CustomerPatch>;

export const CustomerSearch = Type.Object(
  {
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'code, phone number or name fragment' }),
    ),
    code: Type.Optional(Type.String({ maxLength: 30 })),
    phone: Type.Optional(Type.String({ maxLength: 30 })),
    document: Type.Optional(Type.String({ maxLength: 40 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    status: Type.Optional(Type.String({ maxLength: 20 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type CustomerSearch = Static<typeof CustomerSearch>;

export const UserInput = Type.Object(
  {
    title: Type.Optional(Nullable(Type.String({ maxLength: 30 }))),
    lastName: Text(100),
    firstNames: Type.Optional(Nullable(Type.String({ maxLength: 150 }))),
    phone: Type.Optional(Nullable(Phone)),
    email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 200 }))),
    idDocumentNumber: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
  },
  { additionalProperties: false },
);
export type UserInput = Static<typeof UserInput>;
export const UserPatch = Type.Partial(UserInput, { additionalProperties: false, minProperties: 1 });
export type UserPatch = Static<typeof UserPatch>;

export const CategoryKind = Type.Union([
  Type.Literal('commercial1'),
  Type.Literal('commercial2'),
  Type.Literal('collection'),
  Type.Literal('accounting'),
  Type.Literal('tax'),
]);

export const Tax = Type.Object(
  { code: Code, label: Text(100), rateBasisPoints: Type.Integer({ minimum: 0, maximum: 10000 }) },
  { additionalProperties: false },
);

export const CategoryCreate = Type.Object(
  {
    kind: CategoryKind,
    code: Code,
    label: Text(200),
    collectiveAccount: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z]{3,20}$' })),
    taxExempt: Type.Optional(Type.Boolean()),
    taxes: Type.Optional(Type.Array(Tax, { maxItems: 10 })),
  },
  { additionalProperties: false },
);
export type CategoryCreate = Static<typeof CategoryCreate>;

export const CategoryPatch = Type.Object(
  {
    label: Type.Optional(Text(200)),
    active: Type.Optional(Type.Boolean()),
    collectiveAccount: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z]{3,20}$' })),
    taxExempt: Type.Optional(Type.Boolean()),
    taxes: Type.Optional(Type.Array(Tax, { maxItems: 10 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type CategoryPatch = Static<typeof CategoryPatch>;

const Money = Type.Integer({ minimum: 0, maximum: 1e12, description: 'minor units of the currency' });
export const ProductKind = Type.Union([
  Type.Literal('fixed_wired'),
  Type.Literal('fixed_radio'),
  Type.Literal('mobile_postpaid'),
  Type.Literal('mobile_prepaid'),
  Type.Literal('option'),
]);

export const PriceInput = Type.Object(
  {
    oneOffPrice: Money,
    recurringPrice: Money,
    usageUnitPrice: Type.Optional(Money),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    /** Deposit per commercial category code (of set 1); "*" applies to the others. */
    deposits: Type.Optional(
      Type.Record(Type.String({ pattern: '^(\\*|[A-Za-z0-9][A-Za-z0-9_-]{0,30})$' }), Money),
    ),
    validFrom: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type PriceInput = Static<typeof PriceInput>;

export const ProductCreate = Type.Object(
  {
    code: Code,
    name: Text(200),
    kind: ProductKind,
    appliesTo: Type.Optional(Type.Array(ProductKind, { maxItems: 4 })),
    price: PriceInput,
  },
  { additionalProperties: false },
);
export type ProductCreate = Static<typeof ProductCreate>;

export const SubscriptionCreate = Type.Object(
  {
    productCode: Code,
    payerId: Type.Optional(Type.Integer({ minimum: 1 })),
    userId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    parentId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    directoryNumber: Type.Optional(Nullable(Type.String({ pattern: '^[0-9]{4,15}$' }))),
    simIccid: Type.Optional(Nullable(Type.String({ pattern: '^[0-9]{18,22}$' }))),
  },
  { additionalProperties: false },
);
export type SubscriptionCreate = Static<typeof SubscriptionCreate>;

export const SubscriptionStatusChange = Type.Object(
  {
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('terminated')]),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type SubscriptionStatusChange = Static<typeof SubscriptionStatusChange>;

export const BlacklistCreate = Type.Object(
  {
    customerCode: Type.Optional(Type.String({ maxLength: 30 })),
    idDocumentNumber: Type.Optional(Type.String({ minLength: 3, maxLength: 40 })),
    name: Type.Optional(Type.String({ minLength: 2, maxLength: 200 })),
    reason: Text(500),
  },
  { additionalProperties: false },
);
export type BlacklistCreate = Static<typeof BlacklistCreate>;

export const BlacklistCheck = Type.Object(
  {
    customerCode: Type.Optional(Type.String({ maxLength: 30 })),
    idDocumentNumber: Type.Optional(Type.String({ maxLength: 40 })),
    name: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type BlacklistCheck = Static<typeof BlacklistCheck>;

export const IdParam = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 9007199254740991 }) });
export const RefParam = Type.Object({
  ref: Type.String({
    minLength: 1,
    maxLength: 30,
    description: 'customer code (e.g. C00000042) or internal id',
  }),
});

// Responses. The customer 360° is built as JSON text by PostgreSQL (customer.repository.ts
// read360Json) and sent as it is: these schemas document it, and the tests check the text against them.
const Timestamp = Type.String({ format: 'date-time' });
const Id = Type.Integer({ minimum: 1 });
const Closed = { additionalProperties: false } as const;

export const CustomerView = Type.Object(
  {
    id: Id,
    code: Type.String(),
    kind: Type.Union([Type.Literal('person'), Type.Literal('organisation')]),
    title: Nullable(Type.String()),
    lastName: Nullable(Type.String()),
    firstNames: Nullable(Type.String()),
    nickname: Nullable(Type.String()),
    birthDate: Nullable(Type.String({ format: 'date' })),
    idDocument: Nullable(Type.Object({ type: Type.String(), number: Type.String() }, Closed)),
    companyName: Nullable(Type.String()),
    tradeName: Nullable(Type.String()),
    registrationNumber: Nullable(Type.String()),
    displayName: Type.String(),
    address: Address,
    phones: Type.Array(Type.String()),
    email: Nullable(Type.String()),
    preferredLanguage: Type.String(),
    status: Type.String(),
    categories: Type.Object(
      {
        commercial1: Type.String(),
        commercial2: Type.String(),
        collection: Type.String(),
        accounting: Type.String(),
        tax: Type.String(),
      },
      Closed,
    ),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: Type.Integer({ minimum: 1 }),
  },
  Closed,
);

export const PayerView = Type.Object(
  {
    id: Id,
    customerId: Id,
    code: Type.String(),
    name: Type.String(),
    billingAddress: Address,
    paymentMethod: PaymentMethod,
    bankAccount: Nullable(Type.String()),
    mobileMoneyNumber: Nullable(Type.String()),
    isDefault: Type.Boolean(),
    status: Type.String(),
    createdAt: Nullable(Timestamp),
  },
  Closed,
);

export const SubscriptionUserView = Type.Object(
  {
    id: Id,
    customerId: Id,
    title: Nullable(Type.String()),
    lastName: Type.String(),
    firstNames: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    email: Nullable(Type.String()),
    idDocumentNumber: Nullable(Type.String()),
  },
  Closed,
);

export const SubscriptionView = Type.Object(
  {
    id: Id,
    code: Type.String(),
    customerId: Id,
    payerId: Id,
    userId: Nullable(Id),
    parentId: Nullable(Id),
    productVersionId: Id,
    product: Type.Optional(
      Type.Object(
        { code: Type.String(), name: Type.String(), kind: ProductKind, version: Type.Integer() },
        Closed,
      ),
    ),
    status: Type.String(),
    directoryNumber: Nullable(Type.String()),
    simIccid: Nullable(Type.String()),
    equipmentNumber: Nullable(Type.String()),
    plantRef: Type.Unknown({ description: 'where the line runs in the plant, as the inventory gave it' }),
    createdAt: Nullable(Timestamp),
    activatedAt: Nullable(Timestamp),
    terminatedAt: Nullable(Timestamp),
  },
  Closed,
);

export const TimelineEventView = Type.Object(
  {
    id: Id,
    occurredAt: Timestamp,
    entityType: Type.String(),
    entityId: Type.String(),
    kind: Type.String(),
    actor: Nullable(Type.String()),
    userId: Nullable(Id),
    lineId: Nullable(Type.String()),
    payload: Type.Unknown(),
  },
  Closed,
);

export const Customer360View = Type.Object(
  {
    customer: CustomerView,
    payers: Type.Array(PayerView),
    users: Type.Array(SubscriptionUserView),
    subscriptions: Type.Array(SubscriptionView),
    events: Type.Array(TimelineEventView, {
      maxItems: 50,
      description:
        'the last 50 events, newest first; payloads without their before/after snapshots (full events on /customers/:ref/events)',
    }),
  },
  Closed,
);
