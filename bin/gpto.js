#!/usr/bin/env node
import('../dist/cli/main.js').catch((err) => {
  process.stderr.write(`gpto: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
