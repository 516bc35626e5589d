import type { Tx } from '../../platform/db.js';
import { appendEvent } from '../../platform/events.js';
import { priceLines, type BillingServices } from '../billing/index.js';
import type { ReferentialServices } from '../referential/index.js';
import type { HandlerRegistry, TaskContext, Data } from '../workflow/index.js';
import { fillTemplate, formatAmount, renderPdf } from './documents.js';
import { RequestError } from './requests.errors.js';
import type { DocumentKind } from './requests.tables.js';

/** The parts of a request's workflow data the steps read; set at intake (see request.service.ts). */
export interface RequestData extends Data {
  request: { id: number; number: string; kind: string; kindLabel: string };
  customer: {
    id: number;
    code: string;
    name: string;
    category: string;
    language: string;
    taxes: { code: string; label: string; rateBasisPoints: number }[];
    address: string;
  };
  payerId: number;
  zone?: string;
  product?: { code: string; name: string; kind: string; oneOff: number; recurring: number; deposit: number };
  subscription?: {
    id: number;
    code: string;
    number: string | null;
    sim: string | null;
    productCode: string;
    productKind: string;
  };
  parentId?: number;
  newCustomer?: { id: number; code: string; name: string };
  address?: string;
  installAddress?: {
    number: string | null;
    street: string | null;
    district: string | null;
    locality: string;
  };
  preferredNumber?: string;
  shop?: string;
  accessChange?: { change: string; until: string };
}

const rd = (ctx: TaskContext) => ctx.instance.data as RequestData;

const METHODS = ['cash', 'bank_transfer', 'direct_debit', 'mobile_money', 'cheque', 'card'] as const;
type Method = (typeof METHODS)[number];
function methodOf(v: unknown): Method {
  if (typeof v === 'string' && (METHODS as readonly string[]).includes(v)) return v as Method;
  throw new RequestError(
    'invalid',
    'request.invalid',
    `method must be one of ${METHODS.join(', ')}`,
    'data.method',
  );
}

async function storeDocument(
  trx: Tx,
  d: {
    requestId: number;
    customerId: number;
    kind: DocumentKind;
    title: string;
    pdf?: Buffer;
    text?: string;
    recipient?: string | null;
    at: Date;
    sent?: boolean;
  },
): Promise<number> {
  const row = await trx
    .insertInto('request_document')
    .values({
      request_id: d.requestId,
      customer_id: d.customerId,
      kind: d.kind,
      title: d.title,
      content_type: d.pdf ? 'application/pdf' : 'text/plain; charset=utf-8',
      body: d.pdf ?? null,
      text: d.text ?? null,
      recipient: d.recipient ?? null,
      created_at: d.at,
      sent_at: d.sent ? d.at : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Sends the customer a letter (PDF) and an SMS from a template pair, stored as sent. */
export async function sendReply(
  trx: Tx,
  d: RequestData,
  template: 'request_completed' | 'request_rejected' | 'request_cancelled',
  reason: string,
  now: Date,
): Promise<number[]> {
  const number = (d.line as { number?: string } | undefined)?.number ?? d.subscription?.number ?? null;
  const values = {
    number: d.request.number,
    kindLabel: d.request.kindLabel,
    customerName: d.customer.name,
    date: now.toISOString().slice(0, 10),
    reason,
    lineSentence:
      number && template === 'request_completed'
        ? d.customer.language === 'en'
          ? `Your line: ${number}.`
          : `Votre ligne : ${number}.`
        : '',
  };
  const language = d.customer.language === 'en' ? 'en' : 'fr';
  const templates = await trx
    .selectFrom('message_template')
    .selectAll()
    .where('code', '=', template)
    .where('language', '=', language)
    .execute();
  const letter = templates.find((t) => t.channel === 'letter');
  const sms = templates.find((t) => t.channel === 'sms');
  if (!letter || !sms) throw new Error(`templates ${template}/${language} are missing`);
  const body = fillTemplate(letter.body, values);
  const pdf = await renderPdf({
    title: fillTemplate(letter.subject ?? '', values),
    reference: `${d.request.number}-R`,
    date: now,
    facts: [['Adresse', d.address ?? d.customer.address]],
    paragraphs: body.split('\n\n'),
  });
  return [
    await storeDocument(trx, {
      requestId: d.request.id,
      customerId: d.customer.id,
      kind: 'letter',
      title: fillTemplate(letter.subject ?? '', values),
      pdf,
      text: body,
      recipient: d.address ?? d.customer.address,
      at: now,
      sent: true,
    }),
    await storeDocument(trx, {
      requestId: d.request.id,
      customerId: d.customer.id,
      kind: 'sms',
      title: 'SMS',
      text: fillTemplate(sms.body, values),
      recipient: (d.contactPhone as string | undefined) ?? null,
      at: now,
      sent: true,
    }),
  ];
}

export interface HandlerDeps {
  referential: ReferentialServices;
  billing: BillingServices;
}

/** Registers every named step of the default scenarios and the compensations that undo them. */
export function registerRequestHandlers(h: HandlerRegistry, deps: HandlerDeps): void {
  const { referential: ref, billing } = deps;

  const checkCustomer = (who: 'customer' | 'newCustomer') => async (ctx: TaskContext) => {
    const d = rd(ctx);
    const c = who === 'customer' ? d.customer : d.newCustomer;
    if (!c) throw new Error('the request names no new customer');
    const match = await ref.blacklist.checkCustomer({ id: c.id });
    const status = await ctx.trx
      .selectFrom('customer')
      .select('status')
      .where('id', '=', c.id)
      .executeTakeFirstOrThrow();
    if (match.blacklisted || status.status === 'closed') {
      const reason = match.blacklisted
        ? `${c.name} is blacklisted: ${match.matches.map((m) => m.reason).join('; ')}`
        : `customer ${c.code} is closed`;
      return {
        outcome: 'blacklisted',
        data: {
          rejectReason: reason,
          blacklist: { blacklisted: true, entries: match.matches.map((m) => m.id) },
        },
      };
    }
    return {
      outcome: 'clear',
      data: { blacklist: { blacklisted: false, checkedAt: ctx.now.toISOString() } },
    };
  };
  h.task('request.check_customer', checkCustomer('customer'));
  h.task('request.check_new_customer', checkCustomer('newCustomer'));

  // Quote: catalogue prices of the product version in force, the customer's taxes, and the
  // guarantee deposit of the customer's commercial category. Printed as a PDF.
  h.task('request.quote', async (ctx) => {
    const d = rd(ctx);
    if (!d.product) throw new Error('the request has no product to quote');
    const p = d.product;
    const lines = [
      {
        label: `${p.name} — frais de mise en service`,
        productCode: p.code,
        quantity: 1,
        unitPrice: p.oneOff,
      },
    ];
    const priced = priceLines(lines, d.customer.taxes);
    const quote = {
      oneOffExclTax: priced.amountExclTax,
      tax: priced.taxAmount,
      oneOffTotal: priced.total,
      recurring: p.recurring,
      deposit: p.deposit,
      payNow: priced.total + p.deposit,
    };
    const pdf = await renderPdf({
      title: 'Devis',
      reference: `${d.request.number}-D`,
      date: ctx.now,
      facts: [
        ['Client', `${d.customer.name} (${d.customer.code})`],
        ['Adresse', d.address ?? d.customer.address],
        ['Demande', `${d.request.number} — ${d.request.kindLabel}`],
        ['Abonnement mensuel', formatAmount(p.recurring, 'XOF')],
      ],
      table: {
        head: ['Désignation', 'Qté', 'P.U.', 'Montant'],
        rows: priced.lines.map((l) => [
          l.label,
          String(l.quantity),
          formatAmount(l.unitPrice, 'XOF'),
          formatAmount(l.amount, 'XOF'),
        ]),
        totals: [
          ['Total HT', formatAmount(priced.amountExclTax, 'XOF')],
          ...priced.taxes.map((t): [string, string] => [t.label, formatAmount(t.amount, 'XOF')]),
          ['Total TTC', formatAmount(priced.total, 'XOF')],
          ['Dépôt de garantie', formatAmount(p.deposit, 'XOF')],
          ['À payer', formatAmount(quote.payNow, 'XOF')],
        ],
      },
      footer:
        'Devis valable 30 jours. Le dépôt de garantie est restitué à la résiliation, déduction faite des sommes dues.',
    });
    const docId = await storeDocument(ctx.trx, {
      requestId: d.request.id,
      customerId: d.customer.id,
      kind: 'quote',
      title: `Devis ${d.request.number}`,
      pdf,
      at: ctx.now,
    });
    return { outcome: 'issued', data: { quote: { ...quote, documentId: docId }, depositDue: p.deposit } };
  });

  h.task('request.record_deposit', async (ctx) => {
    const d = rd(ctx);
    const due = Number(d.depositDue ?? 0);
    if (ctx.input.amount !== due)
      throw new RequestError(
        'rule',
        'request.amount',
        `the guarantee deposit is ${due} XOF, not ${String(ctx.input.amount)}`,
        'data.amount',
      );
    const r = await billing.ledger.receiveDeposit(
      ctx.trx,
      {
        payerId: d.payerId,
        customerId: d.customer.id,
        amount: due,
        method: methodOf(ctx.input.method ?? 'cash'),
        reference: typeof ctx.input.reference === 'string' ? ctx.input.reference : null,
        source: { type: 'service_request', id: String(d.request.id) },
        at: ctx.now,
        lineId: ctx.instance.lineId,
      },
      ctx.by,
    );
    ctx.compensate('request.refund_deposit', { depositId: r.depositId });
    return { data: { deposit: { id: r.depositId, payment: r.paymentNumber, amount: due } } };
  });

  // Invoice of the one-off fees (the quote's lines), as a ledger invoice and a PDF.
  h.task('request.issue_invoice', async (ctx) => {
    const d = rd(ctx);
    const p = d.product;
    const lines =
      p && p.oneOff > 0
        ? [
            {
              label: `${p.name} — frais de mise en service`,
              productCode: p.code,
              quantity: 1,
              unitPrice: p.oneOff,
            },
          ]
        : [];
    if (lines.length === 0) return { outcome: 'issued', data: { invoice: { id: null, total: 0 } } };
    const inv = await billing.ledger.issueInvoice(
      ctx.trx,
      {
        payerId: d.payerId,
        customerId: d.customer.id,
        kind: 'one_off',
        lines,
        taxes: d.customer.taxes,
        source: { type: 'service_request', id: String(d.request.id) },
        dueDays: 15,
        lineId: ctx.instance.lineId,
        at: ctx.now,
      },
      ctx.by,
    );
    const pdf = await renderPdf({
      title: 'Facture',
      reference: inv.number,
      date: ctx.now,
      facts: [
        ['Client', `${d.customer.name} (${d.customer.code})`],
        ['Payeur', String(d.payerId)],
        ['Demande', d.request.number],
        ['Échéance', inv.dueAt.slice(0, 10)],
      ],
      table: {
        head: ['Désignation', 'Qté', 'P.U.', 'Montant'],
        rows: inv.lines.map((l) => [
          l.label,
          String(l.quantity),
          formatAmount(l.unitPrice, inv.currency),
          formatAmount(l.amount, inv.currency),
        ]),
        totals: [
          ['Total HT', formatAmount(inv.amountExclTax, inv.currency)],
          ['Taxes', formatAmount(inv.taxAmount, inv.currency)],
          ['Total TTC', formatAmount(inv.total, inv.currency)],
        ],
      },
    });
    const docId = await storeDocument(ctx.trx, {
      requestId: d.request.id,
      customerId: d.customer.id,
      kind: 'invoice',
      title: `Facture ${inv.number}`,
      pdf,
      at: ctx.now,
    });
    ctx.compensate('request.cancel_invoice', { invoiceId: inv.id });
    return {
      outcome: 'issued',
      data: { invoice: { id: inv.id, number: inv.number, total: inv.total, documentId: docId } },
    };
  });

  // Payment confirmation: a payment recorded in the ledger and matched to the request's invoice.
  h.task('request.record_payment', async (ctx) => {
    const d = rd(ctx);
    const invoice = d.invoice as { id: number } | undefined;
    if (!invoice?.id) throw new RequestError('conflict', 'request.state', 'there is no invoice to pay');
    if (typeof ctx.input.amount !== 'number')
      throw new RequestError('invalid', 'request.invalid', 'amount is required', 'data.amount');
    const r = await billing.ledger.recordInvoicePayment(
      ctx.trx,
      {
        invoiceId: invoice.id,
        amount: ctx.input.amount,
        method: methodOf(ctx.input.method ?? 'cash'),
        reference: typeof ctx.input.reference === 'string' ? ctx.input.reference : null,
        at: ctx.now,
        lineId: ctx.instance.lineId,
      },
      ctx.by,
    );
    return { data: { payment: { number: r.paymentNumber, amount: ctx.input.amount } } };
  });

  // Work orders for the MDF and the field team: printable PDFs stored with the request.
  h.task('request.work_orders', async (ctx) => {
    const d = rd(ctx);
    const studies = ['study_network', 'study_switching', 'study_mdf', 'study_stock']
      .map((n) => [n, d[n]] as const)
      .filter(([, v]) => v && typeof v === 'object' && Object.keys(v as object).length > 0);
    const line = (d.line as { number?: string } | undefined)?.number ?? d.subscription?.number ?? '—';
    // The chain the inventory reserved, named as the technicians name it.
    const chain = ((d.study as { chain?: Record<string, string | null> } | undefined)?.chain ?? {}) as Record<
      string,
      string | null
    >;
    const chainLabels: Record<string, [string, string[]]> = {
      equipmentNumber: ['Numéro d’équipement (NE)', ['mdf']],
      mdf: ['Répartiteur', ['mdf']],
      mdfPositions: ['Positions H ↔ V', ['mdf']],
      primaryPair: ['Paire primaire', ['mdf', 'field']],
      sdf: ['Sous-répartiteur', ['mdf', 'field']],
      distributionPair: ['Paire de distribution', ['mdf', 'field']],
      cp: ['Point de concentration', ['field']],
      baseStation: ['Station de base', ['field']],
      reservation: ['Réservation', ['mdf', 'field']],
    };
    const ids: number[] = [];
    const teams = (ctx.node.needs ?? []).length > 0 ? ctx.node.needs! : ['mdf', 'field'];
    for (const team of teams) {
      const plant = Object.entries(chainLabels)
        .filter(([k, [, forTeams]]) => chain[k] && forTeams.includes(team))
        .map(([k, [label]]): [string, string] => [label, String(chain[k])]);
      const pdf = await renderPdf({
        title: `Ordre de travaux — ${team === 'mdf' ? 'répartiteur' : 'équipe terrain'}`,
        reference: `${d.request.number}-OT-${team.toUpperCase()}`,
        date: ctx.now,
        facts: [
          ['Demande', `${d.request.number} — ${d.request.kindLabel}`],
          ['Client', `${d.customer.name} (${d.customer.code})`],
          ['Adresse', d.address ?? d.customer.address],
          ['Zone', d.zone ?? '—'],
          ['Ligne (ND)', line],
          ...plant,
        ],
        paragraphs: studies.map(([n, v]) => `${n}: ${JSON.stringify(v)}`),
        footer: 'À retourner signé avec le compte rendu d’exécution.',
      });
      ids.push(
        await storeDocument(ctx.trx, {
          requestId: d.request.id,
          customerId: d.customer.id,
          kind: 'work_order',
          title: `Ordre de travaux ${team} ${d.request.number}`,
          pdf,
          at: ctx.now,
        }),
      );
    }
    return { outcome: 'issued', data: { workOrders: ids } };
  });

  h.task('request.completion_report', async (ctx) => {
    const d = rd(ctx);
    const report = String(ctx.input.report ?? '');
    await storeDocument(ctx.trx, {
      requestId: d.request.id,
      customerId: d.customer.id,
      kind: 'completion_report',
      title: `Compte rendu d’exécution ${d.request.number}`,
      text: `${ctx.by.username} — ${ctx.now.toISOString()}\n${report}`,
      at: ctx.now,
    });
    return {};
  });

  h.task('request.add_option', async (ctx) => {
    const d = rd(ctx);
    if (!d.product || !d.subscription) throw new Error('no option or line');
    const id = await ref.subscriptions.createIn(
      ctx.trx,
      d.customer.code,
      { productCode: d.product.code, payerId: d.payerId, parentId: d.subscription.id },
      ctx.by,
    );
    await ref.subscriptions.changeStatusIn(
      ctx.trx,
      id,
      { status: 'active', reason: `request ${d.request.number}` },
      ctx.by,
    );
    const deposit = d.deposit as { id?: number } | undefined;
    if (deposit?.id) await billing.ledger.attachDeposit(ctx.trx, deposit.id, id);
    return { outcome: 'done', data: { createdSubscriptionId: id } };
  });

  const statusStep = (status: 'suspended' | 'active' | 'terminated') => async (ctx: TaskContext) => {
    const d = rd(ctx);
    if (!d.subscription) throw new Error('no line');
    await ref.subscriptions.changeStatusIn(
      ctx.trx,
      d.subscription.id,
      { status, reason: `request ${d.request.number}` },
      ctx.by,
    );
    if (status === 'terminated') {
      for (const depositId of await billing.ledger.depositsOfSubscription(ctx.trx, d.subscription.id))
        await billing.ledger.refundDeposit(
          ctx.trx,
          depositId,
          `line terminated by request ${d.request.number}`,
          ctx.now,
          ctx.by,
        );
    }
    return { outcome: 'done' };
  };
  h.task('request.remove_option', statusStep('terminated'));
  h.task('request.suspend', statusStep('suspended'));
  h.task('request.restore', statusStep('active'));

  h.task('request.relocate', async (ctx) => {
    const d = rd(ctx);
    if (!d.subscription) throw new Error('no line');
    const mdf = (d.study_mdf ?? {}) as { pair?: string };
    await ref.subscriptions.changeTechnicalIn(
      ctx.trx,
      d.subscription.id,
      { plantRef: { pair: mdf.pair ?? null, zone: d.zone ?? null, address: d.address ?? null } },
      `relocated by request ${d.request.number}`,
      ctx.by,
    );
    return { outcome: 'done' };
  });

  // Transfer of ownership: the line ends under the old customer and starts, same number and SIM,
  // under the new one (subscriptions are never moved between customers: history stays with each).
  h.task('request.transfer', async (ctx) => {
    const d = rd(ctx);
    if (!d.subscription || !d.newCustomer) throw new Error('no line or no new customer');
    const s = d.subscription;
    await ref.subscriptions.changeStatusIn(
      ctx.trx,
      s.id,
      { status: 'terminated', reason: `transferred to ${d.newCustomer.code} by ${d.request.number}` },
      ctx.by,
    );
    for (const depositId of await billing.ledger.depositsOfSubscription(ctx.trx, s.id))
      await billing.ledger.refundDeposit(
        ctx.trx,
        depositId,
        `line transferred by request ${d.request.number}`,
        ctx.now,
        ctx.by,
      );
    const id = await ref.subscriptions.createIn(
      ctx.trx,
      d.newCustomer.code,
      {
        productCode: s.productCode,
        ...(s.number ? { directoryNumber: s.number } : {}),
        ...(s.sim ? { simIccid: s.sim } : {}),
      },
      ctx.by,
    );
    await ref.subscriptions.changeStatusIn(
      ctx.trx,
      id,
      { status: 'active', reason: `transfer from ${d.customer.code}` },
      ctx.by,
    );
    return { outcome: 'done', data: { createdSubscriptionId: id } };
  });

  // Reply to the customer: a letter (PDF) and an SMS from the templates, stored as sent.
  const reply = (template: 'request_completed' | 'request_rejected') => async (ctx: TaskContext) => {
    const d = rd(ctx);
    let reason = typeof d.rejectReason === 'string' ? d.rejectReason : '';
    if (template === 'request_rejected' && !reason) {
      const outcomes = (d.outcomes ?? {}) as Record<string, string>;
      const study = d.study as { feasible?: boolean; cause?: string; detail?: string } | undefined;
      const failed = Object.entries(outcomes).find(
        ([, o]) => o === 'not_feasible' || o === 'refused' || o === 'expired',
      );
      reason =
        outcomes.wait_capacity === 'expired' && study?.feasible === false
          ? `not feasible: ${String(study.cause).replace(/_/g, ' ')} (${study.detail ?? ''})`
          : failed
            ? `${failed[0]}: ${failed[1]}`
            : 'request refused';
    }
    const ids = await sendReply(ctx.trx, d, template, reason, ctx.now);
    return {
      outcome: 'sent',
      data: { reply: { template, documents: ids }, ...(reason ? { rejectReason: reason } : {}) },
    };
  };
  h.task('request.reply_completed', reply('request_completed'));
  h.task('request.reply_rejected', reply('request_rejected'));

  h.compensation('request.refund_deposit', async (ctx) => {
    await billing.ledger.refundDeposit(
      ctx.trx,
      Number(ctx.payload.depositId),
      'request did not go ahead',
      ctx.now,
      ctx.by,
    );
  });
  // The fees invoice is cancelled and whatever the customer paid on it is refunded.
  h.compensation('request.cancel_invoice', async (ctx) => {
    const invoiceId = Number(ctx.payload.invoiceId);
    await billing.ledger.cancelInvoice(ctx.trx, invoiceId, 'request did not go ahead', ctx.now, ctx.by);
    await billing.ledger.refundCancelledInvoice(
      ctx.trx,
      invoiceId,
      'request did not go ahead',
      ctx.now,
      ctx.by,
    );
  });
  // When the instance ends, the request ends with it, in the same transaction.
  h.subject('service_request', {
    onEnd: async (trx, inst, result, reason, by, now) => {
      const d = inst.data as RequestData;
      const created = typeof d.createdSubscriptionId === 'number' ? d.createdSubscriptionId : undefined;
      await trx
        .updateTable('service_request')
        .set({
          status: result,
          reason,
          closed_at: now,
          line_id: inst.lineId,
          ...(created ? { subscription_id: created } : {}),
        })
        .where('id', '=', Number(inst.subjectId))
        .execute();
      // The customer is told their request was cancelled (by them, or by a deadline), and why.
      if (result === 'cancelled') await sendReply(trx, d, 'request_cancelled', reason ?? '', now);
      await appendEvent(trx, {
        entityType: 'service_request',
        entityId: inst.subjectId,
        customerId: inst.customerId,
        lineId: inst.lineId,
        kind: `request.${result}`,
        userId: by.userId,
        payload: { number: d.request.number, reason, subscriptionId: created ?? d.subscription?.id ?? null },
      });
    },
  });
}
