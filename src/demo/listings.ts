import type pg from 'pg';

/** Headings of the demo professional listing, keyed by the first word of the company name. */
const HEADING_BY_FIRST_WORD: [string, string][] = [
  ['Pharmacie', 'Santé > Pharmacies'],
  ['Clinique', 'Santé > Cliniques'],
  ['Cabinet', 'Services > Cabinets conseil'],
  ['Boulangerie', 'Alimentation > Boulangeries'],
  ['Restaurant', 'Alimentation > Restaurants'],
  ['Quincaillerie', 'Commerce > Quincailleries'],
  ['Librairie', 'Commerce > Librairies'],
  ['Boutique', 'Commerce > Boutiques'],
  ['Garage', 'Automobile > Garages'],
  ['Transports', 'Transports > Transporteurs'],
  ['Imprimerie', 'Services > Imprimeries'],
  ['École', 'Enseignement > Écoles privées'],
  ['Hôtel', 'Hôtellerie > Hôtels'],
  ['Menuiserie', 'Bâtiment > Menuiseries'],
  ['Agence', 'Immobilier > Agences'],
];
const DEFAULT_HEADING = 'Commerce > Commerce général';

/** Professional listings that are not the operator's customers' own lines (public services). */
const EXTRA_PROFESSIONAL: [string, string, string, string, string][] = [
  // company, heading, street, locality, number
  ['Hôpital Principal de Dakar', 'Santé > Hôpitaux', 'Avenue Nelson Mandela', 'Dakar', '338395050'],
  ['Hôpital Aristide Le Dantec', 'Santé > Hôpitaux', 'Avenue Pasteur', 'Dakar', '338891800'],
  ['SAMU national', 'Santé > Urgences', 'Rue Carnot', 'Dakar', '338691515'],
  ['Sapeurs-pompiers', 'Services publics > Secours', 'Boulevard de la République', 'Dakar', '338232626'],
  ['Mairie de Dakar', 'Services publics > Mairies', 'Place de l’Indépendance', 'Dakar', '338231010'],
  ['Mairie de Thiès', 'Services publics > Mairies', 'Avenue Léopold Sédar Senghor', 'Thiès', '339511010'],
  ['Mairie de Saint-Louis', 'Services publics > Mairies', 'Rue Blaise Diagne', 'Saint-Louis', '339611010'],
  [
    'Gare routière des Baux maraîchers',
    'Transports > Gares routières',
    'Route de Rufisque',
    'Pikine',
    '338341212',
  ],
  ['Aéroport international Blaise Diagne', 'Transports > Aéroports', 'Route de Mbour', 'Mbour', '338695050'],
  [
    'Université Cheikh Anta Diop',
    'Enseignement > Universités',
    'Avenue Cheikh Anta Diop',
    'Dakar',
    '338242424',
  ],
  ['Université Gaston Berger', 'Enseignement > Universités', 'Route de Ngallèle', 'Saint-Louis', '339612323'],
  ['Pharmacie Guigon', 'Santé > Pharmacies', 'Avenue Georges Pompidou', 'Dakar', '338232030'],
  ['Hôtel Terrou-Bi', 'Hôtellerie > Hôtels', 'Boulevard Martin Luther King', 'Dakar', '338391000'],
  ['Marché Sandaga', 'Commerce > Marchés', 'Avenue Lamine Guèye', 'Dakar', '338214545'],
];

/** The operator's own technical numbers: test lines, payphones, plant sites. */
const TECHNICAL: [string, string, string, string][] = [
  // name, street, locality, number
  ['Ligne d’essai commutateur Dakar-Plateau', 'Rue Carnot', 'Dakar', '338000001'],
  ['Ligne d’essai commutateur Thiès', 'Avenue Lamine Guèye', 'Thiès', '339000001'],
  ['Répartiteur général Dakar-Plateau', 'Rue Carnot', 'Dakar', '338000010'],
  ['Répartiteur Pikine', 'Route de Rufisque', 'Pikine', '338000020'],
  ['Cabine publique Place de l’Indépendance', 'Place de l’Indépendance', 'Dakar', '338000100'],
  ['Cabine publique Gare de Thiès', 'Avenue de la Gare', 'Thiès', '339000100'],
  ['Service des dérangements', 'Rue Carnot', 'Dakar', '338000013'],
  ['Centre de supervision réseau', 'Route de Ouakam', 'Dakar', '338000050'],
  ['Station radio (BLR) Mbour', 'Route de Saly', 'Mbour', '339000300'],
];

/**
 * Derives the demo directory from the demo customers' lines: every live fixed line and a quarter
 * of the postpaid mobiles get an alphabetical listing (about 8 % of them on the red list, some
 * refusing marketing or reverse search); organisations appear in the professional listing under a
 * heading (and under their trade name in the alphabetical one); some individuals running a shop
 * appear twice in the alphabetical listing, under their name and their shop's. Plus public
 * services in the professional listing and the operator's technical numbers in the technical list.
 * Idempotent: lines that already have listings are skipped.
 */
export async function generateListings(pool: pg.Pool): Promise<{ listings: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const paths = [
      ...new Set([
        ...HEADING_BY_FIRST_WORD.map((h) => h[1]),
        DEFAULT_HEADING,
        ...EXTRA_PROFESSIONAL.map((e) => e[1]),
      ]),
    ];
    for (const path of paths) {
      const [parent, child] = path.split(' > ') as [string, string];
      await client.query(
        `INSERT INTO directory_heading (parent_id, label, path) VALUES (NULL, $1, $1) ON CONFLICT (path) DO NOTHING`,
        [parent],
      );
      await client.query(
        `INSERT INTO directory_heading (parent_id, label, path)
         SELECT id, $2, $3 FROM directory_heading WHERE path = $1 ON CONFLICT (path) DO NOTHING`,
        [parent, child, path],
      );
    }
    const r = await client.query<{ n: number }>(
      `WITH lines AS (
         SELECT s.id AS subscription_id, s.customer_id, s.directory_number AS number, c.kind, c.title, c.last_name,
           c.first_names, c.nickname, c.company_name, c.trade_name, c.address, random() AS r1, random() AS r2,
           random() AS r3, random() AS r4
         FROM subscription s JOIN customer c ON c.id = s.customer_id
         WHERE s.status IN ('active', 'suspended') AND s.directory_number IS NOT NULL AND s.parent_id IS NULL
           AND (s.directory_number LIKE '33%' OR s.id % 4 = 0)
           AND NOT EXISTS (SELECT 1 FROM directory_listing l WHERE l.subscription_id = s.id)
       ), headed AS (
         SELECT l.*, coalesce(
           (SELECT h.id FROM directory_heading h WHERE h.path = coalesce(
              ($2::text[])[array_position($1::text[], split_part(l.company_name, ' ', 1))], $3)), NULL) AS heading_id
         FROM lines l
       ), wanted AS (
         -- individuals: their name in the alphabetical listing
         SELECT subscription_id, customer_id, 'alphabetical' AS directory, title, last_name, first_names, nickname,
           NULL::text AS company, NULL::bigint AS heading_id, number, address,
           (r1 < 0.08) AS unlisted, (r2 < 0.2) AS no_marketing, (r3 < 0.1) AS no_reverse_search
         FROM headed WHERE kind = 'person'
         UNION ALL
         -- some individuals run a shop: the same line again under the shop's name, in both listings
         SELECT subscription_id, customer_id, d.directory, NULL, NULL, NULL, NULL,
           'Boutique ' || first_names || ' ' || last_name, CASE WHEN d.directory = 'professional'
             THEN (SELECT id FROM directory_heading WHERE path = 'Commerce > Boutiques') END,
           number, address, false, (r2 < 0.2), false
         FROM headed CROSS JOIN (VALUES ('alphabetical'), ('professional')) AS d(directory)
         WHERE kind = 'person' AND r1 >= 0.08 AND r4 < 0.05
         UNION ALL
         -- organisations: the professional listing under their heading…
         SELECT subscription_id, customer_id, 'professional', NULL, NULL, NULL, NULL, company_name, heading_id,
           number, address, false, false, false
         FROM headed WHERE kind = 'organisation'
         UNION ALL
         -- …and the alphabetical one under their trade name when they have one
         SELECT subscription_id, customer_id, 'alphabetical', NULL, NULL, NULL, NULL, trade_name, NULL,
           number, address, false, false, false
         FROM headed WHERE kind = 'organisation' AND trade_name IS NOT NULL
       ), ins AS (
         INSERT INTO directory_listing (directory, subscription_id, customer_id, title, last_name, first_names, nickname,
           company, heading_id, heading_path, street_number, street, locality, postal_code, numbers, unlisted,
           no_marketing, no_reverse_search, source)
         SELECT w.directory, w.subscription_id, w.customer_id, w.title, w.last_name, w.first_names, w.nickname,
           w.company, w.heading_id, (SELECT path FROM directory_heading WHERE id = w.heading_id),
           w.address->>'number', w.address->>'street', w.address->>'locality', w.address->>'postalCode',
           ARRAY[w.number], w.unlisted, w.no_marketing, w.no_reverse_search, 'demo'
         FROM wanted w
         ON CONFLICT DO NOTHING
         RETURNING code, customer_id, primary_number, directory, unlisted
       ), ev AS (
         INSERT INTO event (entity_type, entity_id, customer_id, line_id, kind, payload)
         SELECT 'directory_listing', code, customer_id, primary_number, 'directory.listing_created',
           jsonb_build_object('source', 'demo', 'directory', directory, 'unlisted', unlisted)
         FROM ins
       )
       SELECT count(*)::int AS n FROM ins`,
      [HEADING_BY_FIRST_WORD.map((h) => h[0]), HEADING_BY_FIRST_WORD.map((h) => h[1]), DEFAULT_HEADING],
    );
    const extra = await client.query<{ n: number }>(
      `WITH ins AS (
         INSERT INTO directory_listing (directory, company, heading_id, heading_path, street, locality, numbers, source)
         SELECT 'professional', e.company, h.id, h.path, e.street, e.locality, ARRAY[e.number], 'demo'
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS e(company, heading, street, locality, number)
         JOIN directory_heading h ON h.path = e.heading
         UNION ALL
         SELECT 'technical', t.name, NULL, NULL, t.street, t.locality, ARRAY[t.number], 'demo'
         FROM unnest($6::text[], $7::text[], $8::text[], $9::text[]) AS t(name, street, locality, number)
         ON CONFLICT DO NOTHING
         RETURNING code, primary_number, directory
       ), ev AS (
         INSERT INTO event (entity_type, entity_id, line_id, kind, payload)
         SELECT 'directory_listing', code, primary_number, 'directory.listing_created',
           jsonb_build_object('source', 'demo', 'directory', directory)
         FROM ins
       )
       SELECT count(*)::int AS n FROM ins`,
      [
        EXTRA_PROFESSIONAL.map((e) => e[0]),
        EXTRA_PROFESSIONAL.map((e) => e[1]),
        EXTRA_PROFESSIONAL.map((e) => e[2]),
        EXTRA_PROFESSIONAL.map((e) => e[3]),
        EXTRA_PROFESSIONAL.map((e) => e[4]),
        TECHNICAL.map((t) => t[0]),
        TECHNICAL.map((t) => t[1]),
        TECHNICAL.map((t) => t[2]),
        TECHNICAL.map((t) => t[3]),
      ],
    );
    await client.query('COMMIT');
    await client.query('ANALYZE directory_listing; ANALYZE directory_term');
    return { listings: (r.rows[0]?.n ?? 0) + (extra.rows[0]?.n ?? 0) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
