// Test helpers (not a test file): a small plant built through the services, as an operator would.
import type { Actor } from '../../platform/events.js';
import type { InventoryServices } from './index.js';
import { plantWriters } from './plant.writers.js';
import { withLuhn } from './sim.service.js';

export const ADMIN: Actor = { userId: null, username: 'test' };

export interface SmallPlant {
  /** concentration point serving Dakar / Plateau */
  cp: string;
}

/**
 * Site DKR with `ports` line ports, cabinet SR1 fed by `primaryPairs` primary pairs, concentration
 * point PC1 with `distPairs` distribution pairs serving Dakar/Plateau, PC2 (no cable) serving
 * Dakar/Medina, base station BS1 (capacity `radio`) covering Dakar/Ngor, shop SHOP1, number pools.
 */
export async function buildPlant(
  inv: InventoryServices,
  o: { ports?: number; primaryPairs?: number; distPairs?: number; radio?: number; numbers?: number } = {},
): Promise<SmallPlant> {
  const w = (kind: string, fn: Parameters<InventoryServices['plant']['write']>[2], code: string) =>
    inv.plant.write(kind, 'plant', fn, { code }, ADMIN, false);
  await w(
    'site.created',
    (t) => plantWriters.site(t, { code: 'DKR', name: 'Dakar Plateau', locality: 'Dakar' }),
    'DKR',
  );
  await w(
    'switch.created',
    (t) => plantWriters.switch(t, { code: 'DKR-SW1', site: 'DKR', name: 'Commutateur 1' }),
    'DKR-SW1',
  );
  await w(
    'mdf.created',
    (t) => plantWriters.mdf(t, { code: 'DKR-MDF', site: 'DKR', name: 'Répartiteur' }),
    'DKR-MDF',
  );
  await w(
    'ports',
    (t, s) =>
      plantWriters.ports(
        t,
        { switch: 'DKR-SW1', mdf: 'DKR-MDF', shelf: 1, card: 1, ports: o.ports ?? 20 },
        s,
      ),
    'DKR-SW1',
  );
  await w(
    'sdf',
    (t) =>
      plantWriters.sdf(t, {
        code: 'SR1',
        site: 'DKR',
        name: 'SR Plateau',
        locality: 'Dakar',
        district: 'Plateau',
      }),
    'SR1',
  );
  await w(
    'cp',
    (t) =>
      plantWriters.cp(t, {
        code: 'PC1',
        sdf: 'SR1',
        name: 'PC rue Carnot',
        locality: 'Dakar',
        district: 'Plateau',
      }),
    'PC1',
  );
  await w(
    'cp',
    (t) =>
      plantWriters.cp(t, {
        code: 'PC2',
        sdf: 'SR1',
        name: 'PC Médina',
        locality: 'Dakar',
        district: 'Médina',
      }),
    'PC2',
  );
  await w(
    'cable',
    (t, s) =>
      plantWriters.cable(
        t,
        { code: 'P1', kind: 'primary', mdf: 'DKR-MDF', sdf: 'SR1', pairs: o.primaryPairs ?? 20 },
        s,
      ),
    'P1',
  );
  await w(
    'cable',
    (t, s) =>
      plantWriters.cable(
        t,
        { code: 'D1', kind: 'distribution', sdf: 'SR1', cp: 'PC1', pairs: o.distPairs ?? 10 },
        s,
      ),
    'D1',
  );
  await w(
    'area',
    (t, s) => plantWriters.servingArea(t, { locality: 'Dakar', district: 'Plateau', cp: 'PC1' }, s),
    'area',
  );
  await w(
    'area',
    (t, s) => plantWriters.servingArea(t, { locality: 'Dakar', district: 'Médina', cp: 'PC2' }, s),
    'area',
  );
  await w(
    'bs',
    (t, s) =>
      plantWriters.baseStation(t, { code: 'BS1', site: 'DKR', name: 'BTS Ngor', capacity: o.radio ?? 2 }, s),
    'BS1',
  );
  await w(
    'area',
    (t, s) => plantWriters.servingArea(t, { locality: 'Dakar', district: 'Ngor', baseStation: 'BS1' }, s),
    'area',
  );
  await inv.pools.create({ code: 'FIXE-DKR', product: 'FIXE', site: 'DKR', quarantineDays: 90 }, ADMIN);
  await inv.pools.addRange(
    'FIXE-DKR',
    { first: '338210000', last: String(338210000 + (o.numbers ?? 100) - 1) },
    ADMIN,
  );
  await inv.pools.create({ code: 'RADIO', product: 'FIXE-RADIO' }, ADMIN);
  await inv.pools.addRange('RADIO', { first: '338600000', last: '338600099' }, ADMIN);
  await inv.pools.create({ code: 'MOB', product: 'MOBILE-PREP', quarantineDays: 0 }, ADMIN);
  await inv.pools.addRange('MOB', { first: '771000000', last: '771000099' }, ADMIN);
  await inv.csv.import(
    'shops',
    'code,name,locality\nSHOP1,Agence Plateau,Dakar\nSHOP2,Agence Thiès,Thiès',
    ADMIN,
  );
  return { cp: 'PC1' };
}

/** A manufacturer's output file of `n` cards (secrets made up, deterministic per index). */
export function simFile(n: number, start = 0): string {
  const lines = ['ICCID;IMSI;KI;OPC;PIN1;PUK1;PIN2;PUK2'];
  for (let i = start; i < start + n; i++) {
    const iccid = withLuhn(`892210${String(i).padStart(12, '0')}`);
    const hex = (seed: number) =>
      Array.from({ length: 32 }, (_, k) => ((seed * 7 + k * 13) % 16).toString(16))
        .join('')
        .toUpperCase();
    lines.push(
      [
        iccid,
        `60801${String(i).padStart(10, '0')}`,
        hex(i),
        hex(i + 1),
        '0000',
        String(10000000 + i),
        '1234',
        String(20000000 + i),
      ].join(';'),
    );
  }
  return lines.join('\n');
}

export const iccidOf = (i: number) => withLuhn(`892210${String(i).padStart(12, '0')}`);
