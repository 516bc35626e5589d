import { randomBytes } from 'node:crypto';

/** Appends the Luhn check digit ICCIDs carry. */
export function withLuhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

export interface TestCard {
  iccid: string;
  imsi: string;
  ki: string;
  opc: string | null;
}

/** SIM cards as a manufacturer's file would list them; every other card is 2G (no OPc). */
export function makeCards(n: number, seed: number): TestCard[] {
  return Array.from({ length: n }, (_, i) => {
    const serial = String(seed * 100000 + i).padStart(11, '0');
    return {
      iccid: withLuhnDigit(`8922101${serial}`),
      imsi: `00101${serial.slice(-10)}`,
      ki: randomBytes(16).toString('hex').toUpperCase(),
      opc: i % 2 === 0 ? randomBytes(16).toString('hex').toUpperCase() : null,
    };
  });
}

export function cardsCsv(cards: TestCard[]): string {
  return [
    'iccid,imsi,ki,opc,pin1,puk1,pin2,puk2',
    ...cards.map((c) => `${c.iccid},${c.imsi},${c.ki},${c.opc ?? ''},1234,12345678,,`),
  ].join('\n');
}
