import { sql } from 'kysely';
import type { Db } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import type { SecretBox, SimSecrets } from './crypto.js';
import { parseCsv, rejectImport, RowReader, type ImportReport } from './csv.js';
import type * as S from './inventory.schemas.js';

/** ICCIDs end with a Luhn check digit (ITU-T E.118): a mistyped ICCID is caught before any lookup. */
export function luhnOk(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Completes an ICCID body with its Luhn digit (for generators and tests). */
export function withLuhn(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnOk(body + d)) return body + d;
  return body + '0';
}

/**
 * Imports a manufacturer's output file (one card per row: iccid, imsi, ki, opc, pin1, puk1, pin2,
 * puk2). Secrets are sealed before they reach the database and never appear in the report: a
 * rejected row names the column, not its value. Re-importing the same batch is a no-op.
 */
export async function importSimBatch(
  db: Db,
  box: SecretBox,
  i: S.SimImport,
  by: Actor,
): Promise<ImportReport> {
  const rows = parseCsv(i.csv);
  const report: ImportReport = {
    type: 'sim',
    rows: rows.length,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: [],
  };
  const seen = new Set<string>();
  const cards: { iccid: string; imsi: string; secrets: SimSecrets }[] = [];
  rows.forEach((row, idx) => {
    const r = new RowReader(row);
    const iccid = r.text('iccid', { pattern: /^89[0-9]{16,18}$/ });
    if (iccid && /^89[0-9]{16,18}$/.test(iccid) && !luhnOk(iccid)) r.reasons.push('iccid: wrong check digit');
    const imsi = r.text('imsi', { pattern: /^[0-9]{14,15}$/ });
    const ki = r.text('ki', { pattern: /^[0-9A-Fa-f]{32}$/ });
    const opc = r.text('opc', { required: false, pattern: /^[0-9A-Fa-f]{32}$/ });
    const pin1 = r.text('pin1', { pattern: /^[0-9]{4,8}$/ });
    const puk1 = r.text('puk1', { pattern: /^[0-9]{8}$/ });
    const pin2 = r.text('pin2', { required: false, pattern: /^[0-9]{4,8}$/ });
    const puk2 = r.text('puk2', { required: false, pattern: /^[0-9]{8}$/ });
    if (iccid && seen.has(iccid)) r.reasons.push('iccid: twice in the file');
    if (imsi && seen.has(`imsi:${imsi}`)) r.reasons.push('imsi: twice in the file');
    if (iccid) seen.add(iccid);
    if (imsi) seen.add(`imsi:${imsi}`);
    if (r.reasons.length) report.rejected.push({ line: idx + 2, key: iccid, reasons: r.reasons });
    else if (iccid && imsi && ki && pin1 && puk1)
      cards.push({
        iccid,
        imsi,
        secrets: { ki: ki.toUpperCase(), opc: opc?.toUpperCase() ?? null, pin1, puk1, pin2, puk2 },
      });
  });
  if (report.rejected.length) throw rejectImport(report);
  const batchCode = i.batch.toUpperCase();
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(7470200)`.execute(trx);
    const batch = await trx
      .selectFrom('inv_sim_batch')
      .select('id')
      .where('code', '=', batchCode)
      .executeTakeFirst();
    const known = await trx
      .selectFrom('inv_sim')
      .select(['iccid', 'imsi', 'batch_id'])
      .where((eb) =>
        eb.or([
          eb(
            'iccid',
            'in',
            cards.map((c) => c.iccid),
          ),
          eb(
            'imsi',
            'in',
            cards.map((c) => c.imsi),
          ),
        ]),
      )
      .execute();
    const byIccid = new Map(known.map((k) => [k.iccid, k]));
    const imsis = new Map(known.map((k) => [k.imsi, k.iccid]));
    const fresh: typeof cards = [];
    cards.forEach((c, idx) => {
      const k = byIccid.get(c.iccid);
      if (k && batch && k.batch_id === batch.id && k.imsi === c.imsi) report.unchanged++;
      else if (k)
        report.rejected.push({
          line: idx + 2,
          key: c.iccid,
          reasons: ['iccid: already known in another batch or with another IMSI'],
        });
      else if (imsis.has(c.imsi))
        report.rejected.push({
          line: idx + 2,
          key: c.iccid,
          reasons: ['imsi: already used by another card'],
        });
      else fresh.push(c);
    });
    if (report.rejected.length) throw rejectImport(report);
    const batchId =
      batch?.id ??
      (
        await trx
          .insertInto('inv_sim_batch')
          .values({ code: batchCode, manufacturer: i.manufacturer, card_count: 0, imported_by: by.userId })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    for (let k = 0; k < fresh.length; k += 1000) {
      await trx
        .insertInto('inv_sim')
        .values(
          fresh.slice(k, k + 1000).map((c) => ({
            iccid: c.iccid,
            imsi: c.imsi,
            batch_id: batchId,
            secrets: box.seal(c.secrets, c.iccid),
          })),
        )
        .execute();
    }
    await sql`UPDATE inv_sim_batch SET card_count = (SELECT count(*) FROM inv_sim WHERE batch_id = ${batchId}) WHERE id = ${batchId}`.execute(
      trx,
    );
    report.created = fresh.length;
    await appendEvent(trx, {
      entityType: 'sim_batch',
      entityId: batchCode,
      kind: 'sim_batch.imported',
      userId: by.userId,
      payload: { manufacturer: i.manufacturer, created: report.created, unchanged: report.unchanged },
    });
  });
  return report;
}
