import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Validates GPTo's TMF responses against TM Forum's own v4 swagger files (test/tmf/swaggers,
 * unmodified). `validator('TMF629', 'Customer')` compiles `#/definitions/Customer` of that API.
 */

const DIR = path.join(import.meta.dirname, 'swaggers');
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true, validateSchema: false }));
const loaded = new Set<string>();
const compiled = new Map<string, ValidateFunction>();

function load(api: string): string {
  const id = `${api}.json`;
  if (loaded.has(id)) return id;
  // The first (oldest v4.x) file of the API: the version the CTKs were written for.
  const file = readdirSync(DIR)
    .filter((f) => f.startsWith(`${api}-`))
    .sort()[0];
  if (!file) throw new Error(`no swagger for ${api} in ${DIR}`);
  const doc = JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as Record<string, unknown>;
  ajv.addSchema({ $id: id, definitions: doc.definitions }, id);
  loaded.add(id);
  return id;
}

export function validator(api: string, definition: string): ValidateFunction {
  const key = `${api}#${definition}`;
  let v = compiled.get(key);
  if (!v) {
    v = ajv.compile({ $ref: `${load(api)}#/definitions/${definition}` });
    compiled.set(key, v);
  }
  return v;
}

/** The schema errors of `value` against `<api>#/definitions/<definition>` (empty when valid). */
export function swaggerErrors(api: string, definition: string, value: unknown): string[] {
  const v = validator(api, definition);
  if (v(value)) return [];
  return (v.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
