import { describe, expect, it } from 'vitest';
import type { ListingRow } from './directory.repository.js';
import {
  editionOrder,
  exportCsv,
  EXPORT_COLUMNS,
  filingName,
  printedNumber,
  renderEditionPdf,
} from './edition.service.js';

let id = 0;
function row(p: Partial<ListingRow>): ListingRow {
  id++;
  const numbers = p.numbers ?? [`3380${String(id).padStart(5, '0')}`];
  return {
    id,
    code: `A${String(id).padStart(9, '0')}`,
    directory: 'alphabetical',
    subscription_id: null,
    customer_id: null,
    title: null,
    last_name: null,
    first_names: null,
    nickname: null,
    company: null,
    heading_id: null,
    heading_path: null,
    street_number: null,
    street: null,
    locality: 'Dakar',
    postal_code: null,
    unlisted: false,
    no_marketing: false,
    no_reverse_search: false,
    source: 'agent',
    created_at: new Date(),
    updated_at: new Date(),
    version: 1,
    name_key: '',
    fterms: [],
    ...p,
    numbers,
    primary_number: numbers[0] ?? '',
  };
}

describe('edition order', () => {
  it('files names in French collation order: accents and apostrophes do not move a name', () => {
    const rows = ['Zongo', 'Éla', 'Ndiaye', "N'Diaye", 'Ebou', 'Diop', 'Dièye', 'diallo'].map((n, i) =>
      row({ last_name: n, first_names: i % 2 ? 'Awa' : 'Ali' }),
    );
    expect(editionOrder(rows).map((r) => r.last_name)).toEqual([
      'diallo',
      'Dièye',
      'Diop',
      'Ebou',
      'Éla',
      'Ndiaye',
      "N'Diaye",
      'Zongo',
    ]);
  });
  it('orders the professional listing by heading, then company', () => {
    const rows = [
      row({ directory: 'professional', company: 'Pharmacie B', heading_path: 'Santé > Pharmacies' }),
      row({ directory: 'professional', company: 'Garage Z', heading_path: 'Automobile > Garages' }),
      row({ directory: 'professional', company: 'Pharmacie A', heading_path: 'Santé > Pharmacies' }),
      row({ directory: 'professional', company: 'Clinique', heading_path: 'Santé > Cliniques' }),
    ];
    expect(editionOrder(rows).map((r) => r.company)).toEqual([
      'Garage Z',
      'Clinique',
      'Pharmacie A',
      'Pharmacie B',
    ]);
    expect(filingName(rows[0] as ListingRow)).toBe('Pharmacie B');
  });
  it('prints numbers in groups', () => {
    expect(printedNumber('338214567')).toBe('33 821 45 67');
  });
});

describe('PDF edition', () => {
  it('heads every page with the first and last name it holds, pages following the filing order', async () => {
    const names = ['Diop', 'Ndiaye', 'Fall', 'Sow', 'Ba', 'Guèye', 'Mbaye', 'Sarr', 'Kane', 'Cissé'];
    const rows = Array.from({ length: 400 }, (_, i) =>
      row({
        last_name: names[i % names.length] as string,
        first_names: `Prénom ${String(i).padStart(3, '0')}`,
        street: 'Rue Carnot',
        street_number: String(i),
      }),
    );
    const { pdf, pages } = await renderEditionPdf(rows, 'alphabetical', 'Dakar');
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pages.length).toBeGreaterThan(2);
    const order = editionOrder(rows).map((r) => filingName(r));
    expect(pages[0]?.first).toBe(order[0]);
    expect(pages[pages.length - 1]?.last).toBe(order[order.length - 1]);
    let at = 0;
    for (const p of pages) {
      const first = order.indexOf(p.first, at);
      const last = order.indexOf(p.last, first);
      expect(first).toBe(at);
      expect(last).toBeGreaterThanOrEqual(first);
      at = last + 1;
    }
    expect(at).toBe(order.length);
  });
});

describe('publisher export', () => {
  it('has the documented columns and one line per listing', () => {
    const csv = exportCsv([
      row({ last_name: 'Diop', first_names: 'Awa', numbers: ['338000001', '338000002'] }),
    ]);
    const [header, line] = csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\n');
    expect(header?.split(',')).toEqual([...EXPORT_COLUMNS]);
    expect(line).toContain('338000001,338000002,false');
  });
});
