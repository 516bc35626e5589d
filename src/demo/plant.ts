import type { Db } from '../platform/db.js';
import { SYSTEM } from '../platform/events.js';
import { createInventory } from '../modules/inventory/index.js';
import { withLuhn } from '../modules/inventory/sim.service.js';

/**
 * The demo operator's plant: three exchanges with switches, MDFs and cabinets, concentration points
 * in Dakar and Thiès (one of them saturated, with requests held on it), an unequipped zone (Keur
 * Massar), a radio cell for Rufisque, number pools per product and SIM stock in two shops.
 * Idempotent: loaded once, remembered in `setting`.
 */
export async function loadDemoPlant(db: Db, secretKey?: Buffer): Promise<void> {
  const done = await db
    .selectFrom('setting')
    .select('key')
    .where('key', '=', 'demo_plant_loaded')
    .executeTakeFirst();
  if (done) return;
  const inv = createInventory(db, secretKey);
  const by = SYSTEM;
  const imp = (type: string, rows: string[]) => inv.csv.import(type, rows.join('\n'), by);
  await imp('sites', [
    'code,name,locality,district',
    'DKR,Central Dakar Plateau,Dakar,Plateau',
    'GYF,Central Grand-Yoff,Dakar,Grand-Yoff',
    'THS,Central Thiès,Thiès,Escale',
  ]);
  await imp('switches', [
    'code,site,name,model',
    'DKR-E10,DKR,Alcatel E10 Plateau,E10B',
    'GYF-5ESS,GYF,Lucent 5ESS Grand-Yoff,5ESS',
    'THS-E10,THS,Alcatel E10 Thiès,E10B',
  ]);
  await imp('mdfs', [
    'code,site,name',
    'DKR-RG,DKR,Répartiteur général Plateau',
    'GYF-RG,GYF,Répartiteur général Grand-Yoff',
    'THS-RG,THS,Répartiteur général Thiès',
  ]);
  await imp('ports', [
    'switch,mdf,shelf,card,ports',
    'DKR-E10,DKR-RG,1,1,256',
    'DKR-E10,DKR-RG,1,2,256',
    'GYF-5ESS,GYF-RG,1,1,256',
    'THS-E10,THS-RG,1,1,128',
  ]);
  await imp('sdfs', [
    'code,site,name,locality,district',
    'SR-PLT1,DKR,SR Plateau Nord,Dakar,Plateau',
    'SR-MED1,DKR,SR Médina,Dakar,Médina',
    'SR-GYF1,GYF,SR Grand-Yoff,Dakar,Grand-Yoff',
    'SR-PAR1,GYF,SR Parcelles Assainies,Dakar,Parcelles Assainies',
    'SR-THS1,THS,SR Thiès Escale,Thiès,Escale',
  ]);
  await imp('cps', [
    'code,sdf,name,locality,district,street',
    'PC-PLT-01,SR-PLT1,PC Rue Carnot,Dakar,Plateau,Rue Carnot',
    'PC-PLT-02,SR-PLT1,PC Avenue Pompidou,Dakar,Plateau,Avenue Georges Pompidou',
    'PC-MED-01,SR-MED1,PC Médina Rue 11,Dakar,Médina,',
    'PC-GYF-01,SR-GYF1,PC Grand-Yoff Marché,Dakar,Grand-Yoff,',
    'PC-PAR-01,SR-PAR1,PC Parcelles Unité 15,Dakar,Parcelles Assainies,',
    'PC-THS-01,SR-THS1,PC Thiès Escale,Thiès,Escale,',
  ]);
  await imp('cables', [
    'code,kind,mdf,sdf,cp,pairs,bundle,head,lead',
    'CP-DKR-01,primary,DKR-RG,SR-PLT1,,224,FX-PLT,T1,A1-224',
    'CP-DKR-02,primary,DKR-RG,SR-MED1,,112,FX-MED,T2,A1-112',
    'CP-GYF-01,primary,GYF-RG,SR-GYF1,,224,FX-GYF,T1,A1-224',
    'CP-GYF-02,primary,GYF-RG,SR-PAR1,,56,FX-PAR,T2,A1-56',
    'CP-THS-01,primary,THS-RG,SR-THS1,,112,FX-THS,T1,A1-112',
    'CD-PLT-01,distribution,,SR-PLT1,PC-PLT-01,28,,,',
    'CD-PLT-02,distribution,,SR-PLT1,PC-PLT-02,28,,,',
    'CD-MED-01,distribution,,SR-MED1,PC-MED-01,14,,,',
    'CD-GYF-01,distribution,,SR-GYF1,PC-GYF-01,56,,,',
    // Parcelles Assainies: a small cable that the demo requests below fill up (saturated area).
    'CD-PAR-01,distribution,,SR-PAR1,PC-PAR-01,4,,,',
    'CD-THS-01,distribution,,SR-THS1,PC-THS-01,28,,,',
  ]);
  await imp('base_stations', ['code,site,name,capacity', 'BTS-RUF-01,DKR,Station radio Rufisque,64']);
  await imp('serving_areas', [
    'locality,district,street,cp,base_station',
    'Dakar,Plateau,Rue Carnot,PC-PLT-01,',
    'Dakar,Plateau,,PC-PLT-02,',
    'Dakar,Médina,,PC-MED-01,',
    'Dakar,Grand-Yoff,,PC-GYF-01,',
    'Dakar,Parcelles Assainies,,PC-PAR-01,',
    'Thiès,Escale,,PC-THS-01,',
    'Rufisque,,,,BTS-RUF-01',
    // The districts the generated demo customers live in (src/demo/names.ts), so that new lines
    // ordered for them at the counter are feasible; Ouakam and Yoff stay unequipped on purpose.
    'Dakar,Fann,,PC-PLT-02,',
    'Dakar,Point E,,PC-PLT-02,',
    'Dakar,Grand Yoff,,PC-GYF-01,',
    'Dakar,Mermoz,,PC-GYF-01,',
    'Dakar,Sacré-Cœur,,PC-GYF-01,',
    'Dakar,HLM,,PC-GYF-01,',
    'Dakar,Liberté 6,,PC-GYF-01,',
    'Thiès,Thiès Nord,,PC-THS-01,',
    'Thiès,Thiès Est,,PC-THS-01,',
    'Thiès,Randoulène,,PC-THS-01,',
    'Thiès,Médina Fall,,PC-THS-01,',
  ]);
  await imp('shops', [
    'code,name,locality',
    'AG-PLATEAU,Agence Plateau,Dakar',
    'AG-THIES,Agence Thiès,Thiès',
  ]);
  const pools: [string, string, string | null, string, string][] = [
    ['FIXE-DKR', 'FIXE', 'DKR', '338210000', '338219999'],
    ['FIXE-GYF', 'FIXE', 'GYF', '338270000', '338279999'],
    ['FIXE-THS', 'FIXE', 'THS', '339510000', '339519999'],
    ['RADIO-RUF', 'FIXE-RADIO', null, '338360000', '338360999'],
    ['MOB-POST', 'MOBILE-POST', null, '771000000', '771009999'],
    ['MOB-PREP', 'MOBILE-PREP', null, '781000000', '781019999'],
  ];
  for (const [code, product, site, first, last] of pools) {
    await inv.pools.create(
      { code, product, site, quarantineDays: product.startsWith('MOBILE') ? 90 : 180 },
      by,
    );
    await inv.pools.addRange(code, { first, last }, by);
  }
  const sims = ['iccid,imsi,ki,opc,pin1,puk1,pin2,puk2'];
  for (let i = 0; i < 300; i++) {
    const hex = (s: number) =>
      Array.from({ length: 32 }, (_, k) => ((s * 11 + k * 7) % 16).toString(16)).join('');
    sims.push(
      [
        withLuhn(`892210100${String(i).padStart(9, '0')}`),
        `60801100${String(i).padStart(7, '0')}`,
        hex(i),
        hex(i + 3),
        '0000',
        String(40000000 + i),
        '1234',
        String(50000000 + i),
      ].join(','),
    );
  }
  await inv.sims.importBatch({ batch: 'DEMO-2026-01', manufacturer: 'Idemia', csv: sims.join('\n') }, by);
  await inv.sims.allocate({ shop: 'AG-PLATEAU', count: 150 }, by);
  await inv.sims.allocate({ shop: 'AG-THIES', count: 50 }, by);
  // Fill Parcelles Assainies and hold the requests that find it full, plus one in Keur Massar (no plant).
  const parcelles = { locality: 'Dakar', district: 'Parcelles Assainies', street: 'Unité 15' };
  for (let i = 1; i <= 7; i++) {
    await inv.service.study(
      {
        requestRef: `DEMO-PAR-${i}`,
        kind: 'fixed_wired',
        product: 'FIXE',
        address: parcelles,
        holdIfNotFeasible: true,
      },
      by,
    );
  }
  await inv.service.study(
    {
      requestRef: 'DEMO-KMS-1',
      kind: 'fixed_wired',
      product: 'FIXE',
      address: { locality: 'Keur Massar', district: 'Cité Aliou Sow', street: 'Rue 12' },
      holdIfNotFeasible: true,
    },
    by,
  );
  await db
    .insertInto('setting')
    .values({ key: 'demo_plant_loaded', value: JSON.stringify({ at: new Date().toISOString() }) })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
}
