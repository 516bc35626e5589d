import i18n from 'i18next';

/** The Intl locale of the interface's language. */
export const locale = () => (i18n.language === 'en' ? 'en-GB' : 'fr-FR');

/** Amounts are integer minor units; Intl knows how many decimals each currency has (XOF: none). */
export function money(minor: number | null | undefined, currency = 'XOF'): string {
  if (minor === null || minor === undefined) return '—';
  const f = new Intl.NumberFormat(locale(), { style: 'currency', currency });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 0;
  return f.format(minor / 10 ** digits);
}

/** Major units typed by a person → minor units. */
export function toMinor(major: number, currency = 'XOF'): number {
  const f = new Intl.NumberFormat('en', { style: 'currency', currency });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 0;
  return Math.round(major * 10 ** digits);
}

export function fromMinor(minor: number, currency = 'XOF'): number {
  const f = new Intl.NumberFormat('en', { style: 'currency', currency });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 0;
  return minor / 10 ** digits;
}

/** A count or measure in the interface's language (12 345 in French), not the browser's locale. */
export function count(n: number): string {
  return n.toLocaleString(locale());
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(locale(), { dateStyle: 'short', timeStyle: 'short' });
}

export function date(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso.length === 10 ? `${iso}T00:00:00` : iso).toLocaleDateString(locale());
}

export function address(
  a:
    | {
        number?: string | null;
        street: string;
        district?: string | null;
        locality: string;
        postalCode?: string | null;
      }
    | null
    | undefined,
): string {
  if (!a) return '—';
  return [
    [a.number, a.street].filter(Boolean).join(' '),
    a.district,
    [a.postalCode, a.locality].filter(Boolean).join(' '),
  ]
    .filter(Boolean)
    .join(', ');
}

/** A duration as people say it: 42 s, 35 min, 2 h 05 (the same in French and English). */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')}`;
}
