import { Sealer } from '../../platform/sealed.js';
import { InventoryError } from './inventory.errors.js';

export interface SimSecrets {
  ki: string;
  opc: string | null;
  pin1: string;
  puk1: string;
  pin2: string | null;
  puk2: string | null;
}

/**
 * SIM secrets (Ki, OPc, PIN and PUK codes), sealed as one JSON text by the platform's Sealer
 * (AES-256-GCM under GPTO_SECRET_KEY): a tampered or wrongly keyed record fails loudly instead of
 * yielding wrong codes.
 */
export class SecretBox {
  private readonly sealer: Sealer;

  constructor(key: Buffer) {
    this.sealer = new Sealer(key);
  }

  seal(secrets: SimSecrets, aad: string): Buffer {
    // The ICCID is bound as associated data: a sealed blob copied onto another card does not open.
    return this.sealer.seal(JSON.stringify(secrets), aad);
  }

  open(blob: Buffer, aad: string): SimSecrets {
    const text = this.sealer.open(blob, aad);
    if (text === null)
      throw new InventoryError(
        'unavailable',
        'sim.secret_key',
        'the SIM secrets cannot be opened with the configured key (GPTO_SECRET_KEY changed?)',
      );
    return JSON.parse(text) as SimSecrets;
  }
}
