#!/usr/bin/env node
// `npm test`: lint and type-check, then the whole suite on the embedded PostgreSQL; when
// TEST_DATABASE_URL is set (CI sets it to Debian's PostgreSQL 15), the suite runs once more there.
import { spawnSync } from 'node:child_process';

function run(label, cmd, args, env = process.env) {
  process.stdout.write(`\n=== ${label} ===\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.status !== 0) {
    process.stdout.write(`\n${label} failed\n`);
    process.exit(r.status ?? 1);
  }
}

run('type-check (tsc)', 'npx', ['tsc', '--noEmit', '-p', '.']);
run('type-check of the web UI (tsc)', 'npx', ['tsc', '--noEmit', '-p', 'web']);
run('lint (eslint)', 'npx', ['eslint', '.']);
run('format (prettier)', 'npx', ['prettier', '--check', '.']);
const { TEST_DATABASE_URL, ...embeddedEnv } = process.env;
run('tests on the embedded PostgreSQL', 'npx', ['vitest', 'run'], embeddedEnv);
if (TEST_DATABASE_URL) {
  run(`tests on ${new URL(TEST_DATABASE_URL).host}`, 'npx', ['vitest', 'run'], process.env);
} else if (process.env.CI === 'true') {
  process.stdout.write('CI=true but TEST_DATABASE_URL is not set: the Debian PostgreSQL run is missing\n');
  process.exit(1);
}
