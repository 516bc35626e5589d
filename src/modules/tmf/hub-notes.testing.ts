import type { App } from '../../app.js';
import type { Db } from '../../platform/db.js';
import { TmfHub } from './hub-dispatcher.js';
import { tmfApisOf } from './index.js';

export type Note = { path: string; body: Record<string, unknown> & { eventType: string } };

/**
 * For tests: the hub notifications the journal rows of `entityType` make for API `apiName`, as a
 * subscriber with `rights` would get them (the dispatcher's own mapping, no listener needed).
 */
export async function hubNotes(
  db: Db,
  app: App,
  apiName: string,
  entityType: string,
  rights: string[],
): Promise<Note[]> {
  const rows = await db
    .selectFrom('event')
    .select(['id as event_id', 'entity_type', 'entity_id', 'kind', 'payload', 'occurred_at'])
    .where('entity_type', '=', entityType)
    .orderBy('id')
    .execute();
  const apis = tmfApisOf(app.http);
  const api = apis.find((a) => a.name === apiName);
  if (!api) throw new Error(`no TMF API ${apiName}`);
  const principal = {
    userId: 1,
    username: 'listener',
    displayName: 'listener',
    rights: new Set(rights),
    roles: [],
    actors: [],
  };
  const hub = new TmfHub(db, apis);
  const out: Note[] = [];
  for (const row of rows)
    out.push(
      ...((await hub.notificationsOf(row, api, principal, 'http://gpto.test', {
        eventTypes: null,
        attributes: [],
      })) as Note[]),
    );
  return out;
}
