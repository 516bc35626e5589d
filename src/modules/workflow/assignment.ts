import { sql } from 'kysely';
import type { Executor } from '../../platform/db.js';
import { getPath, type Data } from './routing.js';
import type { Assignment } from './scenario.schema.js';
import type { Static } from '@sinclair/typebox';

/**
 * Push assignment within an actor: among the actor's active agents, keep those of the request's
 * zone (or with the skill), then give the task to the least loaded. No candidate: the task stays in
 * the actor's basket for anyone to take, and the explanation says why.
 */
export async function pickAssignee(
  db: Executor,
  actor: string,
  rule: Static<typeof Assignment>,
  data: Data,
): Promise<{ userId: number | null; why: string }> {
  let q = db
    .selectFrom('user_actor as ua')
    .innerJoin('app_user as u', 'u.id', 'ua.user_id')
    .select([
      'u.id',
      'u.username',
      sql<number>`(SELECT count(*) FROM wf_task t WHERE t.assignee_id = u.id AND t.status IN ('ready', 'claimed'))::int`.as(
        'load',
      ),
    ])
    .where('ua.actor_code', '=', actor)
    .where('u.active', '=', true);
  let criterion = 'all agents';
  if (rule.strategy === 'zone') {
    const zone = getPath(data, rule.zonePath ?? 'zone');
    if (typeof zone !== 'string' || zone === '')
      return {
        userId: null,
        why: `the request has no zone (${rule.zonePath ?? 'zone'}): left in the basket`,
      };
    q = q.where(sql<string>`upper(u.zone)`, '=', zone.toUpperCase());
    criterion = `agents of zone ${zone.toUpperCase()}`;
  } else if (rule.strategy === 'skill') {
    if (!rule.skill) return { userId: null, why: 'no skill named: left in the basket' };
    q = q.where(sql<boolean>`${rule.skill} = ANY(u.skills)`);
    criterion = `agents with skill ${rule.skill}`;
  }
  const rows = await q.orderBy('load').orderBy('u.id').limit(1).execute();
  const pick = rows[0];
  if (!pick) return { userId: null, why: `no ${criterion} in ${actor}: left in the basket` };
  return {
    userId: pick.id,
    why: `${pick.username}: least loaded of the ${criterion} in ${actor} (${pick.load} open tasks)`,
  };
}
