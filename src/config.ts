import path from 'node:path';

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
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    problems.push(`${name} must be a port number between 1 and 65535 (got "${raw}")`);
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
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host: env.HOST || '0.0.0.0',
    dataDir: path.resolve(env.GPTO_DATA_DIR || 'data'),
    databaseUrl,
    embeddedPgPort,
    adminPassword,
    logLevel: env.LOG_LEVEL || 'info',
    currency: env.GPTO_CURRENCY || 'XOF',
    timeZone: env.GPTO_TIME_ZONE || 'Africa/Dakar',
  };
}
