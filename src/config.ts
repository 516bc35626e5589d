import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseCollectionAt } from './modules/billing/collection-schedule.js';
import { parseDailyAt } from './platform/daily.js';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** When unset, GPTo runs its own embedded PostgreSQL in `<dataDir>/pg`. */
  databaseUrl: string | undefined;
  embeddedPgPort: number;
  adminPassword: string | undefined;
  logLevel: string;
  currency: string;
  timeZone: string;
  /** 32-byte key sealing SIM secrets (Ki, OPc, PIN/PUK) at rest: GPTO_SECRET_KEY or, embedded, `<dataDir>/secret.key`. */
  secretKey: Buffer;
  /** GPTO_COLLECTION_AT: the daily collection run, minutes after the operator's midnight (default 02:00); null = off. */
  collectionAt: number | null;
  /** GPTO_AUDIT_AT: the nightly network audit of every element (default 03:30); null = off. */
  auditAt: number | null;
  /** GPTO_SMTP_URL: where bills are e-mailed (`smtp://user:pass@host:port`); unset = they stay queued. */
  smtpUrl: string | undefined;
  /** GPTO_MAIL_FROM: the sender of the bills' e-mails. */
  mailFrom: string | undefined;
  /** GPTO_STUDY_LANES: stand-alone automatic studies run at once (more queue and share a commit); unset = the cores, at least 2. */
  studyLanes: number | undefined;
  /** GPTO_WORKFLOW_LOOPS: the workflow's automatic-step loops `gpto start` runs in its process (default 2). */
  workflowLoops: number;
  /** GPTO_WORKFLOW_BATCH: ready automatic steps a loop claims and commits together at most (default 50). */
  workflowBatch: number;
}

/** `gpto start`'s workflow loops and their batch when GPTO_WORKFLOW_LOOPS / GPTO_WORKFLOW_BATCH are unset. */
export const WORKFLOW_LOOPS_DEFAULT = 2;
export const WORKFLOW_BATCH_DEFAULT = 50;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

function int<T extends number | undefined>(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: T,
  problems: string[],
  { what, max }: { what: string; max: number } = { what: 'a port number', max: 65535 },
): number | T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    problems.push(`${name} must be ${what} between 1 and ${max} (got "${raw}")`);
    return fallback;
  }
  return n;
}

/** Reads and validates the whole configuration once, reporting every problem together. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const port = int(env, 'PORT', 8080, problems);
  const embeddedPgPort = int(env, 'GPTO_PG_PORT', 54329, problems);
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const adminPassword = env.GPTO_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && adminPassword.length < 8) {
    problems.push('GPTO_ADMIN_PASSWORD must be at least 8 characters long');
  }
  const dataDir = path.resolve(env.GPTO_DATA_DIR || 'data');
  const secretKey = secretKeyOf(env, databaseUrl, dataDir, problems);
  const collectionAt = parseCollectionAt(env.GPTO_COLLECTION_AT);
  if (collectionAt instanceof Error) problems.push(`GPTO_COLLECTION_AT ${collectionAt.message}`);
  const auditAt = parseDailyAt(env.GPTO_AUDIT_AT, '03:30');
  if (auditAt instanceof Error) problems.push(`GPTO_AUDIT_AT ${auditAt.message}`);
  const smtpUrl = env.GPTO_SMTP_URL || undefined;
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl))
    problems.push('GPTO_SMTP_URL must start with smtp:// or smtps://');
  const studyLanes = int(env, 'GPTO_STUDY_LANES', undefined, problems, { what: 'a whole number', max: 256 });
  const workflowLoops = int(env, 'GPTO_WORKFLOW_LOOPS', WORKFLOW_LOOPS_DEFAULT, problems, {
    what: 'a whole number',
    max: 64,
  });
  const workflowBatch = int(env, 'GPTO_WORKFLOW_BATCH', WORKFLOW_BATCH_DEFAULT, problems, {
    what: 'a whole number',
    max: 1000,
  });
  if (problems.length > 0) throw new ConfigError(problems);
  const config: Omit<Config, 'secretKey'> = {
    port,
    host: env.HOST || '0.0.0.0',
    dataDir: path.resolve(env.GPTO_DATA_DIR || 'data'),
    databaseUrl,
    embeddedPgPort,
    adminPassword,
    logLevel: env.LOG_LEVEL || 'info',
    currency: env.GPTO_CURRENCY || 'XOF',
    timeZone: env.GPTO_TIME_ZONE || 'Africa/Dakar',
    collectionAt: collectionAt instanceof Error ? null : collectionAt,
    auditAt: auditAt instanceof Error ? null : auditAt,
    smtpUrl,
    mailFrom: env.GPTO_MAIL_FROM || undefined,
    studyLanes,
    workflowLoops,
    workflowBatch,
  };
  if (secretKey) return { ...config, secretKey };
  // Only DATABASE_URL without GPTO_SECRET_KEY gets here. The key is asked for where it is used
  // (requireSecretKey, or the app's build) so that a command that touches no SIM secret runs
  // without it, and none ever seals with a made-up key.
  return Object.defineProperty(config, 'secretKey', {
    enumerable: true,
    get: () => {
      throw new ConfigError(['GPTO_SECRET_KEY is required with DATABASE_URL (it seals the SIM secrets)']);
    },
  }) as Config;
}

/**
 * The SIM secrets' key, or the ConfigError saying it is missing: the commands that will seal or
 * open SIM secrets (start, worker, demo, billing collect) call it first, before they write anything.
 */
export function requireSecretKey(config: Config): Buffer {
  return config.secretKey;
}

/**
 * GPTO_SECRET_KEY (64 hex digits or base64 of 32 bytes) seals SIM secrets. An embedded installation
 * without it generates one on the first start into `<dataDir>/secret.key` and reuses it; with an
 * external DATABASE_URL the key must be given, since the data may outlive this machine's disk.
 */
function secretKeyOf(
  env: NodeJS.ProcessEnv,
  databaseUrl: string | undefined,
  dataDir: string,
  problems: string[],
): Buffer | undefined {
  const parse = (raw: string): Buffer | undefined => {
    const text = raw.trim();
    const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    return key.length === 32 ? key : undefined;
  };
  const raw = env.GPTO_SECRET_KEY;
  if (raw) {
    const key = parse(raw);
    if (!key) problems.push('GPTO_SECRET_KEY must be 32 bytes: 64 hex digits or base64');
    return key;
  }
  // with DATABASE_URL and no key: not a problem for commands that never touch a SIM secret (the
  // maintenance repairs, migrate…); the first use of the key refuses (see loadConfig)
  if (databaseUrl) return undefined;
  const file = path.join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  }
  const key = parse(readFileSync(file, 'utf8'));
  if (!key) problems.push(`${file} does not hold a 32-byte key`);
  return key;
}
