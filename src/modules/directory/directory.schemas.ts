import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../platform/http/nullable.js';

const Str = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const DirectoryKind = Type.Union([
  Type.Literal('alphabetical'),
  Type.Literal('professional'),
  Type.Literal('technical'),
]);

export const Address = Type.Object(
  {
    streetNumber: Type.Optional(Nullable(Str(20))),
    street: Type.Optional(Nullable(Str(200))),
    locality: Type.Optional(Nullable(Str(100))),
    postalCode: Type.Optional(Nullable(Str(20))),
  },
  { additionalProperties: false },
);
export type Address = Static<typeof Address>;

const Number_ = Type.String({
  minLength: 6,
  maxLength: 24,
  pattern: '^\\+?[0-9][0-9 .\\-]*$',
  description: 'a directory number; spaces, dots and dashes are ignored',
});

const ListingFields = {
  subscriptionId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  customerId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  title: Type.Optional(Nullable(Str(40))),
  lastName: Type.Optional(Nullable(Str(200))),
  firstNames: Type.Optional(Nullable(Str(200))),
  nickname: Type.Optional(Nullable(Str(100))),
  company: Type.Optional(Nullable(Str(200))),
  heading: Type.Optional(
    Nullable(
      Type.String({ minLength: 1, maxLength: 500, description: 'heading path, "Santé > Pharmacies"' }),
    ),
  ),
  address: Type.Optional(Address),
  numbers: Type.Array(Number_, { minItems: 1, maxItems: 5 }),
  unlisted: Type.Optional(Type.Boolean({ description: 'red list: never disclosed by enquiries' })),
  noMarketing: Type.Optional(Type.Boolean()),
  noReverseSearch: Type.Optional(Type.Boolean({ description: 'not found by its number' })),
};

export const ListingCreate = Type.Object(
  { directory: DirectoryKind, ...ListingFields },
  { additionalProperties: false },
);
export type ListingCreate = Static<typeof ListingCreate>;

export const ListingPatch = Type.Object(
  {
    directory: Type.Optional(DirectoryKind),
    ...ListingFields,
    numbers: Type.Optional(ListingFields.numbers),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'the version read; refused if stale' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ListingPatch = Static<typeof ListingPatch>;

export const CodeParam = Type.Object({ code: Type.String({ pattern: '^A[0-9]{9}$' }) });

export const ListingQuery = Type.Object(
  {
    subscriptionId: Type.Optional(Type.Integer({ minimum: 1 })),
    customerId: Type.Optional(Type.Integer({ minimum: 1 })),
    number: Type.Optional(Number_),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ListingQuery = Static<typeof ListingQuery>;

const Field = (description: string) => Type.Optional(Type.String({ maxLength: 200, description }));
export const SearchQuery = Type.Object(
  {
    q: Field('the single search box: any part of the identity and/or address, or a number'),
    name: Field('last name'),
    firstName: Field('first name(s)'),
    title: Field('title (M., Mme, Dr…)'),
    nickname: Field('nickname'),
    trade: Field('company or trade name, or heading'),
    street: Field('street and number'),
    locality: Field('locality or postal code'),
    directory: Type.Optional(DirectoryKind),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

export const HeadingCreate = Type.Object(
  { path: Type.String({ minLength: 1, maxLength: 500, description: 'e.g. "Santé > Pharmacies"' }) },
  { additionalProperties: false },
);
export type HeadingCreate = Static<typeof HeadingCreate>;

export const EditionParams = Type.Object({ directory: DirectoryKind });
export const EditionQuery = Type.Object(
  { locality: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) },
  { additionalProperties: false },
);
export type EditionQuery = Static<typeof EditionQuery>;

export const ImportQuery = Type.Object(
  {
    strict: Type.Optional(
      Type.Boolean({ default: false, description: 'import nothing when any row is rejected' }),
    ),
    dryRun: Type.Optional(Type.Boolean({ default: false, description: 'validate and report only' })),
  },
  { additionalProperties: false },
);
export type ImportQuery = Static<typeof ImportQuery>;
