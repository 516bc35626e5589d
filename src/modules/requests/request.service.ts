import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import { decodeNumericCursor, pageOf, type Page } from '../../platform/http/pagination.js';
import { depositFor, type ReferentialServices } from '../referential/index.js';
import type { InstanceView, WorkflowServices } from '../workflow/index.js';
import { scenarioFor } from './default-scenarios.js';
import { ACCESS_CHANGE_CODES, accessChangesFor, lineKindOfProduct, networkFacts } from './network.js';
import type { RequestData } from './request.handlers.js';
import { RequestError } from './requests.errors.js';
import type { RequestCreate } from './requests.schemas.js';
import type { RequestKind } from './requests.tables.js';

const KIND_LABELS: Record<RequestKind, string> = {
  new_line: 'nouvelle ligne',
  add_option: 'ajout d’option',
  remove_option: 'retrait d’option',
  access_change: 'modification temporaire des droits d’accès',
  sim_replacement: 'remplacement de carte SIM',
  transfer_ownership: 'cession de ligne',
  relocation: 'transfert de ligne (déménagement)',
  suspension: 'suspension',
  restoration: 'rétablissement',
  termination: 'résiliation',
};

export interface ServiceRequest {
  id: number;
  number: string;
  kind: RequestKind;
  scenario: string;
  customerId: number;
  payerId: number;
  subscriptionId: number | null;
  productCode: string | null;
  lineId: string | null;
  status: string;
  channel: string;
  details: unknown;
  reason: string | null;
  createdAt: string;
  closedAt: string | null;
}

export interface RequestView extends ServiceRequest {
  workflow: InstanceView;
  documents: {
    id: number;
    kind: string;
    title: string;
    contentType: string;
    createdAt: string;
    sentAt: string | null;
    text: string | null;
  }[];
}

type Row = {
  id: number;
  number: string;
  kind: RequestKind;
  scenario_code: string;
  customer_id: number;
  payer_id: number;
  subscription_id: number | null;
  product_code: string | null;
  line_id: string | null;
  status: string;
  channel: string;
  details: unknown;
  reason: string | null;
  created_at: Date;
  closed_at: Date | null;
};

const toRequest = (r: Row): ServiceRequest => ({
  id: r.id,
  number: r.number,
  kind: r.kind,
  scenario: r.scenario_code,
  customerId: r.customer_id,
  payerId: r.payer_id,
  subscriptionId: r.subscription_id,
  productCode: r.product_code,
  lineId: r.line_id,
  status: r.status,
  channel: r.channel,
  details: r.details,
  reason: r.reason,
  createdAt: new Date(r.created_at).toISOString(),
  closedAt: r.closed_at ? new Date(r.closed_at).toISOString() : null,
});

const invalid = (field: string, message: string) =>
  new RequestError('invalid', 'request.invalid', message, field);

const LINE_KINDS_NEEDING_LINE: RequestKind[] = [
  'add_option',
  'remove_option',
  'access_change',
  'sim_replacement',
  'transfer_ownership',
  'relocation',
  'suspension',
  'restoration',
  'termination',
];

/** What createIn returns: enough to record beside the request in the same transaction. */
export interface CreatedRequest {
  id: number;
  number: string;
  customerId: number;
  lineId: string | null;
}

/** What cancelling a request needs of the activation module (its `ActivationService`). */
export interface RequestOrders {
  withdrawForInstanceIn(
    trx: Tx,
    instanceId: number,
    reason: string,
    by: Actor,
  ): Promise<{ withdrawn: number[]; running: { id: number; element: string }[] }>;
}

export class RequestService {
  constructor(
    private readonly db: Db,
    private readonly ref: ReferentialServices,
    private readonly wf: WorkflowServices,
  ) {}

  /** The activation orders of a request's workflow, for its cancel (the activation module's, wired by the app). */
  orders: RequestOrders = {
    withdrawForInstanceIn: () =>
      Promise.reject(new Error('the activation orders are not wired into this RequestService')),
  };

  /**
   * Takes a service request: checks what it names, gathers the data its scenario needs (customer,
   * categories, taxes, product prices and deposit, the line) and starts the scenario, all in one
   * transaction with its event.
   */
  async create(input: RequestCreate, by: Actor): Promise<RequestView> {
    const ready = await this.prepare(input);
    const created = await this.db.transaction().execute((trx) => this.insert(trx, ready, input, by));
    return this.get(String(created.id));
  }

  /**
   * The same as create, written in the caller's transaction (a facade recording its own rows with
   * the request): if that transaction rolls back, nothing of the request remains.
   */
  async createIn(trx: Tx, input: RequestCreate, by: Actor): Promise<CreatedRequest> {
    return this.insert(trx, await this.prepare(input), input, by);
  }

  /** Checks what the request names and gathers the data its scenario needs (reads only). */
  private async prepare(input: RequestCreate) {
    const customer = await this.ref.customers.get(input.customer);
    if (customer.status === 'closed' || customer.status === 'inactive')
      throw new RequestError(
        'rule',
        'request.state',
        `customer ${customer.code} is ${customer.status}`,
        'customer',
      );
    const payers = await this.ref.payers.listPayers(customer.code);
    const payer = input.payerId
      ? payers.find((p) => p.id === input.payerId)
      : payers.find((p) => p.isDefault);
    if (!payer) throw invalid('payerId', 'the payer must be one of this customer’s payers');
    const taxCat = (await this.ref.categories.list('tax')).find((c) => c.code === customer.categories.tax);
    const taxes =
      taxCat && !taxCat.taxExempt ? ((taxCat.taxes ?? []) as RequestData['customer']['taxes']) : [];
    const address = input.address ?? customer.address;
    const addressText = [address.number, address.street, address.district, address.locality]
      .filter(Boolean)
      .join(' ');
    const data: Partial<RequestData> & Record<string, unknown> = {
      customer: {
        id: customer.id,
        code: customer.code,
        name: customer.displayName,
        category: customer.categories.commercial1,
        language: customer.preferredLanguage,
        taxes,
        address: [customer.address.number, customer.address.street, customer.address.locality]
          .filter(Boolean)
          .join(' '),
      },
      payerId: payer.id,
      zone: address.locality.toUpperCase(),
      address: addressText,
      // the structured address: the inventory's study resolves the serving plant from it
      installAddress: {
        number: address.number ?? null,
        street: address.street ?? null,
        district: address.district ?? null,
        locality: address.locality,
      },
      ...(customer.phones[0] ? { contactPhone: customer.phones[0] } : {}),
    };

    let subscriptionId: number | null = null;
    let lineId: string | null = null;
    if (LINE_KINDS_NEEDING_LINE.includes(input.kind)) {
      if (!input.subscriptionId)
        throw invalid('subscriptionId', `a ${input.kind} request names the line (subscriptionId)`);
      const s = await this.ref.subscriptions.get(input.subscriptionId).catch(() => undefined);
      if (!s || s.customerId !== customer.id)
        throw invalid('subscriptionId', 'the subscription must be one of this customer’s');
      if (s.status === 'terminated')
        throw new RequestError('rule', 'request.state', 'the line is terminated', 'subscriptionId');
      const wantStatus: Partial<Record<RequestKind, string>> = {
        suspension: 'active',
        restoration: 'suspended',
      };
      const want = wantStatus[input.kind];
      if (want && s.status !== want)
        throw new RequestError(
          'rule',
          'request.state',
          `the line is ${s.status}, not ${want}`,
          'subscriptionId',
        );
      const isOption = s.product?.kind === 'option';
      if (input.kind === 'remove_option' ? !isOption : isOption)
        throw invalid(
          'subscriptionId',
          input.kind === 'remove_option'
            ? 'name the option subscription to remove'
            : 'name a line, not an option',
        );
      if (input.kind === 'sim_replacement' && !s.product?.kind.startsWith('mobile'))
        throw invalid('subscriptionId', 'only mobile lines have a SIM card');
      if (input.kind === 'relocation' && !s.product?.kind.startsWith('fixed'))
        throw invalid('subscriptionId', 'only fixed lines are relocated');
      subscriptionId = s.id;
      lineId = s.directoryNumber;
      data.subscription = {
        id: s.id,
        code: s.code,
        number: s.directoryNumber,
        sim: s.simIccid,
        productCode: s.product?.code ?? '',
        productKind: s.product?.kind ?? '',
      };
    }

    let productKind: string | undefined;
    if (input.kind === 'new_line' || input.kind === 'add_option') {
      if (!input.productCode) throw invalid('productCode', `a ${input.kind} request names the product`);
      const product = await this.ref.catalogue.get(input.productCode).catch(() => undefined);
      if (!product || !product.active)
        throw invalid('productCode', `there is no product "${input.productCode}" on sale`);
      if (!product.current) throw invalid('productCode', `product ${product.code} has no price in force`);
      if (input.kind === 'new_line' && product.kind === 'option')
        throw invalid('productCode', 'an option is added to a line with an add_option request');
      if (input.kind === 'add_option') {
        if (product.kind !== 'option') throw invalid('productCode', 'add_option takes an option product');
        if (!product.appliesTo.includes(data.subscription?.productKind ?? ''))
          throw invalid(
            'productCode',
            `option ${product.code} does not apply to ${data.subscription?.productKind} lines`,
          );
      }
      productKind = product.kind;
      data.product = {
        code: product.code,
        name: product.name,
        kind: product.kind,
        oneOff: product.current.oneOffPrice,
        recurring: product.current.recurringPrice,
        deposit: depositFor(product.current, customer.categories.commercial1),
      };
    }
    if (input.kind === 'transfer_ownership') {
      if (!input.newCustomer) throw invalid('newCustomer', 'a transfer names the new holder (newCustomer)');
      const nc = await this.ref.customers.get(input.newCustomer).catch(() => undefined);
      if (!nc) throw invalid('newCustomer', `there is no customer ${input.newCustomer}`);
      if (nc.id === customer.id) throw invalid('newCustomer', 'the new holder is another customer');
      data.newCustomer = { id: nc.id, code: nc.code, name: nc.displayName };
    }
    if (input.kind === 'access_change') {
      if (!input.accessChange)
        throw invalid('accessChange', 'say which change and until when (accessChange)');
      // the default scenario applies the changes it knows (another scenario, e.g. collection's
      // limitation, gives its own meaning to its change): a typo is answered here, not by a
      // task for switching to "do it by hand"
      const lineKind = lineKindOfProduct(data.subscription?.productKind);
      const allowed = accessChangesFor(lineKind);
      if (!input.scenario && !allowed.includes(input.accessChange.change))
        throw invalid(
          'accessChange.change',
          ACCESS_CHANGE_CODES.includes(input.accessChange.change)
            ? `${input.accessChange.change} does not apply to a ${lineKind} line: one of ${allowed.join(', ')}`
            : `the change is one of ${allowed.join(', ')} (not ${input.accessChange.change})`,
        );
      if (Date.parse(input.accessChange.until) <= this.wf.engine.clock.now().getTime())
        throw invalid('accessChange.until', 'the end of a temporary change is in the future');
      data.accessChange = input.accessChange;
    }
    if ((input.preferredNumber || input.shop) && input.kind !== 'new_line')
      throw invalid(input.shop ? 'shop' : 'preferredNumber', 'only a new line chooses its number or shop');
    if (input.shop && !productKind?.startsWith('mobile'))
      throw invalid('shop', 'only a new mobile line takes its SIM card from a shop');
    if (input.preferredNumber) data.preferredNumber = input.preferredNumber;
    if (input.shop) data.shop = input.shop.toUpperCase();
    if (input.kind === 'relocation' && !input.address)
      throw invalid('address', 'a relocation gives the new address');

    // What the network elements will be asked (an option acts on its line: the parent's number)
    const parent =
      input.kind === 'remove_option' && data.subscription && input.subscriptionId
        ? await this.ref.subscriptions
            .get(input.subscriptionId)
            .then((o) => (o.parentId ? this.ref.subscriptions.get(o.parentId) : undefined))
            .catch(() => undefined)
        : undefined;
    data.network = networkFacts({
      kind: input.kind,
      ...(data.product ? { productCode: data.product.code, productKind: data.product.kind } : {}),
      ...(data.subscription ? { line: data.subscription } : {}),
      ...(parent
        ? { parentLine: { number: parent.directoryNumber, productKind: parent.product?.kind ?? '' } }
        : {}),
      ...(data.accessChange ? { accessChange: data.accessChange } : {}),
    });
    const scenario = input.scenario ?? scenarioFor(input.kind, productKind);
    return { customer, payer, subscriptionId, lineId, data, scenario };
  }

  /** Writes the request, its event and starts its scenario in `trx`. */
  private async insert(
    trx: Tx,
    ready: Awaited<ReturnType<RequestService['prepare']>>,
    input: RequestCreate,
    by: Actor,
  ): Promise<CreatedRequest> {
    const { customer, payer, subscriptionId, lineId, data, scenario } = ready;
    const seq = await sql<{ n: number }>`SELECT nextval('service_request_number_seq')::int AS n`.execute(trx);
    const now = this.wf.engine.clock.now();
    const number = `R${now.getUTCFullYear()}${String(seq.rows[0]!.n).padStart(7, '0')}`;
    const row = await trx
      .insertInto('service_request')
      .values({
        number,
        kind: input.kind,
        scenario_code: scenario,
        customer_id: customer.id,
        payer_id: payer.id,
        subscription_id: subscriptionId,
        product_code: data.product?.code ?? null,
        line_id: lineId,
        channel: input.channel ?? 'counter',
        details: JSON.stringify({
          ...(input.details ?? {}),
          ...(input.address ? { address: input.address } : {}),
        }),
        created_at: now,
        created_by: by.userId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    data.request = { id: row.id, number, kind: input.kind, kindLabel: KIND_LABELS[input.kind] };
    await appendEvent(trx, {
      entityType: 'service_request',
      entityId: row.id,
      customerId: customer.id,
      lineId,
      kind: 'request.created',
      userId: by.userId,
      payload: { number, kind: input.kind, scenario, product: data.product?.code ?? null, subscriptionId },
    });
    await this.wf.engine.start(trx, {
      scenarioCode: scenario,
      subjectType: 'service_request',
      subjectId: String(row.id),
      customerId: customer.id,
      lineId,
      data: { ...data, ...(input.details ? { details: input.details } : {}) },
      by,
    });
    return { id: row.id, number, customerId: customer.id, lineId };
  }

  private async row(ref: string): Promise<Row> {
    let q = this.db.selectFrom('service_request').selectAll();
    q = /^[0-9]+$/.test(ref) ? q.where('id', '=', Number(ref)) : q.where('number', '=', ref.toUpperCase());
    const r = await q.executeTakeFirst();
    if (!r) throw new RequestError('not_found', 'request.not_found', `service request ${ref} does not exist`);
    return r as Row;
  }

  async get(ref: string): Promise<RequestView> {
    const r = await this.row(ref);
    const inst = await this.db
      .selectFrom('wf_instance')
      .select('id')
      .where('subject_type', '=', 'service_request')
      .where('subject_id', '=', String(r.id))
      .executeTakeFirstOrThrow();
    const docs = await this.db
      .selectFrom('request_document')
      .select(['id', 'kind', 'title', 'content_type', 'created_at', 'sent_at', 'text'])
      .where('request_id', '=', r.id)
      .orderBy('id')
      .execute();
    return {
      ...toRequest(r),
      workflow: await this.wf.instances.get(inst.id),
      documents: docs.map((d) => ({
        id: d.id,
        kind: d.kind,
        title: d.title,
        contentType: d.content_type,
        createdAt: new Date(d.created_at).toISOString(),
        sentAt: d.sent_at ? new Date(d.sent_at).toISOString() : null,
        text: d.content_type.startsWith('text/') ? d.text : null,
      })),
    };
  }

  async list(q: {
    customer?: string;
    status?: string;
    kind?: string;
    cursor?: string;
    limit: number;
  }): Promise<Page<ServiceRequest>> {
    const after = decodeNumericCursor(q.cursor);
    let query = this.db.selectFrom('service_request').selectAll();
    if (q.customer) {
      const c = await this.ref.customers.get(q.customer);
      query = query.where('customer_id', '=', c.id);
    }
    if (q.status) query = query.where('status', '=', q.status as 'open');
    if (q.kind) query = query.where('kind', '=', q.kind as RequestKind);
    if (after !== undefined) query = query.where('id', '<', after);
    const rows = await query
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute();
    const page = pageOf(rows as Row[], q.limit, (r) => [r.id]);
    return { items: page.items.map(toRequest), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  /** Cancels an open request: its open tasks stop and everything it reserved or recorded is undone. */
  async cancel(ref: string, reason: string, by: Actor): Promise<RequestView> {
    const r = await this.row(ref);
    await this.db.transaction().execute((trx) => this.cancelIn(trx, r.number, reason, by));
    return this.get(String(r.id));
  }

  /**
   * The cancel rule in the caller's transaction (TMF622 cancelProductOrder, TMF641
   * cancelServiceOrder): only an open request is cancelled (409 otherwise), the same way as cancel.
   */
  async cancelIn(
    trx: Tx,
    ref: string,
    reason: string,
    by: Actor,
  ): Promise<{ id: number; number: string; customerId: number; lineId: string | null }> {
    let q = trx.selectFrom('service_request').select(['id', 'number', 'status', 'customer_id', 'line_id']);
    q = /^[0-9]+$/.test(ref) ? q.where('id', '=', Number(ref)) : q.where('number', '=', ref.toUpperCase());
    const r = await q.forUpdate().executeTakeFirst();
    if (!r) throw new RequestError('not_found', 'request.not_found', `service request ${ref} does not exist`);
    if (r.status !== 'open')
      throw new RequestError('conflict', 'request.state', `request ${r.number} is ${r.status}`);
    const inst = await trx
      .selectFrom('wf_instance')
      .select('id')
      .where('subject_type', '=', 'service_request')
      .where('subject_id', '=', String(r.id))
      .executeTakeFirstOrThrow();
    // Its activation orders still waiting for the automaton are withdrawn with it, or the cancelled
    // request's line would still be made on the element. One already on the element cannot be
    // called back (as TMF641 cancelServiceOrder): the cancel is refused, nothing changes, and it
    // can be asked again once that order has ended.
    const orders = await this.orders.withdrawForInstanceIn(trx, inst.id, reason, by);
    const busy = orders.running[0];
    if (busy)
      throw new RequestError(
        'conflict',
        'request.activation_in_progress',
        `request ${r.number} cannot be cancelled now: its activation order ${busy.id} is being carried out on ${busy.element}, and a command in flight cannot be called back; cancel it once that order has ended`,
        'ref',
        { activationOrder: String(busy.id), element: busy.element },
      );
    await this.wf.instances.cancelIn(trx, inst.id, reason, by);
    return { id: r.id, number: r.number, customerId: r.customer_id, lineId: r.line_id };
  }

  async document(
    requestRef: string,
    id: number,
  ): Promise<{ contentType: string; body: Buffer; title: string }> {
    const r = await this.row(requestRef);
    const d = await this.db
      .selectFrom('request_document')
      .selectAll()
      .where('id', '=', id)
      .where('request_id', '=', r.id)
      .executeTakeFirst();
    if (!d)
      throw new RequestError('not_found', 'document.not_found', `request ${r.number} has no document ${id}`);
    return { contentType: d.content_type, body: d.body ?? Buffer.from(d.text ?? '', 'utf8'), title: d.title };
  }
}
