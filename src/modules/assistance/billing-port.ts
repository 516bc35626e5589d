import type { Tx } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';

/**
 * A credit on a payer's account. INTERIM: the billing ledger has a `credit` entry kind but no
 * service call for it yet (asked for in the hand-over: `ledger.credit(trx, …)`). Until then this
 * one function writes the ledger entry the way the ledger writes its own (receivable account,
 * negative amount: the operator owes the customer), in the caller's transaction, with its event.
 */
export async function creditPayer(
  trx: Tx,
  c: {
    payerId: number;
    customerId: number;
    amount: number;
    currency: string;
    description: string;
    source: { type: string; id: string };
    lineId: string | null;
    at: Date;
  },
  by: Actor,
): Promise<void> {
  await trx
    .insertInto('billing_ledger_entry')
    .values({
      payer_id: c.payerId,
      customer_id: c.customerId,
      account: 'receivable',
      kind: 'credit',
      amount: -c.amount,
      currency: c.currency,
      description: c.description,
      occurred_at: c.at,
    })
    .execute();
  await appendEvent(trx, {
    entityType: c.source.type,
    entityId: c.source.id,
    customerId: c.customerId,
    lineId: c.lineId,
    kind: 'payer.credited',
    userId: by.userId,
    payload: { payerId: c.payerId, amount: c.amount, currency: c.currency, description: c.description },
  });
}
