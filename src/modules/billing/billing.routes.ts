import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { BillingServices } from './index.js';

/** Read access to a payer's account: its balance and every ledger entry. */
export function registerBillingRoutes(app: FastifyInstance, s: BillingServices): void {
  app.get(
    '/api/v1/payers/:id/account',
    {
      config: { right: 'billing:read' },
      schema: {
        tags: ['billing'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        description: 'The payer account: balance, deposits held and the ledger entries',
      },
    },
    async (req) => {
      const id = (req.params as { id: number }).id;
      return { balance: await s.ledger.balance(id), entries: await s.ledger.entries(id) };
    },
  );
}
