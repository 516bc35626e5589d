/**
 * The fixed-line switch command protocol (docs/switch-protocol.md is the stable description):
 * MML-style lines over TCP. A command is `VERB:TAG[:KEY=VALUE,...];`, a reply is one line,
 * `TAG COMPLD[ KEY=VALUE,...]` or `TAG DENY CODE text`. Lists inside a value are joined with `&`.
 * Shared by the simulator and the driver so both read and write exactly the same thing.
 */

export const VERBS = [
  'LOGIN',
  'LOGOUT',
  'PING',
  'CRT-LINE',
  'DLT-LINE',
  'ADD-SERV',
  'RMV-SERV',
  'SET-BAR',
  'SET-TMPAUTH',
  'RMV-TMPAUTH',
  'BLK-LINE',
  'UBLK-LINE',
  'SET-MAINT',
  'DSP-LINE',
  'DSP-METER',
  'LST-LINE',
  'SIM-CALL',
] as const;
export type Verb = (typeof VERBS)[number];

/** Denial codes: what a real exchange's MML faults map onto. */
export const DENY_CODES = {
  SYNTAX: 'the command line is malformed',
  UNKCMD: 'unknown command verb',
  NOAUTH: 'log in first',
  AUTHFAIL: 'wrong user or password',
  MISSPAR: 'a required parameter is missing',
  BADPAR: 'a parameter value is invalid',
  DNEXIST: 'the directory number already exists',
  ENINUSE: 'the equipment number serves another line',
  DNUNK: 'no line with this directory number',
  STATE: 'not allowed in the line’s current state',
} as const;
export type DenyCode = keyof typeof DENY_CODES;

/** Supplementary services a line may have. */
export const SERVICES = [
  'CLIP',
  'CLIR',
  'CW',
  'CFU',
  'CFB',
  'CFNR',
  'CONF',
  'HOTLINE',
  'ABBR',
  'ALARM',
] as const;
/**
 * Barring classes (outgoing call restrictions), from least to most restrictive: NONE; INTL
 * (international barred); NATL (national and international barred, local calls only); OUTG (all
 * outgoing barred, emergency calls excepted); ALL (outgoing and incoming barred).
 */
export const BARRING_CLASSES = ['NONE', 'INTL', 'NATL', 'OUTG', 'ALL'] as const;
export type BarringClass = (typeof BARRING_CLASSES)[number];
export const LINE_STATUSES = ['IDLE', 'BUSY', 'OOS', 'BARRED'] as const;
export type LineStatusCode = (typeof LINE_STATUSES)[number];

export const DN_PATTERN = /^[0-9]{4,15}$/;
/** Equipment number: the port on the exchange, e.g. `01-02-003` (rack-shelf-port). */
export const EN_PATTERN = /^[0-9A-Z]{1,6}(-[0-9A-Z]{1,6}){0,4}$/;
/** Times are compact UTC: `20260131T235959Z` (no `:` so they fit the MML syntax). */
export const TIME_PATTERN = /^[0-9]{8}T[0-9]{6}Z$/;
const TAG_PATTERN = /^[A-Za-z0-9]{1,16}$/;
const VALUE_PATTERN = /^[A-Za-z0-9_.\-&+]*$/;

export type Params = Record<string, string>;

export interface Command {
  verb: string;
  tag: string;
  params: Params;
}

export function formatCommand(verb: string, tag: string, params: Params = {}): string {
  const p = Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return p ? `${verb}:${tag}:${p};` : `${verb}:${tag};`;
}

/** Parses a command line; `null` when it is not one (answered `* DENY SYNTAX`). */
export function parseCommand(line: string): Command | { error: string; tag: string } {
  const text = line.trim();
  if (!text.endsWith(';')) return { error: 'a command ends with ";"', tag: '*' };
  const parts = text.slice(0, -1).split(':');
  if (parts.length < 2 || parts.length > 3) return { error: 'VERB:TAG[:PARAMS];', tag: '*' };
  const [verb, tag, body] = parts as [string, string, string | undefined];
  if (!TAG_PATTERN.test(tag)) return { error: 'the tag is 1 to 16 letters or digits', tag: '*' };
  const params: Params = {};
  for (const pair of body ? body.split(',') : []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return { error: `"${pair}" is not KEY=VALUE`, tag };
    const key = pair.slice(0, eq).toUpperCase();
    const value = pair.slice(eq + 1);
    if (!VALUE_PATTERN.test(value))
      return { error: `the value of ${key} has characters outside [A-Za-z0-9_.-&+]`, tag };
    params[key] = value;
  }
  return { verb: verb.toUpperCase(), tag, params };
}

export type Reply =
  { tag: string; ok: true; params: Params } | { tag: string; ok: false; code: string; message: string };

export function formatReply(r: Reply): string {
  if (r.ok) {
    const p = Object.entries(r.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return p ? `${r.tag} COMPLD ${p}` : `${r.tag} COMPLD`;
  }
  return `${r.tag} DENY ${r.code} ${r.message}`;
}

export function parseReply(line: string): Reply | null {
  const m = /^(\S+) (COMPLD|DENY)(?: (.*))?$/.exec(line.trim());
  if (!m) return null;
  const [, tag, verdict, rest] = m as unknown as [string, string, string, string | undefined];
  if (verdict === 'DENY') {
    const sp = (rest ?? '').indexOf(' ');
    const code = sp < 0 ? (rest ?? '') : (rest ?? '').slice(0, sp);
    return { tag, ok: false, code, message: sp < 0 ? '' : (rest ?? '').slice(sp + 1) };
  }
  const params: Params = {};
  for (const pair of rest ? rest.split(',') : []) {
    const eq = pair.indexOf('=');
    if (eq > 0) params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { tag, ok: true, params };
}

export function toCompactTime(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export function fromCompactTime(s: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return new Date(Number.NaN);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
}
