import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (SIM keys and codes, network elements' passwords) sealed with AES-256-GCM under
 * the configuration's key (GPTO_SECRET_KEY). Layout: version byte (1) ‖ 12-byte IV ‖ 16-byte tag ‖
 * ciphertext. The associated data binds a blob to its row (an ICCID, an element code): copied onto
 * another row it does not open; a tampered or wrongly keyed blob fails loudly.
 */
const VERSION = 1;

export class Sealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
  }

  seal(text: string, aad: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ct]);
  }

  /** The text, or null when the blob does not open with this key and associated data. */
  open(blob: Buffer, aad: string): string | null {
    try {
      if (blob[0] !== VERSION) return null;
      const decipher = createDecipheriv('aes-256-gcm', this.key, blob.subarray(1, 13));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(blob.subarray(13, 29));
      return Buffer.concat([decipher.update(blob.subarray(29)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
