import { sql } from 'kysely';
import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../platform/auth/auth.service.js';
import { hasRight, type Right } from '../../platform/auth/rights.js';
import type { Db } from '../../platform/db.js';
import { DomainError } from '../../platform/errors.js';
import { appendEvent } from '../../platform/events.js';
import { principalOf } from '../../platform/http/auth-hook.js';
import {
  basePathOf,
  matches,
  publicBaseOf,
  tmfInvalid,
  type TmfApiDef,
  type TmfEventSuffix,
} from './framework.js';

/**
 * TMF v4 event subscriptions (`POST|GET|DELETE <base>/hub`), registered under every API's base
 * path. A subscription receives that API's notifications, delivered by the dispatcher
 * (hub-dispatcher.ts) from the event journal, with the rights of the user who registered it.
 */

const SUFFIXES: readonly TmfEventSuffix[] = [
  'CreateEvent',
  'AttributeValueChangeEvent',
  'StateChangeEvent',
  'StatusChangeEvent',
  'DeleteEvent',
];
const ATTRIBUTE = /^[@A-Za-z][\w@.]{0,80}$/;
const MAX_CALLBACK = 2000;
const MAX_QUERY = 2000;
/** A new subscription's cursor: after every row of the current window (event ids stay far below). */
const AFTER_WINDOW = Number.MAX_SAFE_INTEGER;

/** `Customer` → `customer`, `CustomerCreateEvent` → `customerCreateEvent` (TMF listener paths). */
export function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** What a subscription's `query` keeps: event types (any of), and exact filters on the notification. */
export interface HubFilter {
  eventTypes: ReadonlySet<string> | null;
  attributes: [string, string[]][];
}

/** The event types an API can publish: each resource's @type with every TMF suffix. */
export function eventTypesOf(api: TmfApiDef): Set<string> {
  return new Set(api.resources.flatMap((r) => SUFFIXES.map((s) => `${r.type}${s}`)));
}

/**
 * `eventType=CustomerCreateEvent,CustomerStateChangeEvent&event.customer.status=active`: event
 * types are "any of" (also as a repeated `eventType`); other keys are exact-match filters on the
 * notification (`event.<resource>.<attribute path>`), as list filters are on resources. A leading
 * `?` and spaces around `=` are tolerated.
 */
function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw tmfInvalid('query', 'is not a valid URL query (bad % escape)');
  }
}

export function parseHubQuery(raw: string | null | undefined, api: TmfApiDef): HubFilter {
  const out: HubFilter = { eventTypes: null, attributes: [] };
  if (raw === null || raw === undefined || raw.trim() === '') return out;
  const known = eventTypesOf(api);
  const types = new Set<string>();
  for (const part of raw.trim().replace(/^\?/, '').split('&')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw tmfInvalid('query', `"${part}" is not attribute=value`);
    const key = decoded(part.slice(0, eq).trim());
    const values = decoded(part.slice(eq + 1))
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    if (values.length === 0) throw tmfInvalid('query', `give a value to ${key}`);
    if (key === 'eventType') {
      for (const v of values) {
        if (!known.has(v))
          throw tmfInvalid('query', `eventType ${v} is not one of ${api.name}'s: ${[...known].join(', ')}`);
        types.add(v);
      }
    } else if (ATTRIBUTE.test(key) && key.startsWith('event.')) {
      out.attributes.push([key, values]);
    } else {
      throw tmfInvalid('query', `"${key}": filter on eventType or on event.<resource>.<attribute>`);
    }
  }
  if (types.size > 0) out.eventTypes = types;
  return out;
}

export function hubAccepts(filter: HubFilter, eventType: string, notification: unknown): boolean {
  if (filter.eventTypes && !filter.eventTypes.has(eventType)) return false;
  return filter.attributes.every(([attr, values]) => matches(notification, attr, values));
}

/** http(s) only, no credentials in the URL's user part, bounded. */
export function validateCallback(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw tmfInvalid('callback', 'is required (a URL)');
  if (raw.length > MAX_CALLBACK) throw tmfInvalid('callback', `at most ${MAX_CALLBACK} characters`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw tmfInvalid('callback', 'is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw tmfInvalid('callback', 'must be an http or https URL');
  if (url.username || url.password)
    throw tmfInvalid('callback', 'must not carry credentials (user:password@)');
  if (url.hash) throw tmfInvalid('callback', 'must not have a #fragment');
  return raw.trim();
}

/** The callback as the journal records it: scheme, host and path, never a query (tokens live there). */
export function redactCallback(callback: string): string {
  const u = new URL(callback);
  return `${u.origin}${u.pathname}`;
}

export interface HubSubscription {
  id: string;
  callback: string;
  query?: string;
}

interface SubscriptionRow {
  id: number;
  api: string;
  callback: string;
  query: string | null;
  user_id: number;
}

function toTmf(r: SubscriptionRow): HubSubscription {
  return { id: String(r.id), callback: r.callback, ...(r.query !== null ? { query: r.query } : {}) };
}

/** The subscriptions' rules: who may register, see and delete them; every change journalled. */
export class TmfHubSubscriptions {
  constructor(private readonly db: Db) {}

  async create(
    api: TmfApiDef,
    body: Record<string, unknown>,
    principal: Principal,
    baseUrl: string,
  ): Promise<HubSubscription> {
    for (const k of Object.keys(body)) {
      if (k !== 'callback' && k !== 'query' && k !== '@type' && k !== '@baseType' && k !== '@schemaLocation')
        throw tmfInvalid(k, 'is not an attribute of EventSubscriptionInput (callback, query)');
    }
    const callback = validateCallback(body.callback);
    let query: string | null = null;
    if (body.query !== undefined && body.query !== null) {
      if (typeof body.query !== 'string') throw tmfInvalid('query', 'must be a string');
      if (body.query.length > MAX_QUERY) throw tmfInvalid('query', `at most ${MAX_QUERY} characters`);
      parseHubQuery(body.query, api);
      query = body.query.trim() === '' ? null : body.query;
    }
    return this.db.transaction().execute(async (trx) => {
      // FOR SHARE: the dispatcher's pruning (FOR UPDATE) waits for this subscription to exist, so
      // it never drops the windows the new cursor still points before.
      const state = await sql<{ win: number }>`SELECT win FROM tmf_hub_state FOR SHARE`.execute(trx);
      const win = state.rows[0]?.win ?? 0;
      const r = await sql<SubscriptionRow>`
        INSERT INTO tmf_hub_subscription (api, callback, query, base_url, user_id, cursor_win, cursor_event)
        VALUES (${api.name}, ${callback}, ${query}, ${baseUrl}, ${principal.userId}, ${win}, ${AFTER_WINDOW})
        RETURNING id, api, callback, query, user_id`.execute(trx);
      const row = r.rows[0]!;
      await appendEvent(trx, {
        entityType: 'tmf_subscription',
        entityId: row.id,
        kind: 'tmf_subscription.created',
        userId: principal.userId,
        payload: { api: api.name, callback: redactCallback(callback), query },
      });
      return toTmf(row);
    });
  }

  /** A subscription is visible to the user who registered it and to administrators. */
  private async find(api: TmfApiDef, id: string, principal: Principal): Promise<SubscriptionRow> {
    const row = /^\d{1,15}$/.test(id)
      ? (
          await sql<SubscriptionRow>`
          SELECT id, api, callback, query, user_id FROM tmf_hub_subscription
          WHERE id = ${Number(id)} AND api = ${api.name} AND status = 'active'`.execute(this.db)
        ).rows[0]
      : undefined;
    if (!row || (row.user_id !== principal.userId && !principal.rights.has('*')))
      throw new DomainError('not_found', 'tmf.not_found', `EventSubscription ${id} does not exist`, 'id');
    return row;
  }

  async get(api: TmfApiDef, id: string, principal: Principal): Promise<HubSubscription> {
    return toTmf(await this.find(api, id, principal));
  }

  async remove(api: TmfApiDef, id: string, principal: Principal): Promise<void> {
    const row = await this.find(api, id, principal);
    await this.db.transaction().execute(async (trx) => {
      const r = await sql`
        UPDATE tmf_hub_subscription SET status = 'deleted', deleted_at = now()
        WHERE id = ${row.id} AND status = 'active'`.execute(trx);
      if (Number(r.numAffectedRows ?? 0) === 0) return;
      await appendEvent(trx, {
        entityType: 'tmf_subscription',
        entityId: row.id,
        kind: 'tmf_subscription.deleted',
        userId: principal.userId,
        payload: { api: api.name },
      });
    });
  }
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.status(status).type('application/json; charset=utf-8').send(body);
}

function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const b = request.body;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw tmfInvalid('body', 'send a JSON object');
  return b as Record<string, unknown>;
}

/**
 * The hub's access: the read right of the API's resources — when they differ, any one of them
 * (the dispatcher then only sends the resources the subscriber may read).
 */
function hubAccess(api: TmfApiDef): { right: Right } | { authenticated: true; anyOf: Right[] } {
  const rights = [...new Set(api.resources.map((r) => r.read))];
  if (rights.length === 1) return { right: rights[0]! };
  return { authenticated: true, anyOf: rights };
}

/** `<base>/hub` routes of one API, inside its TMF scope (TMF error shape, base path prefix). */
export function registerHubRoutes(scope: FastifyInstance, api: TmfApiDef, subs: TmfHubSubscriptions): void {
  const tags = [api.title];
  const access = hubAccess(api);
  const config: FastifyContextConfig = 'right' in access ? { right: access.right } : { authenticated: true };
  const principal = (request: FastifyRequest): Principal => {
    const p = principalOf(request);
    if ('anyOf' in access && !access.anyOf.some((r) => hasRight(p.rights, r)))
      throw new DomainError(
        'forbidden',
        'auth.forbidden',
        `one of the rights ${access.anyOf.join(', ')} is required`,
      );
    return p;
  };
  const idParams = {
    type: 'object',
    properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
    required: ['id'],
  };

  scope.post(
    '/hub',
    { config, schema: { tags, summary: 'Register a listener (EventSubscription)' } },
    async (request, reply) => {
      const base = publicBaseOf(request);
      const created = await subs.create(api, bodyOf(request), principal(request), base);
      reply.header('Location', `${base}${basePathOf(api.name)}/hub/${created.id}`);
      return send(reply, 201, created);
    },
  );
  scope.get(
    '/hub/:id',
    { config, schema: { tags, summary: 'Read a listener registration', params: idParams } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      return send(reply, 200, await subs.get(api, id, principal(request)));
    },
  );
  scope.delete(
    '/hub/:id',
    { config, schema: { tags, summary: 'Unregister a listener', params: idParams } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      await subs.remove(api, id, principal(request));
      return reply.status(204).send();
    },
  );
}
