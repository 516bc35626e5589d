import type { TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../platform/auth/auth.service.js';
import { actorOf } from '../../platform/auth/auth.service.js';
import type { Right } from '../../platform/auth/rights.js';
import { DomainError } from '../../platform/errors.js';
import type { Actor } from '../../platform/events.js';
import { principalOf } from '../../platform/http/auth-hook.js';
import { toProblem } from '../../platform/http/problem.js';

/**
 * The TM Forum Open API v4 conventions, written once: every facade (TMF629, TMF622…) declares its
 * resources as adapters over GPTo's own services and this file gives them the common behaviour —
 * base paths, `id`/`href`/`@type`, bare-array lists with `offset`/`limit` and the count headers,
 * exact-match filters, `fields` projection, merge-patch, 201 + Location, 404s and the TMF error shape.
 */

export type TmfObject = Record<string, unknown> & { id: string; href?: string; '@type'?: string };

export interface TmfContext {
  principal: Principal;
  actor: Actor;
  /** Absolute href of a resource of any facade: `href('party', 'individual', 'C000012')`. */
  href(api: string, path: string, id: string): string;
  /** The route's path parameters, for a resource nested in another (`processFlow/:processFlowId/taskFlow`). */
  params?: Record<string, string>;
  /** The request's `Prefer` header (RFC 7240), e.g. `respond-async`. */
  prefer?: string;
}

/**
 * An answer other than the usual one of a create/patch/remove: TMF640's monitor pattern answers a
 * long-running operation with 202 and the Monitor, or adds a header (a Link to the monitor).
 */
export class TmfReply {
  constructor(
    readonly status: number,
    readonly body: TmfObject | undefined,
    readonly headers: Record<string, string> = {},
  ) {}
}

export interface TmfListQuery {
  offset: number;
  limit: number;
  /** The filters this adapter declared in `pushdown` (attribute → values, any of which matches). */
  filters: Record<string, string[]>;
}

export interface TmfListResult<T> {
  items: T[];
  /** Number of resources matching the pushed-down filters, all pages together. */
  total: number;
}

export interface TmfResourceDef<T extends TmfObject = TmfObject> {
  /** Path segment under the API's base path, e.g. `customer`. */
  path: string;
  /** The resource's `@type`, e.g. `Customer`. */
  type: string;
  read: Right;
  write?: Right;
  /**
   * Filters the adapter evaluates in SQL. Any other attribute filter is applied here on the mapped
   * objects over at most SCAN_CAP candidates, so it stays exact but bounded.
   */
  pushdown?: readonly string[];
  list(q: TmfListQuery, ctx: TmfContext): Promise<TmfListResult<T>>;
  get(id: string, ctx: TmfContext): Promise<T | undefined>;
  create?(body: Record<string, unknown>, ctx: TmfContext): Promise<T | TmfReply>;
  /** Merge-patch; undefined when the id is unknown. */
  patch?(id: string, body: Record<string, unknown>, ctx: TmfContext): Promise<T | TmfReply | undefined>;
  /** False when the id is unknown. */
  remove?(id: string, ctx: TmfContext): Promise<boolean | TmfReply>;
  createSchema?: TSchema;
  patchSchema?: TSchema;
  /** Events the hub publishes for this resource (see hub.ts). */
  events?: TmfEventMapping;
}

export type TmfEventSuffix =
  | 'CreateEvent'
  | 'AttributeValueChangeEvent'
  | 'StateChangeEvent'
  /** TMF621 names its state change so. */
  | 'StatusChangeEvent'
  | 'DeleteEvent';

/**
 * Which rows of GPTo's event journal become which TMF notifications (`<@type><suffix>`, e.g.
 * CustomerStateChangeEvent). The hub reads the journal's rows of `entityTypes`, asks `classify`,
 * then `idOf` for the TMF id when it differs from the journal's entity id (a customer's numeric id
 * → its code), then the resource's `get` for the notification's body.
 */
export interface TmfEventMapping {
  entityTypes: readonly string[];
  classify(event: { kind: string; payload: unknown }): TmfEventSuffix | null;
  /** Undefined: the row is not about this resource (e.g. an Organization's row for Individual). */
  idOf?(entityId: string, event: { kind: string; payload: unknown }): Promise<string | undefined>;
  /**
   * The resource as this journal row left it, where the row says more than a read at delivery (a
   * state change's new state): the notification shows that instead of the current value.
   */
  atEvent?(resource: TmfObject, event: { kind: string; payload: unknown }): TmfObject;
}

export interface TmfApiDef {
  /** The API name in the base path: `/tmf-api/<name>/v4`. */
  name: string;
  /** e.g. `TMF629 Customer Management`. */
  title: string;
  resources: TmfResourceDef[];
}

/** Filters beyond the pushed-down ones are evaluated on at most this many candidates. */
export const SCAN_CAP = 2000;
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;
const RESERVED = new Set(['offset', 'limit', 'fields', 'sort']);
/** Always kept by a `fields` projection: without them a client cannot follow or type a result. */
const ALWAYS = ['id', 'href', '@type', '@baseType', '@referredType'];

export function basePathOf(api: string): string {
  return `/tmf-api/${api}/v4`;
}

/** The TMF v4 Error resource; `field` names the input at fault (GPTo's rule for every error). */
export interface TmfError {
  code: string;
  reason: string;
  message: string;
  status: string;
  field?: string;
  '@type': 'Error';
}

function toTmfError(err: unknown, request: FastifyRequest): { status: number; body: TmfError } {
  const p = toProblem(err, request);
  return {
    status: p.status,
    body: {
      code: p.code,
      reason: p.title,
      message: p.detail,
      status: String(p.status),
      ...(p.field ? { field: p.field } : {}),
      '@type': 'Error',
    },
  };
}

/** Answers an error in the TMF shape (the facades' scopes, and framework errors on their URLs). */
export function sendTmfError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toTmfError(err, request);
  return send(reply, e.status, e.body);
}

export function isTmfUrl(url: string): boolean {
  return url.startsWith('/tmf-api/');
}

export function tmfInvalid(field: string, message: string): DomainError {
  return new DomainError('invalid', 'tmf.invalid', `${field}: ${message}`, field);
}

function notFound(type: string, id: string): DomainError {
  return new DomainError('not_found', 'tmf.not_found', `${type} ${id} does not exist`, 'id');
}

export function publicBaseOf(request: FastifyRequest): string {
  const configured = process.env.GPTO_PUBLIC_URL;
  if (configured) return configured.replace(/\/$/, '');
  return `${request.protocol}://${request.host}`;
}

function contextOf(request: FastifyRequest): TmfContext {
  const principal = principalOf(request);
  const base = publicBaseOf(request);
  return {
    principal,
    actor: actorOf(principal),
    href: (api, path, id) => `${base}${basePathOf(api)}/${path}/${encodeURIComponent(id)}`,
    params: (request.params ?? {}) as Record<string, string>,
    ...(typeof request.headers.prefer === 'string' ? { prefer: request.headers.prefer } : {}),
  };
}

function intParam(raw: unknown, name: string, min: number, max: number, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < min || n > max) {
    throw tmfInvalid(name, `must be an integer between ${min} and ${max}`);
  }
  return n;
}

/** `fields=name,engagedParty.id` → top-level attributes kept (a nested path keeps its root). */
export function project(obj: TmfObject, fields: string[] | undefined): TmfObject {
  if (!fields) return obj;
  const keep = new Set([...ALWAYS, ...fields.map((f) => f.split('.')[0] as string)]);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (keep.has(k)) out[k] = v;
  return out as TmfObject;
}

/** Values at a dotted path; arrays along the way fan out (`relatedParty.id` over every party). */
export function valuesAt(obj: unknown, path: string[]): unknown[] {
  if (path.length === 0) return Array.isArray(obj) ? obj : [obj];
  if (Array.isArray(obj)) return obj.flatMap((o) => valuesAt(o, path));
  if (obj === null || typeof obj !== 'object') return [];
  const [head, ...rest] = path as [string, ...string[]];
  return valuesAt((obj as Record<string, unknown>)[head], rest);
}

/** Exact match: any value at the path equals any of the wanted ones (as text). */
export function matches(obj: unknown, attr: string, wanted: string[]): boolean {
  const found = valuesAt(obj, attr.split('.'));
  return found.some(
    (v) => v !== undefined && v !== null && typeof v !== 'object' && wanted.includes(String(v)),
  );
}

interface ParsedQuery {
  offset: number;
  limit: number;
  fields: string[] | undefined;
  pushed: Record<string, string[]>;
  local: Record<string, string[]>;
}

function parseQuery(query: Record<string, unknown>, def: TmfResourceDef): ParsedQuery {
  const offset = intParam(query.offset, 'offset', 0, 10_000_000, 0);
  const limit = intParam(query.limit, 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT);
  let fields: string[] | undefined;
  if (query.fields !== undefined) {
    if (typeof query.fields !== 'string') throw tmfInvalid('fields', 'give it once, comma-separated');
    fields = query.fields
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    if (fields.some((f) => !/^[@A-Za-z][\w@.]{0,80}$/.test(f)))
      throw tmfInvalid('fields', 'attribute names only, comma-separated');
  }
  const pushed: Record<string, string[]> = {};
  const local: Record<string, string[]> = {};
  for (const [attr, raw] of Object.entries(query)) {
    if (RESERVED.has(attr)) continue;
    if (!/^[@A-Za-z][\w@.]{0,80}$/.test(attr)) throw tmfInvalid(attr, 'is not an attribute name');
    // `a=x,y` is TMF's "any of"; a repeated parameter means the same.
    const values = [raw]
      .flat()
      .flatMap((v) => String(v).split(','))
      .filter((v) => v !== '');
    if (values.length === 0) throw tmfInvalid(attr, 'give a value to filter on');
    // An href names its id: filter on the id in SQL rather than on every mapped resource.
    if (attr === 'href' && def.pushdown?.includes('id')) {
      pushed.id = values.map((v) => decodeURIComponent(v.split('?')[0]?.split('/').pop() ?? ''));
      continue;
    }
    (def.pushdown?.includes(attr) ? pushed : local)[attr] = values;
  }
  return { offset, limit, fields, pushed, local };
}

async function listResources(
  def: TmfResourceDef,
  q: ParsedQuery,
  ctx: TmfContext,
): Promise<TmfListResult<TmfObject>> {
  const localAttrs = Object.keys(q.local);
  if (localAttrs.length === 0) {
    return def.list({ offset: q.offset, limit: q.limit, filters: q.pushed }, ctx);
  }
  const candidates = await def.list({ offset: 0, limit: SCAN_CAP, filters: q.pushed }, ctx);
  if (candidates.total > SCAN_CAP) {
    const hint = def.pushdown?.length ? `; narrow it with one of: ${def.pushdown.join(', ')}` : '';
    throw new DomainError(
      'invalid',
      'tmf.filter_too_broad',
      `${localAttrs.join(', ')}: a filter on this attribute is evaluated over at most ${SCAN_CAP} ${def.type} resources and ${candidates.total} match the other filters${hint}`,
      localAttrs[0],
    );
  }
  const all = candidates.items.filter((o) => localAttrs.every((a) => matches(o, a, q.local[a] ?? [])));
  return { items: all.slice(q.offset, q.offset + q.limit), total: all.length };
}

/**
 * One page over several sources listed one after another (faults then complaints, plant kind by
 * kind…): every source is counted, then only the sources the page overlaps are read.
 */
export async function pageAcross<S, T>(
  sources: readonly S[],
  offset: number,
  limit: number,
  count: (source: S) => Promise<number>,
  read: (source: S, offset: number, limit: number) => Promise<T[]>,
): Promise<TmfListResult<T>> {
  const counts = await Promise.all(sources.map(count));
  const items: T[] = [];
  let skip = offset;
  for (const [i, source] of sources.entries()) {
    if (items.length >= limit) break;
    const n = counts[i] ?? 0;
    if (skip >= n) {
      skip -= n;
      continue;
    }
    items.push(...(await read(source, skip, limit - items.length)));
    skip = 0;
  }
  return { items, total: counts.reduce((a, b) => a + b, 0) };
}

function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const b = request.body;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw tmfInvalid('body', 'send a JSON object');
  return b as Record<string, unknown>;
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.status(status).type('application/json; charset=utf-8').send(body);
}

function sendReply(reply: FastifyReply, r: TmfReply): FastifyReply {
  for (const [k, v] of Object.entries(r.headers)) reply.header(k, v);
  return r.body === undefined ? reply.status(r.status).send() : send(reply, r.status, r.body);
}

/** Adds the `/hub` routes of an API inside its scope (hub.ts). */
export type TmfHubRoutes = (scope: FastifyInstance, api: TmfApiDef) => void;

/** Registers one TMF API under `/tmf-api/<name>/v4` with the TMF error shape for everything under it. */
export async function registerTmfApi(
  app: FastifyInstance,
  api: TmfApiDef,
  hub?: TmfHubRoutes,
): Promise<void> {
  await app.register(
    async (scope) => {
      scope.setErrorHandler((err, request, reply) => {
        const e = toTmfError(err, request);
        return send(reply, e.status, e.body);
      });
      // TMF clients PATCH with merge-patch; the body is JSON all the same.
      scope.addContentTypeParser(
        ['application/merge-patch+json', 'application/json-patch+json'],
        { parseAs: 'string' },
        scope.getDefaultJsonParser('error', 'error'),
      );
      scope.setNotFoundHandler((request, reply) =>
        send(reply, 404, {
          code: 'route.not_found',
          reason: 'Not Found',
          message: `no route ${request.method} ${request.url.split('?')[0]}`,
          status: '404',
          '@type': 'Error',
        }),
      );
      for (const def of api.resources) registerResource(scope, api, def);
      hub?.(scope, api);
    },
    { prefix: basePathOf(api.name) },
  );
}

function registerResource(scope: FastifyInstance, api: TmfApiDef, def: TmfResourceDef): void {
  const tags = [api.title];
  const idParams = {
    type: 'object',
    properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
    required: ['id'],
  };

  scope.get(
    `/${def.path}`,
    { config: { right: def.read }, schema: { tags, summary: `List ${def.type} resources` } },
    async (request, reply) => {
      const q = parseQuery(request.query as Record<string, unknown>, def);
      const ctx = contextOf(request);
      const page = await listResources(def, q, ctx);
      reply.header('X-Total-Count', String(page.total));
      reply.header('X-Result-Count', String(page.items.length));
      return send(
        reply,
        // 200 even for a page of a longer list: the CTKs and most clients expect it.
        200,
        page.items.map((o) => project(o, q.fields)),
      );
    },
  );

  scope.get(
    `/${def.path}/:id`,
    {
      config: { right: def.read },
      schema: { tags, summary: `Read a ${def.type}`, params: idParams },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const q = parseQuery(
        { fields: (request.query as Record<string, unknown>).fields },
        { ...def, pushdown: [] },
      );
      const found = await def.get(id, contextOf(request));
      if (!found) throw notFound(def.type, id);
      return send(reply, 200, project(found, q.fields));
    },
  );

  const { create, patch, remove } = def;
  if (create && def.write) {
    scope.post(
      `/${def.path}`,
      {
        config: { right: def.write },
        schema: {
          tags,
          summary: `Create a ${def.type}`,
          ...(def.createSchema ? { body: def.createSchema } : {}),
        },
      },
      async (request, reply) => {
        const created = await create(bodyOf(request), contextOf(request));
        if (created instanceof TmfReply) return sendReply(reply, created);
        if (created.href) reply.header('Location', created.href);
        return send(reply, 201, created);
      },
    );
  }
  if (patch && def.write) {
    scope.patch(
      `/${def.path}/:id`,
      {
        config: { right: def.write },
        schema: {
          tags,
          summary: `Change a ${def.type} (JSON merge-patch)`,
          params: idParams,
          ...(def.patchSchema ? { body: def.patchSchema } : {}),
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const changed = await patch(id, bodyOf(request), contextOf(request));
        if (!changed) throw notFound(def.type, id);
        if (changed instanceof TmfReply) return sendReply(reply, changed);
        return send(reply, 200, changed);
      },
    );
  }
  if (remove && def.write) {
    scope.delete(
      `/${def.path}/:id`,
      {
        config: { right: def.write },
        schema: { tags, summary: `Delete a ${def.type}`, params: idParams },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const removed = await remove(id, contextOf(request));
        if (!removed) throw notFound(def.type, id);
        if (removed instanceof TmfReply) return sendReply(reply, removed);
        return reply.status(204).send();
      },
    );
  }
}
