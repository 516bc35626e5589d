// `npm run bench -- <name> [args]`: runs bench/<name>.ts, which exports `run(args: string[])`.
// Each benchmark prints a human-readable table and ends with ONE line of JSON holding every figure
// and its same-run baseline.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [name, ...args] = process.argv.slice(2);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: npm run bench -- <name> [args]');
  process.exit(2);
}
const file = path.join(here, `${name}.ts`);
if (!existsSync(file)) {
  console.error(`unknown benchmark "${name}" (no bench/${name}.ts)`);
  process.exit(2);
}
const mod = (await import(pathToFileURL(file).href)) as { run: (args: string[]) => Promise<void> };
await mod.run(args);
