import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Runs one of TM Forum's official v4 CTKs (test/tmf/ctk/<TMFxxx>, copied unmodified: their licence
 * forbids changes) with newman against a running GPTo. Like TM Forum's own runner, it configures a
 * copy in memory: the API's environment key gets the base URL, every request gets our headers
 * (the Bearer token), and the first POST of each resource the payload we give — GPTo needs real
 * references (categories, parties, products) where the kit's defaults point at nothing.
 */

export interface CtkFailure {
  request: string;
  test: string;
  message: string;
}

export interface CtkResult {
  requests: number;
  requestsFailed: number;
  assertions: number;
  assertionsFailed: number;
  failures: CtkFailure[];
}

const require = createRequire(import.meta.url);
type NewmanRun = (
  options: Record<string, unknown>,
  done: (err: Error | null, summary: NewmanSummary) => void,
) => void;
interface NewmanSummary {
  run: {
    stats: { requests: { total: number; failed: number }; assertions: { total: number; failed: number } };
    failures: { source?: { name?: string }; error: { test?: string; message?: string } }[];
  };
}

const CTK_ROOT = path.join(import.meta.dirname, 'ctk');

function findFile(dir: string, patterns: RegExp[]): string {
  const files = readdirSync(dir);
  for (const p of patterns) {
    const f = files.find((x) => p.test(x));
    if (f) return path.join(dir, f);
  }
  throw new Error(`no file matching ${patterns.join(' or ')} in ${dir}`);
}

interface Item {
  item?: Item[];
  request?: { method?: string; url?: unknown; header?: unknown; body?: unknown };
}

export async function runCtk(
  kit: 'TMF622' | 'TMF629' | 'TMF632' | 'TMF639',
  baseUrl: string,
  token: string,
  payloads: Record<string, unknown>,
): Promise<CtkResult> {
  const dir = path.join(CTK_ROOT, kit, 'ctk');
  const coll = JSON.parse(
    readFileSync(
      findFile(dir, [/\.postman_collection\.json$/, /\.testkit\.json$/, /^pmtest\.json$/]),
      'utf8',
    ),
  ) as { item: Item[] };
  const env = JSON.parse(
    readFileSync(findFile(dir, [/^TMFENV\.json$/, /^TMFENV-.*\.postman_environment\.json$/]), 'utf8'),
  ) as { values: { key: string; value: string }[] };
  const url = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const text = JSON.stringify(coll);
  for (const v of env.values) if (text.includes(`{{${v.key}}}`)) v.value = url;
  const headers = [
    { key: 'Accept', value: 'application/json' },
    { key: 'Content-Type', value: 'application/json' },
    { key: 'Authorization', value: `Bearer ${token}` },
  ];
  const walk = (items: Item[]) => {
    const done = new Set<string>();
    for (const it of items) {
      if (it.item) {
        walk(it.item);
        continue;
      }
      const req = it.request;
      if (!req) continue;
      req.header = headers;
      if (req.method !== 'POST') continue;
      const u = JSON.stringify(req.url ?? '').toLowerCase();
      for (const [resource, payload] of Object.entries(payloads)) {
        if (done.has(resource) || !u.includes(resource.toLowerCase())) continue;
        req.body = { mode: 'raw', raw: JSON.stringify(payload) };
        done.add(resource);
        break;
      }
    }
  };
  walk(coll.item);
  const newman = require('newman') as { run: NewmanRun };
  const summary = await new Promise<NewmanSummary>((resolve, reject) =>
    newman.run({ collection: coll, environment: env, reporters: [] }, (err, s) =>
      err ? reject(err) : resolve(s),
    ),
  );
  const { stats, failures } = summary.run;
  return {
    requests: stats.requests.total,
    requestsFailed: stats.requests.failed,
    assertions: stats.assertions.total,
    assertionsFailed: stats.assertions.failed,
    failures: failures.map((f) => ({
      request: f.source?.name ?? '?',
      test: f.error.test ?? '',
      message: (f.error.message ?? '').slice(0, 300),
    })),
  };
}
