import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import type { CapacitySignal } from './capacity.js';
import type { RowReader } from './csv.js';
import { plantWriters } from './plant.writers.js';

/**
 * The CSV file formats of the plant, one per resource type: its columns, how a row becomes a plant
 * writer call (validated field by field, reasons collected), its key for the report, and its export.
 */

const CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$/;

export interface TypeSpec {
  columns: string[];
  /** Reads one row into a writer call; returns null when the row has reasons to be rejected. */
  read: (
    r: RowReader,
  ) => ((trx: Executor, signals: CapacitySignal[]) => Promise<{ created: boolean }>) | null;
  key: (row: Record<string, string>) => string | null;
  export: (db: Executor) => Promise<Record<string, unknown>[]>;
}

const code = (r: RowReader, col: string, required = true) => r.text(col, { required, pattern: CODE });
const opt = (v: string | null) => v ?? undefined;

export const SPECS: Record<string, TypeSpec> = {
  sites: {
    columns: ['code', 'name', 'locality', 'district'],
    key: (row) => row.code ?? null,
    read: (r) => {
      const v = {
        code: code(r, 'code'),
        name: r.text('name', { max: 200 }),
        locality: r.text('locality', { max: 100 }),
        district: r.text('district', { required: false, max: 100 }),
      };
      return r.reasons.length
        ? null
        : (trx) =>
            plantWriters.site(trx, {
              code: v.code as string,
              name: v.name as string,
              locality: v.locality as string,
              district: v.district,
            });
    },
    export: async (db) =>
      (
        await sql<
          Record<string, unknown>
        >`SELECT code, name, locality, district FROM inv_site ORDER BY code`.execute(db)
      ).rows,
  },
  switches: {
    columns: ['code', 'site', 'name', 'model'],
    key: (row) => row.code ?? null,
    read: (r) => {
      const v = {
        code: code(r, 'code'),
        site: code(r, 'site'),
        name: r.text('name', { max: 200 }),
        model: r.text('model', { required: false, max: 100 }),
      };
      return r.reasons.length
        ? null
        : (trx) =>
            plantWriters.switch(trx, {
              code: v.code as string,
              site: v.site as string,
              name: v.name as string,
              model: v.model,
            });
    },
    export: async (db) =>
      (
        await sql<
          Record<string, unknown>
        >`SELECT w.code, s.code AS site, w.name, w.model FROM inv_switch w JOIN inv_site s ON s.id = w.site_id ORDER BY w.code`.execute(
          db,
        )
      ).rows,
  },
  mdfs: {
    columns: ['code', 'site', 'name'],
    key: (row) => row.code ?? null,
    read: (r) => {
      const v = { code: code(r, 'code'), site: code(r, 'site'), name: r.text('name', { max: 200 }) };
      return r.reasons.length
        ? null
        : (trx) =>
            plantWriters.mdf(trx, { code: v.code as string, site: v.site as string, name: v.name as string });
    },
    export: async (db) =>
      (
        await sql<
          Record<string, unknown>
        >`SELECT m.code, s.code AS site, m.name FROM inv_mdf m JOIN inv_site s ON s.id = m.site_id ORDER BY m.code`.execute(
          db,
        )
      ).rows,
  },
  sdfs: {
    columns: ['code', 'site', 'name', 'locality', 'district'],
    key: (row) => row.code ?? null,
    read: (r) => {
      const v = {
        code: code(r, 'code'),
        site: code(r, 'site'),
        name: r.text('name', { max: 200 }),
        locality: r.text('locality', { max: 100 }),
        district: r.text('district', { required: false, max: 100 }),
      };
      return r.reasons.length
        ? null
        : (trx) =>
            plantWriters.sdf(trx, {
              code: v.code as string,
              site: v.site as string,
              name: v.name as string,
              locality: v.locality as string,
              district: v.district,
            });
    },
    export: async (db) =>
      (
        await sql<
          Record<string, unknown>
        >`SELECT d.code, s.code AS site, d.name, d.locality, d.district FROM inv_sdf d JOIN inv_site s ON s.id = d.site_id ORDER BY d.code`.execute(
          db,
        )
      ).rows,
  },
  cps: {
    columns: ['code', 'sdf', 'name', 'locality', 'district', 'street'],
    key: (row) => row.code ?? null,
    read: (r) => {
      const v = {
        code: code(r, 'code'),
        sdf: code(r, 'sdf'),
        name: r.text('name', { max: 200 }),
        locality: r.text('locality', { max: 100 }),
        district: r.text('district', { required: false, max: 100 }),
        street: r.text('street', { required: false, max: 200 }),
      };
      return r.reasons.length
        ? null
        : (trx) =>
            plantWriters.cp(trx, {
              code: v.code as string,
              sdf: v.sdf as string,
              name: v.name as string,
              locality: v.locality as string,
              district: v.district,
              street: v.street,
            });
    },
    export: async (db) =>
      (
        await sql<
          Record<string, unknown>
        >`SELECT c.code, d.code AS sdf, c.name, c.locality, c.district, c.street FROM inv_cp c JOIN inv_sdf d ON d.id = c.sdf_id ORDER BY c.code`.execute(
          db,
        )
      ).rows,
  },
  cables: {
    columns: ['code', 'kind', 'mdf', 'sdf', 'cp', 'pairs', 'bundle', 'head', 'lead'],
    key: (row) => row.code ?? null,
    read: (r) => {
      const v = {
        code: code(r, 'code'),
        kind: r.oneOf('kind', ['primary', 'distribution'] as const),
        mdf: code(r, 'mdf', false),
        sdf: code(r, 'sdf'),
        cp: code(r, 'cp', false),
        pairs: r.int('pairs', 1, 10000),
        bundle: r.text('bundle', { required: false, max: 100 }),
        head: r.text('head', { required: false, max: 100 }),
        lead: r.text('lead', { required: false, max: 100 }),
      };
      if (r.reasons.length) return null;
      return (trx, signals) =>
        plantWriters.cable(
          trx,
          {
            code: v.code as string,
            kind: v.kind as 'primary',
            mdf: opt(v.mdf),
            sdf: v.sdf as string,
            cp: opt(v.cp),
            pairs: v.pairs as number,
            bundle: v.bundle,
            head: v.head,
            lead: v.lead,
          },
          signals,
        );
    },
    export: async (db) =>
      (
        await sql<Record<string, unknown>>`
          SELECT c.code, c.kind, m.code AS mdf, d.code AS sdf, cp.code AS cp, c.pair_count AS pairs, c.bundle, c.head, c.lead
          FROM inv_cable c JOIN inv_sdf d ON d.id = c.sdf_id LEFT JOIN inv_mdf m ON m.id = c.mdf_id LEFT JOIN inv_cp cp ON cp.id = c.cp_id
          ORDER BY c.code`.execute(db)
      ).rows,
  },
  ports: {
    columns: ['switch', 'mdf', 'shelf', 'card', 'ports'],
    key: (row) => `${row.switch ?? ''}/${row.shelf ?? ''}/${row.card ?? ''}`,
    read: (r) => {
      const v = {
        switch: code(r, 'switch'),
        mdf: code(r, 'mdf'),
        shelf: r.int('shelf', 0, 999),
        card: r.int('card', 0, 999),
        ports: r.int('ports', 1, 10000),
      };
      if (r.reasons.length) return null;
      return async (trx, signals) => {
        const out = await plantWriters.ports(
          trx,
          v as { switch: string; mdf: string; shelf: number; card: number; ports: number },
          signals,
        );
        return { created: out.added > 0 };
      };
    },
    export: async (db) =>
      (
        await sql<Record<string, unknown>>`
          SELECT w.code AS switch, m.code AS mdf, p.shelf, p.card, count(*)::int AS ports
          FROM inv_port p JOIN inv_switch w ON w.id = p.switch_id
          LEFT JOIN inv_mdf_position pos ON pos.id = p.mdf_position_id LEFT JOIN inv_mdf m ON m.id = pos.mdf_id
          GROUP BY w.code, m.code, p.shelf, p.card ORDER BY w.code, p.shelf, p.card`.execute(db)
      ).rows,
  },
  base_stations: {
    columns: ['code', 'site', 'name', 'capacity'],
    key: (row) => row.code ?? null,
    read: (r) => {
      const v = {
        code: code(r, 'code'),
        site: code(r, 'site'),
        name: r.text('name', { max: 200 }),
        capacity: r.int('capacity', 0, 1_000_000),
      };
      return r.reasons.length
        ? null
        : (trx, signals) =>
            plantWriters.baseStation(
              trx,
              v as { code: string; site: string; name: string; capacity: number },
              signals,
            );
    },
    export: async (db) =>
      (
        await sql<
          Record<string, unknown>
        >`SELECT b.code, s.code AS site, b.name, b.capacity, b.used, b.status FROM inv_base_station b JOIN inv_site s ON s.id = b.site_id ORDER BY b.code`.execute(
          db,
        )
      ).rows,
  },
  serving_areas: {
    columns: ['locality', 'district', 'street', 'cp', 'base_station'],
    key: (row) => `${row.locality ?? ''}/${row.district ?? ''}/${row.street ?? ''}`,
    read: (r) => {
      const v = {
        locality: r.text('locality', { max: 100 }),
        district: r.text('district', { required: false, max: 100 }),
        street: r.text('street', { required: false, max: 200 }),
        cp: code(r, 'cp', false),
        bs: code(r, 'base_station', false),
      };
      if (!v.cp === !v.bs) r.reasons.push('cp, base_station: exactly one of them');
      if (r.reasons.length) return null;
      return (trx, signals) =>
        plantWriters.servingArea(
          trx,
          {
            locality: v.locality as string,
            district: v.district,
            street: v.street,
            cp: opt(v.cp),
            baseStation: opt(v.bs),
          },
          signals,
        );
    },
    export: async (db) =>
      (
        await sql<Record<string, unknown>>`
          SELECT a.locality, a.district, a.street, cp.code AS cp, bs.code AS base_station FROM inv_serving_area a
          LEFT JOIN inv_cp cp ON cp.id = a.cp_id LEFT JOIN inv_base_station bs ON bs.id = a.base_station_id
          ORDER BY a.locality_norm, a.district_norm, a.street_norm, cp.code, bs.code`.execute(db)
      ).rows,
  },
  shops: {
    columns: ['code', 'name', 'locality'],
    key: (row) => row.code ?? null,
    read: (r) => {
      const v = {
        code: code(r, 'code'),
        name: r.text('name', { max: 200 }),
        locality: r.text('locality', { max: 100 }),
      };
      if (r.reasons.length) return null;
      return async (trx) => {
        const x = await sql<{ created: boolean }>`
          INSERT INTO inv_shop (code, name, locality) VALUES (${(v.code as string).toUpperCase()}, ${v.name}, ${v.locality})
          ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, locality = EXCLUDED.locality RETURNING (xmax = 0) AS created`.execute(
          trx,
        );
        return { created: x.rows[0]?.created ?? false };
      };
    },
    export: async (db) =>
      (
        await sql<Record<string, unknown>>`SELECT code, name, locality FROM inv_shop ORDER BY code`.execute(
          db,
        )
      ).rows,
  },
};

/** Export-only views: the pairs and the SIM stock (never its secrets). */
export const EXPORT_ONLY: Record<string, { columns: string[]; export: TypeSpec['export'] }> = {
  pairs: {
    columns: ['cable', 'kind', 'number', 'status', 'sdf', 'cp', 'mdf_position'],
    export: async (db) =>
      (
        await sql<Record<string, unknown>>`
          SELECT c.code AS cable, p.kind, p.number, p.status, d.code AS sdf, cp.code AS cp, pos.position AS mdf_position
          FROM inv_pair p JOIN inv_cable c ON c.id = p.cable_id JOIN inv_sdf d ON d.id = p.sdf_id
          LEFT JOIN inv_cp cp ON cp.id = p.cp_id LEFT JOIN inv_mdf_position pos ON pos.id = p.mdf_position_id
          ORDER BY c.code, p.number LIMIT 1000000`.execute(db)
      ).rows,
  },
  sims: {
    columns: ['iccid', 'imsi', 'batch', 'status', 'shop', 'directory_number'],
    export: async (db) =>
      (
        await sql<Record<string, unknown>>`
          SELECT s.iccid, s.imsi, b.code AS batch, s.status, sh.code AS shop, s.directory_number
          FROM inv_sim s JOIN inv_sim_batch b ON b.id = s.batch_id LEFT JOIN inv_shop sh ON sh.id = s.shop_id
          ORDER BY s.iccid LIMIT 1000000`.execute(db)
      ).rows,
  },
};

export const IMPORT_TYPES = Object.keys(SPECS);
export const EXPORT_TYPES = [...IMPORT_TYPES, ...Object.keys(EXPORT_ONLY)];
