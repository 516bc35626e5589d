import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db.js';
import { appendEvent, type Actor } from '../../platform/events.js';
import type { HandlerRegistry } from './handlers.js';
import type { ScenarioDef } from './scenario.schema.js';
import { validateScenario, type ScenarioIssue } from './scenario.validate.js';
import { simulate, type SimulationChoices, type SimulationResult } from './simulate.js';
import type { Data } from './routing.js';
import { WorkflowError } from './workflow.errors.js';

export interface ScenarioSummary {
  id: number;
  code: string;
  version: number;
  name: string;
  requestKind: string | null;
  createdAt: string;
  versions: number;
}

export interface ScenarioVersion {
  id: number;
  code: string;
  version: number;
  name: string;
  createdAt: string;
  createdBy: number | null;
  definition: ScenarioDef;
}

type VersionRow = {
  id: number;
  code: string;
  version: number;
  name: string;
  created_at: Date;
  created_by: number | null;
  definition: unknown;
};

const toVersion = (r: VersionRow): ScenarioVersion => ({
  id: r.id,
  code: r.code,
  version: r.version,
  name: r.name,
  createdAt: new Date(r.created_at).toISOString(),
  createdBy: r.created_by,
  definition: r.definition as ScenarioDef,
});

/** Scenarios are data: operators validate, version, export, import and simulate them. */
export class ScenarioService {
  constructor(
    private readonly db: Db,
    private readonly handlers: HandlerRegistry,
  ) {}

  async knownNames(db: Executor = this.db) {
    const actors = await db.selectFrom('actor').select('code').execute();
    return {
      actors: new Set(actors.map((a) => a.code)),
      handlers: new Set(this.handlers.tasks.keys()),
    };
  }

  async validate(doc: unknown): Promise<{ valid: boolean; issues: ScenarioIssue[] }> {
    const issues = validateScenario(doc, await this.knownNames());
    return { valid: issues.length === 0, issues };
  }

  async list(): Promise<ScenarioSummary[]> {
    const rows = await this.db
      .selectFrom('wf_scenario as s')
      .select([
        's.id',
        's.code',
        's.version',
        's.name',
        's.created_at',
        sql<string | null>`s.definition->>'requestKind'`.as('request_kind'),
        sql<number>`(SELECT count(*) FROM wf_scenario x WHERE x.code = s.code)::int`.as('versions'),
      ])
      .where(sql<boolean>`s.version = (SELECT max(version) FROM wf_scenario x WHERE x.code = s.code)`)
      .orderBy('s.code')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      code: r.code,
      version: r.version,
      name: r.name,
      requestKind: r.request_kind,
      createdAt: new Date(r.created_at).toISOString(),
      versions: r.versions,
    }));
  }

  /** One version (the latest when none is given). */
  async get(code: string, version?: number): Promise<ScenarioVersion> {
    let q = this.db.selectFrom('wf_scenario').selectAll().where('code', '=', code);
    q = version !== undefined ? q.where('version', '=', version) : q.orderBy('version', 'desc').limit(1);
    const row = await q.executeTakeFirst();
    if (!row)
      throw new WorkflowError(
        'not_found',
        'scenario.not_found',
        `there is no scenario ${code}${version !== undefined ? ` version ${version}` : ''}`,
      );
    return toVersion(row);
  }

  async versions(code: string): Promise<ScenarioVersion[]> {
    const rows = await this.db
      .selectFrom('wf_scenario')
      .selectAll()
      .where('code', '=', code)
      .orderBy('version')
      .execute();
    if (rows.length === 0)
      throw new WorkflowError('not_found', 'scenario.not_found', `there is no scenario ${code}`);
    return rows.map(toVersion);
  }

  /**
   * Stores a new version of a scenario after validating it. Instances already running keep the
   * version they started on; new requests take this one. An identical document is not stored twice.
   */
  async createVersion(doc: unknown, by: Actor, db: Db = this.db): Promise<ScenarioVersion> {
    const issues = validateScenario(doc, await this.knownNames(db));
    if (issues.length > 0) {
      throw new WorkflowError(
        'invalid',
        'scenario.invalid',
        `the scenario is not valid: ${issues[0]!.path}: ${issues[0]!.message}`,
        issues[0]!.path,
        {
          issues,
        },
      );
    }
    const def = doc as ScenarioDef;
    return db.transaction().execute(async (trx) => {
      // Serialise versioning of one code so two imports cannot take the same number.
      await sql`SELECT pg_advisory_xact_lock(7470100, hashtext(${def.code}))`.execute(trx);
      const last = await trx
        .selectFrom('wf_scenario')
        .selectAll()
        .where('code', '=', def.code)
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (last && JSON.stringify(last.definition) === JSON.stringify(normalise(def))) return toVersion(last);
      const row = await trx
        .insertInto('wf_scenario')
        .values({
          code: def.code,
          version: (last?.version ?? 0) + 1,
          name: def.name,
          definition: JSON.stringify(def),
          created_by: by.userId,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await appendEvent(trx, {
        entityType: 'workflow_scenario',
        entityId: row.id,
        kind: 'scenario.version_created',
        userId: by.userId,
        payload: { code: row.code, version: row.version },
      });
      return toVersion(row);
    });
  }

  /** The document of a version, ready to be saved as a file and imported elsewhere. */
  async export(code: string, version?: number): Promise<ScenarioDef> {
    return (await this.get(code, version)).definition;
  }

  /** Runs a scenario (stored, or a draft document) on some data without any side effect. */
  async simulate(
    source: { code: string; version?: number } | { definition: unknown },
    data: Data,
    choices: SimulationChoices,
  ): Promise<SimulationResult & { scenario: string; version: number | null }> {
    let def: ScenarioDef;
    let version: number | null = null;
    if ('definition' in source) {
      const issues = validateScenario(source.definition, await this.knownNames());
      if (issues.length > 0)
        throw new WorkflowError(
          'invalid',
          'scenario.invalid',
          `the scenario is not valid: ${issues[0]!.path}: ${issues[0]!.message}`,
          issues[0]!.path,
          {
            issues,
          },
        );
      def = source.definition as ScenarioDef;
    } else {
      const v = await this.get(source.code, source.version);
      def = v.definition;
      version = v.version;
    }
    return { scenario: def.code, version, ...simulate(def, data, choices) };
  }
}

/** jsonb reorders keys; compare documents the way PostgreSQL will give them back. */
function normalise(def: ScenarioDef): unknown {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
        a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0,
      );
      return Object.fromEntries(entries.map(([k, x]) => [k, sortKeys(x)]));
    }
    return v;
  };
  return sortKeys(def);
}
