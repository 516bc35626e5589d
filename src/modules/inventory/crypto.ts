import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { InventoryError } from './inventory.errors.js';

/**
 * SIM secrets (Ki, OPc, PIN and PUK codes) are sealed with AES-256-GCM under the key of the
 * configuration. Layout: version byte (1) ‖ 12-byte IV ‖ 16-byte tag ‖ ciphertext. The tag makes a
 * tampered or wrongly keyed record fail loudly instead of yielding wrong codes.
 */
const VERSION = 1;

export interface SimSecrets {
  ki: string;
  opc: string | null;
  pin1: string;
  puk1: string;
  pin2: string | null;
  puk2: string | null;
}

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
  }

  seal(secrets: SimSecrets, aad: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    // The ICCID is bound as associated data: a sealed blob copied onto another card does not open.
    cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ct]);
  }

  open(blob: Buffer, aad: string): SimSecrets {
    try {
      if (blob[0] !== VERSION) throw new Error('unknown version');
      const decipher = createDecipheriv('aes-256-gcm', this.key, blob.subarray(1, 13));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(blob.subarray(13, 29));
      const text = Buffer.concat([decipher.update(blob.subarray(29)), decipher.final()]).toString('utf8');
      return JSON.parse(text) as SimSecrets;
    } catch {
      throw new InventoryError(
        'unavailable',
        'sim.secret_key',
        'the SIM secrets cannot be opened with the configured key (GPTO_SECRET_KEY changed?)',
      );
    }
  }
}
