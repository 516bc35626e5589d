import { Kind, Type, TypeRegistry, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const INNER = Symbol.for('gpto.nullable.inner');
const NULLABLE = 'GptoNullable';
const SCALAR = 'GptoScalar';

// TypeBox's own checks (Value.Check: scenario validation, tests of documented responses) know the
// two kinds below through its registry; the API's validator (Ajv) and serializer read the JSON
// Schema keywords, and ignore the symbol-keyed properties.
if (!TypeRegistry.Has(NULLABLE))
  TypeRegistry.Set<{ [INNER]: TSchema }>(
    NULLABLE,
    (schema, value) => value === null || Value.Check(schema[INNER], value),
  );
if (!TypeRegistry.Has(SCALAR))
  TypeRegistry.Set(
    SCALAR,
    (_schema, value) =>
      value === null ||
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)),
  );

/**
 * `t` or null, in request and response schemas.
 *
 * Not `Type.Union([t, Type.Null()])`: the API's validator coerces types (`coerceTypes`, so that
 * query strings become numbers), and in an `anyOf` it tries the first branch first — a `null` sent
 * for a string became `''`, and for an integer whose minimum allows it `0`. Putting null first
 * instead turns `''`, `0` and `false` into null. With `nullable` (OpenAPI's keyword, which Ajv and
 * fast-json-stringify know) null is accepted as is and every other value keeps its type.
 * A schema without a `type` (a union, a literal) cannot carry `nullable`: it gets the union,
 * null first, which only literals other than `''`, `0` and `false` can be given safely.
 */
export function Nullable<T extends TSchema>(t: T): TUnsafe<Static<T> | null> {
  const json: Record<string, unknown> =
    typeof (t as { type?: unknown }).type === 'string'
      ? { ...t, nullable: true }
      : { anyOf: [Type.Null(), t] };
  return Type.Unsafe<Static<T> | null>({ ...json, [Kind]: NULLABLE, [INNER]: t });
}

/**
 * Any JSON scalar: a string, a number, a boolean or null, each kept as it came (a type list, not
 * an `anyOf`, for the reason above: `null` and `0` would have become strings).
 */
export const Scalar = Type.Unsafe<string | number | boolean | null>({
  [Kind]: SCALAR,
  type: ['string', 'number', 'boolean', 'null'],
});
