// The directory's search normal form and French phonetic key. The SQL twins live in
// migrations/0300_directory.sql (gpto_dir_norm, gpto_phonex_fr); phonetic.db.test.ts checks that
// both give the same answer for every demo name, so a key computed here meets a key stored there.

const APOSTROPHES = /['’`ʼ]/g;

/**
 * Lower case, no accents, apostrophes dropped ("N'Diaye" → "ndiaye"), every other non-alphanumeric
 * run as one space.
 */
export function dirNorm(text: string): string {
  return text
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/ß/g, 'ss')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(APOSTROPHES, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The words of a text in the normal form. */
export function dirWords(text: string | null | undefined): string[] {
  if (!text) return [];
  const n = dirNorm(text);
  return n === '' ? [] : n.split(' ');
}

/**
 * Simplified French phonetic key of one normalised word (Phonex / Soundex-FR in spirit): spellings
 * that sound alike in French give the same key — Gaye / Guèye, Faye / Fay, Mbaye / M'Baye,
 * Cissé / Sissé. Words with digits are their own key.
 */
export function phonexFr(word: string): string {
  if (word === '' || /[0-9]/.test(word)) return word;
  let s = word.replace(/y/g, 'i');
  s = s.replace(/ph/g, 'F');
  s = s.replace(/sch|sh|ch/g, 'X');
  s = s.replace(/gu([ei])/g, 'G$1');
  s = s.replace(/g([ei])/g, 'J$1');
  s = s.replace(/gn/g, 'NI');
  s = s.replace(/c([ei])/g, 'S$1');
  s = s.replace(/ck|qu|q|c|k/g, 'K');
  s = s.replace(/th/g, 'T');
  s = s.replace(/x/g, 'KS');
  s = s.replace(/w/g, 'U');
  s = s.replace(/z/g, 'S');
  s = s.replace(/h/g, '');
  s = s.replace(/e([nm])([^aeiou]|$)/g, 'a$1$2');
  s = s.replace(/([^aeiou])e$/, '$1');
  s = s.replace(/eau|au/g, 'O');
  s = s.replace(/ou/g, 'U');
  s = s.replace(/oi/g, 'UA');
  s = s.replace(/[ae]i+e?/g, 'E');
  s = s.toUpperCase();
  s = s.replace(/(.)\1+/g, '$1');
  return s;
}
