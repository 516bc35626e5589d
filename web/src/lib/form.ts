import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from './api';

export type Values = Record<string, string>;

/** The message a person reads for an API refusal, in the interface's language when we have one. */
export function useErrorText(): (e: unknown) => string {
  const { t } = useTranslation();
  return (e) => {
    if (e instanceof ApiError) {
      const key = `errors.${e.code.replace(/\./g, '_')}`;
      // the problem's details (ids, counts…) are there for a translated text to name
      return t(key, { ...e.details, defaultValue: e.message, detail: e.message });
    }
    return t('errors.unexpected');
  };
}

/**
 * Form state whose keys are the API's field paths (`address.locality`, `categories.tax`), so the
 * problem+json `field` of a refusal lands next to the input that caused it.
 */
export function useApiForm(initial: Values) {
  const [values, setValues] = useState<Values>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const errorText = useErrorText();
  const { t } = useTranslation();
  return {
    values,
    set: (k: string, v: string | null) => {
      setValues((old) => ({ ...old, [k]: v ?? '' }));
      setErrors((old) => (old[k] ? { ...old, [k]: '' } : old));
    },
    reset: (v: Values) => {
      setValues(v);
      setErrors({});
      setGeneral(null);
    },
    err: (k: string) => errors[k] || undefined,
    general,
    fail: (e: unknown) => {
      const msg = errorText(e);
      if (e instanceof ApiError && e.field) {
        // A field the form shows, or the nearest parent the form shows (idDocument → idDocument.number).
        const keys = Object.keys(values);
        const target =
          keys.find((k) => k === e.field) ??
          keys.find((k) => k.startsWith(`${e.field}.`)) ??
          keys.find((k) => e.field?.startsWith(`${k}.`));
        if (target) {
          setErrors({ [target]: msg });
          setGeneral(null);
          return;
        }
      }
      setErrors({});
      setGeneral(msg);
    },
    /** Marks every blank required field at once, before asking the server; true when none is blank. */
    require: (keys: string[]) => {
      const missing = keys.filter((k) => !(values[k] ?? '').trim());
      setErrors(Object.fromEntries(missing.map((k) => [k, t('errors.required')])));
      setGeneral(null);
      return missing.length === 0;
    },
    clearErrors: () => {
      setErrors({});
      setGeneral(null);
    },
  };
}
export type ApiForm = ReturnType<typeof useApiForm>;

/** `{ 'address.street': 'x' }` → `{ address: { street: 'x' } }`, skipping blanks. */
export function unflatten(values: Values, keys?: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(values)) {
    if (keys && !keys.includes(k)) continue;
    const v = raw.trim();
    if (v === '') continue;
    const parts = k.split('.');
    let node = out;
    for (const p of parts.slice(0, -1)) {
      node[p] = (node[p] as Record<string, unknown> | undefined) ?? {};
      node = node[p] as Record<string, unknown>;
    }
    node[parts[parts.length - 1] ?? k] = v;
  }
  return out;
}
