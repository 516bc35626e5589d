import type { Tx } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { SYSTEM, type Actor } from '../../platform/events.js';
import type { BillingServices } from '../billing/index.js';
import type { InventoryServices, Reservation, StudyInput } from '../inventory/index.js';
import type { ReferentialServices } from '../referential/index.js';
import type { HandlerRegistry, TaskContext, WorkflowServices } from '../workflow/index.js';
import type { RequestData } from './request.handlers.js';
import { RequestError } from './requests.errors.js';

/**
 * The steps of a request that touch the line's plant, through the inventory's service API (never
 * its tables): automatic study with reservation or hold, number assignment, set-up (commit to the
 * subscriber technical file), SIM swap, termination (cease), and the compensation that gives back
 * whatever a cancelled or rejected request held.
 *
 * The inventory's calls run in the step's own transaction (its `…In(trx, …)` forms), so a step and
 * the plant change it makes commit or roll back together: a step that fails after reserving leaves
 * nothing reserved, a worker killed mid-batch leaves neither a reservation without its step nor a
 * step without its reservation. The steps stay replay-safe anyway (a study is idempotent per
 * request, a commit or cease already done is recognised, a release of what is no longer reserved
 * does nothing), for reservations made outside the workflow (the studies API) and older data.
 */

/** The workflow event a held request waits for; the payload names the request (`requestRef`). */
export const PENDING_RESUMED = 'inventory.pending_resumed';

/** How long a request may wait for capacity before the customer gets a refusal letter. */
const CAPACITY_WAIT_DAYS = 90;

const rd = (ctx: TaskContext) => ctx.instance.data as RequestData;
const codeOf = (err: unknown) => (err instanceof DomainError ? err.code : undefined);

/** The inventory's kind of line for a product kind (every mobile product is a `mobile` line). */
export function lineKindOf(productKind: string): StudyInput['kind'] | undefined {
  if (productKind === 'fixed_wired' || productKind === 'fixed_radio') return productKind;
  if (productKind.startsWith('mobile')) return 'mobile';
  return undefined;
}

/** What technicians and the request view need to know of a reservation's chain, flat. */
export function chainFacts(r: Reservation): Record<string, string | null> {
  const c = r.chain;
  const pair = (p: { cable: string; number: number } | null) => (p ? `${p.cable}/${p.number}` : null);
  return {
    reservation: r.code,
    number: r.directoryNumber,
    site: c.site,
    switch: c.switch,
    equipmentNumber: c.equipmentNumber,
    mdf: c.mdf,
    mdfPositions:
      c.mdfHorizontal || c.mdfVertical ? `${c.mdfHorizontal ?? '—'} ↔ ${c.mdfVertical ?? '—'}` : null,
    primaryPair: pair(c.primaryPair),
    sdf: c.sdf,
    distributionPair: pair(c.distributionPair),
    cp: c.cp,
    baseStation: c.baseStation,
    sim: c.sim?.iccid ?? null,
  };
}

export interface LineHandlerDeps {
  referential: ReferentialServices;
  billing: BillingServices;
  inventory: InventoryServices;
}

export function registerLineHandlers(h: HandlerRegistry, deps: LineHandlerDeps): void {
  const { referential: ref, billing, inventory: inv } = deps;

  /** The shop whose stock serves a mobile line: the one asked for, else one of the customer's locality. */
  const shopFor = async (d: RequestData): Promise<string> => {
    if (d.shop) return d.shop;
    const shops = (await inv.queries.shops()) as { code: string; locality: string }[];
    const locality = (d.installAddress?.locality ?? '').toLowerCase();
    const shop = shops.find((s) => s.locality.toLowerCase() === locality) ?? shops[0];
    if (!shop) throw new Error('the inventory has no shop to take a SIM card from');
    return shop.code;
  };

  const studyInput = async (d: RequestData): Promise<StudyInput> => {
    if (!d.product) throw new Error('the request has no product to study');
    const kind = lineKindOf(d.product.kind);
    if (!kind) throw new Error(`a ${d.product.kind} product has no line to study`);
    const a = d.installAddress;
    return {
      requestRef: d.request.number,
      kind,
      product: d.product.code,
      ...(kind === 'mobile'
        ? { shop: await shopFor(d) }
        : a
          ? {
              address: {
                locality: a.locality,
                ...(a.district ? { district: a.district } : {}),
                ...(a.street ? { street: a.street } : {}),
                ...(a.number ? { number: a.number } : {}),
              },
            }
          : {}),
      ...(d.preferredNumber ? { preferredNumber: d.preferredNumber } : {}),
      holdIfNotFeasible: true,
    };
  };

  // The automatic study. Feasible: the reservation is the request's (its code in the data, its
  // release recorded as compensation). Not feasible: the inventory holds the request in its pending
  // requests with the cause and the element, and the scenario waits on `wait_capacity`.
  const studyStep = async (ctx: TaskContext, input: StudyInput) => {
    const d = rd(ctx);
    const requestRef = input.requestRef;
    let out;
    try {
      out = await inv.service.studyIn(ctx.trx, input, ctx.by);
    } catch (err) {
      if (codeOf(err) !== 'number.unavailable') throw err;
      return {
        outcome: 'number_unavailable',
        data: { numberProblem: (err as Error).message, ...(input.shop ? { shop: input.shop } : {}) },
      };
    }
    if (!d.inventoryCompensation) {
      ctx.compensate('request.release_inventory', { requestRef });
    }
    const base = { inventoryCompensation: true, ...(input.shop ? { shop: input.shop } : {}) };
    if (out.feasible) {
      return {
        outcome: 'feasible',
        data: {
          ...base,
          reservation: out.reservation.code,
          study: { feasible: true, at: ctx.now.toISOString(), chain: chainFacts(out.reservation) },
        },
      };
    }
    const deadline =
      typeof d.capacityDeadline === 'string'
        ? d.capacityDeadline
        : new Date(ctx.now.getTime() + CAPACITY_WAIT_DAYS * 86_400_000).toISOString();
    return {
      outcome: 'not_feasible',
      data: {
        ...base,
        capacityDeadline: deadline,
        study: {
          feasible: false,
          at: ctx.now.toISOString(),
          cause: out.cause,
          elementType: out.elementType,
          elementCode: out.elementCode,
          detail: out.detail,
          held: out.held,
        },
      },
    };
  };
  h.task('request.study', async (ctx) => studyStep(ctx, await studyInput(rd(ctx))));

  // Relocation: the line's new chain at the new address (no number: the line keeps its own), with
  // the same outcomes, hold and compensation as a new line's study.
  h.task('request.relocation_study', async (ctx) => {
    const d = rd(ctx);
    const s = d.subscription;
    if (!s?.number) throw new Error('the request names no line to relocate');
    const kind = lineKindOf(s.productKind);
    if (kind !== 'fixed_wired' && kind !== 'fixed_radio')
      throw new Error(`a ${s.productKind} line is not relocated through the plant`);
    const a = d.installAddress;
    if (!a) throw new Error('the request has no new address');
    return studyStep(ctx, {
      requestRef: d.request.number,
      kind,
      product: s.productCode,
      address: {
        locality: a.locality,
        ...(a.district ? { district: a.district } : {}),
        ...(a.street ? { street: a.street } : {}),
        ...(a.number ? { number: a.number } : {}),
      },
      withNumber: false,
      holdIfNotFeasible: true,
    });
  });

  // The move: the line keeps its number on the chain reserved at the new address (the inventory
  // closes the old technical file and frees its plant), and the subscription's plant follows.
  h.task('request.relocate_line', async (ctx) => {
    const d = rd(ctx);
    const s = d.subscription;
    if (!s?.number) throw new Error('the request names no line to relocate');
    let r = await inv.service.reservation({ requestRef: d.request.number }, ctx.trx);
    if (r.status === 'reserved') {
      await inv.service.relocateIn(
        ctx.trx,
        { requestRef: d.request.number, directoryNumber: s.number },
        `relocated by request ${d.request.number}`,
        ctx.by,
      );
      // within the same exchange the line kept its equipment number: the chain as committed
      r = await inv.service.reservation({ code: r.code }, ctx.trx);
    } else if (r.status !== 'committed')
      throw new Error(`reservation ${r.code} of ${d.request.number} is ${r.status}`);
    const facts = { ...chainFacts(r), number: s.number };
    await ref.subscriptions.changeTechnicalIn(
      ctx.trx,
      s.id,
      {
        ...(r.chain.equipmentNumber ? { equipmentNumber: r.chain.equipmentNumber } : {}),
        plantRef: { ...facts, zone: d.zone ?? null, address: d.address ?? null },
      },
      `relocated by request ${d.request.number}`,
      ctx.by,
    );
    // where the line now sits, for the switch (the activation automaton moves it there)
    const relocated = { equipmentNumber: r.chain.equipmentNumber, baseStation: r.chain.baseStation };
    return { outcome: 'done', data: { technicalFile: r.code, relocated } };
  });

  h.task('request.choose_number', async (ctx) => {
    const n = ctx.input.preferredNumber;
    if (n === undefined || n === null || n === '')
      return { data: { preferredNumber: null, numberProblem: null } };
    if (typeof n !== 'string' || !/^[0-9]{6,15}$/.test(n))
      throw new RequestError(
        'invalid',
        'request.invalid',
        'preferredNumber must be 6 to 15 digits',
        'data.preferredNumber',
      );
    return { data: { preferredNumber: n, numberProblem: null } };
  });

  const assigned = (ctx: TaskContext, r: Reservation) => {
    if (!r.directoryNumber) throw new Error(`reservation ${r.code} has no number`);
    ctx.setLine(r.directoryNumber);
    return {
      outcome: 'assigned',
      data: {
        line: {
          number: r.directoryNumber,
          reservation: r.code,
          ...(r.chain.sim ? { sim: r.chain.sim.iccid } : {}),
          ...(r.chain.equipmentNumber ? { equipmentNumber: r.chain.equipmentNumber } : {}),
        },
      },
    };
  };

  // Number assignment from the reservation: the number the study reserved (the customer's choice
  // when they made one), or one the inventory adds to the reservation now.
  h.task('request.assign_number', async (ctx) => {
    const d = rd(ctx);
    if (!d.product) throw new Error('no product');
    const r = await inv.service.assignNumberIn(
      ctx.trx,
      {
        requestRef: d.request.number,
        product: d.product.code,
        ...(d.preferredNumber ? { preferredNumber: d.preferredNumber } : {}),
      },
      ctx.by,
    );
    return assigned(ctx, r);
  });

  // Scenario versions before the inventory: an agent typed the number; the inventory reserves it.
  h.task('request.reserve_number', async (ctx) => {
    const d = rd(ctx);
    const number = ctx.input.directoryNumber;
    if (typeof number !== 'string' || !/^[0-9]{6,15}$/.test(number))
      throw new RequestError(
        'invalid',
        'request.invalid',
        'directoryNumber must be 6 to 15 digits',
        'data.directoryNumber',
      );
    if (!d.product) throw new Error('no product');
    let r: Reservation;
    try {
      r = await inv.service.assignNumberIn(
        ctx.trx,
        { requestRef: d.request.number, product: d.product.code, preferredNumber: number },
        ctx.by,
      );
    } catch (err) {
      if (codeOf(err) === 'number.unavailable')
        throw new RequestError(
          'conflict',
          'request.reserved',
          (err as Error).message,
          'data.directoryNumber',
        );
      throw err;
    }
    if (!d.inventoryCompensation)
      ctx.compensate('request.release_inventory', { requestRef: d.request.number });
    const out = assigned(ctx, r);
    return { data: { ...out.data, inventoryCompensation: true } };
  });

  // SIM replacement: the agent hands over a card from the shop's stock; it must be one.
  h.task('request.reserve_sim', async (ctx) => {
    const sim = ctx.input.simIccid;
    if (typeof sim !== 'string' || !/^[0-9]{18,20}$/.test(sim))
      throw new RequestError(
        'invalid',
        'request.invalid',
        'simIccid must be 18 to 20 digits',
        'data.simIccid',
      );
    const card = await inv.sims.get(sim).catch((err: unknown) => {
      if (codeOf(err) === 'sim.not_found')
        throw new RequestError(
          'invalid',
          'request.invalid',
          `SIM card ${sim} is not in the stock`,
          'data.simIccid',
        );
      throw err;
    });
    if (card.status !== 'in_stock' && card.status !== 'allocated')
      throw new RequestError(
        'conflict',
        'request.reserved',
        `SIM card ${sim} is ${card.status}, not a card from stock`,
        'data.simIccid',
      );
    return { data: { newSim: sim } };
  });

  // Set-up: the subscription is created active with its number, SIM, equipment number and plant,
  // then the reservation becomes the line's technical file (last, so a failure before it leaves
  // the reservation whole; a commit already done by an interrupted attempt is recognised).
  h.task('request.activate_line', async (ctx) => {
    const d = rd(ctx);
    if (!d.product) throw new Error('no product to activate');
    const r = await inv.service.reservation({ requestRef: d.request.number }, ctx.trx);
    if (r.status !== 'reserved' && r.status !== 'committed')
      throw new Error(`reservation ${r.code} of ${d.request.number} is ${r.status}`);
    if (!r.directoryNumber) throw new Error(`reservation ${r.code} has no number`);
    const facts = chainFacts(r);
    const id = await ref.subscriptions.createIn(
      ctx.trx,
      d.customer.code,
      {
        productCode: d.product.code,
        payerId: d.payerId,
        directoryNumber: r.directoryNumber,
        ...(r.chain.sim ? { simIccid: r.chain.sim.iccid } : {}),
      },
      ctx.by,
    );
    await ref.subscriptions.changeTechnicalIn(
      ctx.trx,
      id,
      {
        ...(r.chain.equipmentNumber ? { equipmentNumber: r.chain.equipmentNumber } : {}),
        plantRef: { ...facts, zone: d.zone ?? null, address: d.address ?? null },
      },
      `set up by request ${d.request.number}`,
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
    if (r.status === 'reserved') await inv.service.commitIn(ctx.trx, { code: r.code }, ctx.by);
    ctx.setLine(r.directoryNumber);
    return { outcome: 'done', data: { createdSubscriptionId: id, technicalFile: r.code } };
  });

  h.task('request.swap_sim', async (ctx) => {
    const d = rd(ctx);
    if (!d.subscription || typeof d.newSim !== 'string') throw new Error('no line or no new SIM');
    const newSim = d.newSim;
    await ref.subscriptions.changeTechnicalIn(
      ctx.trx,
      d.subscription.id,
      { simIccid: newSim },
      `SIM replaced by request ${d.request.number}`,
      ctx.by,
    );
    // The number moves to the new card in the inventory (the old one is retired), unless an
    // interrupted attempt already did it.
    const card = await inv.sims.get(newSim);
    if (card.status !== 'active') {
      if (!d.subscription.sim) throw new Error('the line has no SIM card on record to replace');
      await inv.sims.replaceIn(
        ctx.trx,
        d.subscription.sim,
        { newIccid: newSim, reason: `request ${d.request.number}` },
        ctx.by,
      );
    }
    return { outcome: 'done', data: { oldSim: d.subscription.sim } };
  });

  // Termination: the subscription ends, its deposits first pay what the payer owes and the rest
  // is refunded (a settlement receipt each), and the inventory ceases the line (plant freed for
  // the next customer, number to quarantine, SIM out of circulation).
  h.task('request.terminate', async (ctx) => {
    const d = rd(ctx);
    if (!d.subscription) throw new Error('no line');
    await ref.subscriptions.changeStatusIn(
      ctx.trx,
      d.subscription.id,
      { status: 'terminated', reason: `request ${d.request.number}` },
      ctx.by,
    );
    for (const depositId of await billing.ledger.depositsOfSubscription(ctx.trx, d.subscription.id))
      await billing.ledger.settleDeposit(
        ctx.trx,
        depositId,
        `line terminated by request ${d.request.number}`,
        ctx.now,
        ctx.by,
      );
    const number = d.subscription.number;
    let ceased: string | null = null;
    if (number) {
      const line = await inv.service.line(number, ctx.trx).catch((err: unknown) => {
        // lines set up before the inventory existed have no technical file: nothing to free
        if (codeOf(err) === 'inventory.not_found' || codeOf(err) === 'line.not_found') return undefined;
        throw err;
      });
      if (line && line.status === 'active') {
        await inv.service.ceaseIn(ctx.trx, number, `terminated by request ${d.request.number}`, ctx.by);
        ceased = number;
      } else if (line) ceased = number;
    }
    return { outcome: 'done', data: { ceasedInInventory: ceased } };
  });

  // Compensation on cancel or reject: the reservation goes back (its capacity may resume other
  // held requests) and a pending hold leaves the inventory's pending requests.
  // Both run in the ending transaction: if it rolls back, the reservation stays whole.
  const releaseInventory = async (trx: Tx, requestRef: string, by: Actor) => {
    const r = await inv.service.reservation({ requestRef }, trx).catch((err: unknown) => {
      if (codeOf(err) === 'reservation.not_found') return undefined;
      throw err;
    });
    if (r?.status === 'reserved')
      await inv.service.releaseIn(trx, { code: r.code }, 'the request did not go ahead', by);
    await inv.pending.cancelIn(trx, requestRef, by).catch((err: unknown) => {
      if (codeOf(err) !== 'inventory.not_found') throw err;
    });
  };
  h.compensation('request.release_inventory', async (ctx) => {
    await releaseInventory(ctx.trx, String(ctx.payload.requestRef), ctx.by);
  });
  // Compensations recorded by scenario versions before the inventory.
  h.compensation('request.release_reservation', async (ctx) => {
    const d = ctx.instance.data as RequestData;
    await releaseInventory(ctx.trx, d.request.number, ctx.by);
  });
}

/**
 * Automatic resume: when the inventory re-studies a held request and reserves for it, the request's
 * `wait_capacity` hold is resumed. Runs detached from the inventory's call (which may come from a
 * worker batch still holding instance locks), one transaction per request; a failure is reported
 * and left to the hold's periodic recheck.
 */
export function wireAutomaticResume(
  inv: InventoryServices,
  wf: WorkflowServices,
  onError: (err: unknown) => void,
): { settled: () => Promise<void> } {
  const running = new Set<Promise<void>>();
  inv.pending.onResumed((resumed) => {
    const p = (async () => {
      for (const r of resumed) {
        try {
          await wf.signal(PENDING_RESUMED, { requestRef: r.requestRef }, SYSTEM);
        } catch (err) {
          onError(err);
        }
      }
    })();
    running.add(p);
    void p.finally(() => running.delete(p));
  });
  return {
    settled: async () => {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
