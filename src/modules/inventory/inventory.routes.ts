import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf } from '../../platform/auth/auth.service.js';
import { principalOf } from '../../platform/http/auth-hook.js';
import type { Actor } from '../../platform/events.js';
import { EXPORT_TYPES, IMPORT_TYPES } from './csv.specs.js';
import * as S from './inventory.schemas.js';
import { plantWriters } from './plant.writers.js';
import type { InventoryServices } from './index.js';

const by = (request: FastifyRequest): Actor => actorOf(principalOf(request));
const P = '/api/v1/inventory';
const tags = ['inventory'];
const CodeParam = Type.Object({ code: S.Code });
const IdParam = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 9007199254740991 }) });
const NumberParam = Type.Object({ number: Type.String({ pattern: '^[0-9]{6,15}$' }) });
const IccidParam = Type.Object({ iccid: Type.String({ pattern: '^[0-9]{18,20}$' }) });
const Reason = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);

/** Thin HTTP adapter over the inventory services. */
export function registerInventoryRoutes(app: FastifyInstance, inv: InventoryServices): void {
  const read = { right: 'inventory:read' } as const;
  const write = { right: 'inventory:write' } as const;
  const study = { right: 'inventory:study' } as const;

  // Fixed plant: creation (one resource at a time; bulk goes through CSV import)
  const creators: [string, unknown, (req: FastifyRequest) => Promise<unknown>][] = [
    [
      'sites',
      S.SiteCreate,
      (req) =>
        inv.plant.write(
          'site.created',
          'site',
          (t) => plantWriters.site(t, req.body as S.SiteCreate),
          req.body as S.SiteCreate,
          by(req),
        ),
    ],
    [
      'switches',
      S.SwitchCreate,
      (req) =>
        inv.plant.write(
          'switch.created',
          'switch',
          (t) => plantWriters.switch(t, req.body as S.SwitchCreate),
          req.body as S.SwitchCreate,
          by(req),
        ),
    ],
    [
      'mdfs',
      S.MdfCreate,
      (req) =>
        inv.plant.write(
          'mdf.created',
          'mdf',
          (t) => plantWriters.mdf(t, req.body as S.MdfCreate),
          req.body as S.MdfCreate,
          by(req),
        ),
    ],
    [
      'sdfs',
      S.SdfCreate,
      (req) =>
        inv.plant.write(
          'sdf.created',
          'sdf',
          (t) => plantWriters.sdf(t, req.body as S.SdfCreate),
          req.body as S.SdfCreate,
          by(req),
        ),
    ],
    [
      'cps',
      S.CpCreate,
      (req) =>
        inv.plant.write(
          'cp.created',
          'cp',
          (t) => plantWriters.cp(t, req.body as S.CpCreate),
          req.body as S.CpCreate,
          by(req),
        ),
    ],
    [
      'base-stations',
      S.BaseStationCreate,
      (req) =>
        inv.plant.write(
          'base_station.created',
          'base_station',
          (t, s) => plantWriters.baseStation(t, req.body as S.BaseStationCreate, s),
          req.body as S.BaseStationCreate,
          by(req),
        ),
    ],
    // Cables and ports extend what exists (more pairs, another card): upserts, not duplicates.
    [
      'cables',
      S.CableCreate,
      (req) =>
        inv.plant.write(
          'cable.laid',
          'cable',
          (t, s) => plantWriters.cable(t, req.body as S.CableCreate, s),
          req.body as S.CableCreate,
          by(req),
          false,
        ),
    ],
    [
      'ports',
      S.PortsCreate,
      (req) =>
        inv.plant.write(
          'ports.installed',
          'switch',
          (t, s) => plantWriters.ports(t, req.body as S.PortsCreate, s),
          { ...(req.body as S.PortsCreate), code: (req.body as S.PortsCreate).switch },
          by(req),
          false,
        ),
    ],
    [
      'serving-areas',
      S.ServingAreaCreate,
      (req) =>
        inv.plant.write(
          'serving_area.added',
          'serving_area',
          (t, s) => plantWriters.servingArea(t, req.body as S.ServingAreaCreate, s),
          req.body as S.ServingAreaCreate,
          by(req),
          false,
        ),
    ],
  ];
  for (const [path, body, handler] of creators) {
    app.post(
      `${P}/${path}`,
      { config: write, schema: { tags, body: body as typeof S.SiteCreate } },
      async (req, reply) => reply.status(201).send(await handler(req)),
    );
  }
  app.post(`${P}/shops`, { config: write, schema: { tags, body: S.ShopCreate } }, async (req, reply) => {
    const b = req.body as S.ShopCreate;
    const report = await inv.csv.import(
      'shops',
      `code,name,locality\n"${b.code}","${b.name.replace(/"/g, '""')}","${b.locality.replace(/"/g, '""')}"`,
      by(req),
    );
    return reply
      .status(report.created ? 201 : 200)
      .send({ code: b.code.toUpperCase(), created: report.created === 1 });
  });

  // Fixed plant: reading
  app.get(`${P}/sites`, { config: read, schema: { tags } }, async () => inv.queries.sites());
  app.get(
    `${P}/cps`,
    {
      config: read,
      schema: {
        tags,
        querystring: Type.Object(
          { sdf: Type.Optional(S.Code), locality: Type.Optional(Type.String({ maxLength: 100 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => inv.queries.cps(req.query as { sdf?: string; locality?: string }),
  );
  app.get(`${P}/base-stations`, { config: read, schema: { tags } }, async () => inv.queries.baseStations());
  app.get(`${P}/shops`, { config: read, schema: { tags } }, async () => inv.queries.shops());
  app.get(`${P}/cables/:code`, { config: read, schema: { tags, params: CodeParam } }, async (req) =>
    inv.queries.cable((req.params as { code: string }).code),
  );
  app.get(`${P}/pairs/:id`, { config: read, schema: { tags, params: IdParam } }, async (req) =>
    inv.queries.resource('pair', (req.params as { id: number }).id),
  );
  app.get(`${P}/ports/:id`, { config: read, schema: { tags, params: IdParam } }, async (req) =>
    inv.queries.resource('port', (req.params as { id: number }).id),
  );
  app.get(
    `${P}/equipment-numbers/:code`,
    { config: read, schema: { tags, params: CodeParam } },
    async (req) => inv.queries.portByEquipmentNumber((req.params as { code: string }).code),
  );
  app.get(`${P}/serving`, { config: read, schema: { tags, querystring: S.Address } }, async (req) =>
    inv.queries.serving(req.query as S.Address),
  );
  for (const type of ['pair', 'port'] as const) {
    app.patch(
      `${P}/${type}s/:id/status`,
      { config: write, schema: { tags, params: IdParam, body: S.StatusChange } },
      async (req) =>
        inv.plant.changeStatus(type, (req.params as { id: number }).id, req.body as S.StatusChange, by(req)),
    );
  }

  // Number pools and choose-a-number
  app.get(`${P}/number-pools`, { config: read, schema: { tags } }, async () => inv.pools.list());
  app.post(`${P}/number-pools`, { config: write, schema: { tags, body: S.PoolCreate } }, async (req, reply) =>
    reply.status(201).send(await inv.pools.create(req.body as S.PoolCreate, by(req))),
  );
  app.get(`${P}/number-pools/:code`, { config: read, schema: { tags, params: CodeParam } }, async (req) =>
    inv.pools.get((req.params as { code: string }).code),
  );
  app.post(
    `${P}/number-pools/:code/ranges`,
    { config: write, schema: { tags, params: CodeParam, body: S.RangeCreate } },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          await inv.pools.addRange((req.params as { code: string }).code, req.body as S.RangeCreate, by(req)),
        ),
  );
  app.get(
    `${P}/numbers/available`,
    { config: read, schema: { tags, querystring: S.NumberSearch } },
    async (req) => inv.pools.available(req.query as S.NumberSearch),
  );
  app.get(`${P}/numbers/:number`, { config: read, schema: { tags, params: NumberParam } }, async (req) =>
    inv.pools.number((req.params as { number: string }).number),
  );
  app.put(
    `${P}/numbers/:number/golden`,
    {
      config: write,
      schema: {
        tags,
        params: NumberParam,
        body: Type.Object({ golden: Type.Boolean() }, { additionalProperties: false }),
      },
    },
    async (req, reply) => {
      await inv.pools.setGolden(
        (req.params as { number: string }).number,
        (req.body as { golden: boolean }).golden,
        by(req),
      );
      return reply.status(204).send();
    },
  );

  // SIM stock
  app.post(
    `${P}/sims/batches`,
    { config: { right: 'sim:write' }, schema: { tags, body: S.SimImport } },
    async (req, reply) =>
      reply.status(201).send(await inv.sims.importBatch(req.body as S.SimImport, by(req))),
  );
  app.post(
    `${P}/sims/allocate`,
    { config: { right: 'sim:write' }, schema: { tags, body: S.SimAllocate } },
    async (req) => inv.sims.allocate(req.body as S.SimAllocate, by(req)),
  );
  app.get(`${P}/sims/stock`, { config: read, schema: { tags } }, async () => inv.sims.stock());
  app.get(`${P}/sims/:iccid`, { config: read, schema: { tags, params: IccidParam } }, async (req) =>
    inv.sims.get((req.params as { iccid: string }).iccid),
  );
  app.post(
    `${P}/sims/:iccid/actions`,
    { config: { right: 'sim:write' }, schema: { tags, params: IccidParam, body: S.SimActionBody } },
    async (req) => {
      const b = req.body as S.SimActionBody;
      return inv.sims.act((req.params as { iccid: string }).iccid, b.action, b.reason, by(req));
    },
  );
  app.post(
    `${P}/sims/:iccid/replace`,
    { config: { right: 'sim:write' }, schema: { tags, params: IccidParam, body: S.SimReplace } },
    async (req) =>
      inv.sims.replace((req.params as { iccid: string }).iccid, req.body as S.SimReplace, by(req)),
  );
  app.post(
    `${P}/sims/:iccid/puk`,
    {
      config: { right: 'sim:secret' },
      schema: { tags, params: IccidParam, description: 'Discloses the PUK codes; every call is an event' },
    },
    async (req, reply) =>
      reply
        .header('cache-control', 'no-store')
        .send(await inv.sims.disclosePuk((req.params as { iccid: string }).iccid, by(req))),
  );

  // Studies, reservations, technical file
  app.post(`${P}/studies`, { config: study, schema: { tags, body: S.StudyInput } }, async (req) =>
    inv.service.study(req.body as S.StudyInput, by(req)),
  );
  app.post(
    `${P}/numbers/assign`,
    { config: study, schema: { tags, body: S.AssignNumberInput } },
    async (req) => inv.service.assignNumber(req.body as S.AssignNumberInput, by(req)),
  );
  app.get(`${P}/reservations/:code`, { config: read, schema: { tags, params: CodeParam } }, async (req) =>
    inv.service.reservation({ code: (req.params as { code: string }).code }),
  );
  app.post(
    `${P}/reservations/:code/release`,
    { config: study, schema: { tags, params: CodeParam, body: Reason } },
    async (req) =>
      inv.service.release(
        { code: (req.params as { code: string }).code },
        (req.body as { reason: string }).reason,
        by(req),
      ),
  );
  app.post(
    `${P}/reservations/:code/commit`,
    { config: study, schema: { tags, params: CodeParam } },
    async (req) => inv.service.commit({ code: (req.params as { code: string }).code }, by(req)),
  );
  app.get(
    `${P}/lines/:number`,
    { config: read, schema: { tags, params: NumberParam, description: 'The subscriber technical file' } },
    async (req) => inv.service.line((req.params as { number: string }).number),
  );
  app.post(
    `${P}/lines/:number/cease`,
    { config: study, schema: { tags, params: NumberParam, body: Reason } },
    async (req) =>
      inv.service.cease(
        (req.params as { number: string }).number,
        (req.body as { reason: string }).reason,
        by(req),
      ),
  );

  // Pending requests
  app.get(`${P}/pending`, { config: read, schema: { tags, querystring: S.PendingQuery } }, async (req) =>
    inv.pending.list(req.query as S.PendingQuery),
  );
  app.get(`${P}/pending/summary`, { config: read, schema: { tags } }, async () => inv.pending.summary());
  app.delete(
    `${P}/pending/:ref`,
    {
      config: study,
      schema: { tags, params: Type.Object({ ref: Type.String({ minLength: 1, maxLength: 60 }) }) },
    },
    async (req, reply) => {
      await inv.pending.cancel((req.params as { ref: string }).ref, by(req));
      return reply.status(204).send();
    },
  );

  // CSV
  const TypeParam = (types: string[]) => Type.Object({ type: Type.Union(types.map((t) => Type.Literal(t))) });
  app.post(
    `${P}/import/:type`,
    { config: write, schema: { tags, params: TypeParam(IMPORT_TYPES), body: S.CsvImport } },
    async (req) =>
      inv.csv.import((req.params as { type: string }).type, (req.body as S.CsvImport).csv, by(req)),
  );
  app.get(
    `${P}/export/:type`,
    { config: read, schema: { tags, params: TypeParam(EXPORT_TYPES) } },
    async (req, reply) => {
      const type = (req.params as { type: string }).type;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${type}.csv"`)
        .send(await inv.csv.export(type));
    },
  );
}
