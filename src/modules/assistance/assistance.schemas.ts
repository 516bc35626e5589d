import { Type, type Static } from '@sinclair/typebox';

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Number_ = Type.String({ pattern: '^[0-9 .+-]{4,20}$', description: 'directory number' });
const Ref = Type.String({ minLength: 1, maxLength: 30 });
const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 200 }));
const Cursor = Type.Optional(Type.String({ maxLength: 200 }));

export const LineParam = Type.Object({ number: Number_ }, { additionalProperties: false });
export const RefParam = Type.Object({ ref: Ref }, { additionalProperties: false });
/** A page of a line's events or meter readings, newest first. */
export const LinePage = Type.Object({ cursor: Cursor, limit: Limit }, { additionalProperties: false });
export type LinePage = Static<typeof LinePage>;

export const FaultReport = Type.Object(
  {
    line: Number_,
    symptom: Type.Union(
      [
        Type.Literal('no_dial_tone'),
        Type.Literal('no_incoming_calls'),
        Type.Literal('no_outgoing_calls'),
        Type.Literal('noise'),
        Type.Literal('cut_off'),
        Type.Literal('no_network'),
        Type.Literal('no_data'),
        Type.Literal('other'),
      ],
      { description: 'what the customer says' },
    ),
    description: Type.Optional(Text(2000)),
    contactPhone: Type.Optional(Type.String({ pattern: '^\\+?[0-9 ]{4,20}$' })),
    channel: Type.Optional(
      Type.Union([
        Type.Literal('phone'),
        Type.Literal('counter'),
        Type.Literal('web'),
        Type.Literal('field'),
      ]),
    ),
  },
  { additionalProperties: false },
);
export type FaultReport = Static<typeof FaultReport>;

export const FaultList = Type.Object(
  {
    status: Type.Optional(
      Type.Union([Type.Literal('open'), Type.Literal('resolved'), Type.Literal('closed')]),
    ),
    zone: Type.Optional(Type.String({ maxLength: 60 })),
    actor: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{1,60}$' })),
    customer: Type.Optional(Type.Integer({ minimum: 1 })),
    line: Type.Optional(Type.String({ pattern: '^[0-9]{4,15}$' })),
    overdue: Type.Optional(Type.Boolean()),
    olderThanHours: Type.Optional(Type.Number({ minimum: 0, maximum: 24 * 3650 })),
    cursor: Cursor,
    limit: Limit,
  },
  { additionalProperties: false },
);

export const Close = Type.Object({ note: Type.Optional(Text(2000)) }, { additionalProperties: false });
export const Reopen = Type.Object({ reason: Text(2000) }, { additionalProperties: false });

const CableCode = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$' });
export const IncidentOpen = Type.Union([
  Type.Object(
    {
      scope: Type.Literal('cable'),
      cable: CableCode,
      description: Text(2000),
      zone: Type.Optional(Text(60)),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      scope: Type.Literal('pair_range'),
      cable: CableCode,
      from: Type.Integer({ minimum: 1, maximum: 10000 }),
      to: Type.Integer({ minimum: 1, maximum: 10000 }),
      description: Text(2000),
      zone: Type.Optional(Text(60)),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { scope: Type.Literal('cp'), cp: CableCode, description: Text(2000), zone: Type.Optional(Text(60)) },
    { additionalProperties: false },
  ),
]);
export type IncidentOpen = Static<typeof IncidentOpen>;
export const IncidentRepair = Type.Object({ report: Text(2000) }, { additionalProperties: false });
export const IncidentList = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('repaired')])),
    cursor: Cursor,
    limit: Limit,
  },
  { additionalProperties: false },
);

const Category = Type.Union([
  Type.Literal('billing'),
  Type.Literal('service'),
  Type.Literal('quality'),
  Type.Literal('commercial'),
  Type.Literal('other'),
]);
export const ComplaintOpen = Type.Object(
  {
    customer: Type.Optional(Ref),
    line: Type.Optional(Number_),
    category: Category,
    subject: Text(200),
    description: Type.Optional(Text(4000)),
    invoiceNumber: Type.Optional(Type.String({ maxLength: 30 })),
    disputedAmount: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
    fault: Type.Optional(Ref),
  },
  { additionalProperties: false },
);
export type ComplaintOpen = Static<typeof ComplaintOpen>;
export const ComplaintList = Type.Object(
  {
    status: Type.Optional(
      Type.Union([Type.Literal('open'), Type.Literal('accepted'), Type.Literal('rejected')]),
    ),
    category: Type.Optional(Category),
    customer: Type.Optional(Type.Integer({ minimum: 1 })),
    olderThanHours: Type.Optional(Type.Number({ minimum: 0, maximum: 24 * 3650 })),
    cursor: Cursor,
    limit: Limit,
  },
  { additionalProperties: false },
);

export const RebateRequest = Type.Object(
  {
    line: Type.Optional(Number_),
    customer: Type.Optional(Ref),
    fault: Type.Optional(Ref),
    reason: Text(500),
    amount: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
    outageMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 * 24 * 366 })),
  },
  { additionalProperties: false },
);
export type RebateRequest = Static<typeof RebateRequest>;
export const RebateDecision = Type.Object(
  { note: Type.Optional(Text(1000)) },
  { additionalProperties: false },
);
export const RebateList = Type.Object(
  {
    status: Type.Optional(
      Type.Union([Type.Literal('pending'), Type.Literal('credited'), Type.Literal('rejected')]),
    ),
    level: Type.Optional(Type.Union([Type.Literal('small'), Type.Literal('large')])),
    customer: Type.Optional(Type.Integer({ minimum: 1 })),
    /** `me`: only the pending rebates the caller may approve or reject (right for the amount, four eyes). */
    decidableBy: Type.Optional(Type.Literal('me')),
    cursor: Cursor,
    limit: Limit,
  },
  { additionalProperties: false },
);

export const WorkOrderReport = Type.Object(
  {
    outcome: Type.Union([Type.Literal('done'), Type.Literal('failed')]),
    report: Text(4000),
    causeCode: Type.Optional(Type.String({ pattern: '^[A-Z][A-Z0-9_]{1,40}$' })),
  },
  { additionalProperties: false },
);
export type WorkOrderReport = Static<typeof WorkOrderReport>;
export const WorkOrderList = Type.Object(
  {
    team: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{1,60}$' })),
    zone: Type.Optional(Type.String({ maxLength: 60 })),
    status: Type.Optional(
      Type.Union([
        Type.Literal('issued'),
        Type.Literal('in_progress'),
        Type.Literal('done'),
        Type.Literal('failed'),
      ]),
    ),
    olderThanHours: Type.Optional(Type.Number({ minimum: 0, maximum: 24 * 3650 })),
    cursor: Cursor,
    limit: Limit,
  },
  { additionalProperties: false },
);

export const Stats = Type.Object(
  { days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 })) },
  { additionalProperties: false },
);
