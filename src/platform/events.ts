import type { Executor } from './db.js';

export interface EventInput {
  entityType: string;
  entityId: string | number;
  kind: string;
  customerId?: number | null;
  lineId?: string | null;
  actor?: string | null;
  userId?: number | null;
  payload?: Record<string, unknown>;
}

/** Who is acting: every service call that changes state receives it and stamps its events with it. */
export interface Actor {
  userId: number | null;
  username: string;
  actor?: string | null;
}

export const SYSTEM: Actor = { userId: null, username: 'system', actor: null };

/** Appends events; call it with the same transaction as the change it records. */
export async function appendEvents(db: Executor, events: EventInput[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto('event')
    .values(
      events.map((e) => ({
        entity_type: e.entityType,
        entity_id: String(e.entityId),
        kind: e.kind,
        customer_id: e.customerId ?? null,
        line_id: e.lineId ?? null,
        actor: e.actor ?? null,
        user_id: e.userId ?? null,
        payload: JSON.stringify(e.payload ?? {}),
      })),
    )
    .execute();
}

export async function appendEvent(db: Executor, event: EventInput): Promise<void> {
  await appendEvents(db, [event]);
}

/** Only the fields that changed, as {field: {before, after}}: what an auditor wants to read. */
export function diff(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, { before: unknown; after: unknown }> {
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const key of Object.keys(after)) {
    const a = after[key];
    const b = before[key];
    if (a === undefined) continue;
    if (JSON.stringify(a) !== JSON.stringify(b)) changes[key] = { before: b ?? null, after: a };
  }
  return changes;
}
