import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../platform/http/nullable.js';

const Address = Type.Object(
  {
    number: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
    street: Type.String({ minLength: 1, maxLength: 200 }),
    district: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    locality: Type.String({ minLength: 1, maxLength: 100 }),
    postalCode: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
  },
  { additionalProperties: false },
);

export const RequestKind = Type.Union(
  [
    'new_line',
    'add_option',
    'remove_option',
    'access_change',
    'sim_replacement',
    'transfer_ownership',
    'relocation',
    'suspension',
    'restoration',
    'termination',
  ].map((k) => Type.Literal(k)),
);

export const RequestCreate = Type.Object(
  {
    kind: RequestKind,
    /** Customer code or id. */
    customer: Type.String({ minLength: 1, maxLength: 30 }),
    payerId: Type.Optional(Type.Integer({ minimum: 1 })),
    productCode: Type.Optional(Type.String({ minLength: 1, maxLength: 31 })),
    subscriptionId: Type.Optional(Type.Integer({ minimum: 1 })),
    /** The installation address (new line) or the new address (relocation); default: the customer's. */
    address: Type.Optional(Address),
    newCustomer: Type.Optional(Type.String({ minLength: 1, maxLength: 30 })),
    /** Choose-a-number: the directory number the customer asked for (the study reserves it or says why not). */
    preferredNumber: Type.Optional(Type.String({ pattern: '^[0-9]{6,15}$' })),
    /** New mobile line: the shop whose SIM stock provides the card (default: a shop of the customer's locality). */
    shop: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$' })),
    accessChange: Type.Optional(
      Type.Object(
        { change: Type.String({ minLength: 1, maxLength: 60 }), until: Type.String({ format: 'date-time' }) },
        { additionalProperties: false },
      ),
    ),
    channel: Type.Optional(
      Type.Union([Type.Literal('counter'), Type.Literal('phone'), Type.Literal('web'), Type.Literal('api')]),
    ),
    /** Run another scenario than the kind's default (e.g. a pilot version under another code). */
    scenario: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{1,60}$' })),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type RequestCreate = Omit<Static<typeof RequestCreate>, 'kind'> & {
  kind: import('./requests.tables.js').RequestKind;
};

export const RequestList = Type.Object(
  {
    customer: Type.Optional(Type.String({ maxLength: 30 })),
    status: Type.Optional(
      Type.Union(['open', 'completed', 'rejected', 'cancelled'].map((s) => Type.Literal(s))),
    ),
    kind: Type.Optional(RequestKind),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const RequestCancel = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);
