import { describe, expect, it } from 'vitest';
import { sharedBuffers } from './embedded-pg.js';

const GB = 2 ** 30;

describe('sharedBuffers', () => {
  it('takes a quarter of the memory, between 128 MB and 4 GB', () => {
    expect(sharedBuffers(8 * GB, undefined)).toBe('2048MB');
    expect(sharedBuffers(24 * GB, undefined)).toBe('4096MB');
    expect(sharedBuffers(256 * 2 ** 20, undefined)).toBe('128MB');
  });

  it('lets GPTO_PG_SHARED_BUFFERS decide', () => {
    expect(sharedBuffers(24 * GB, ' 512MB ')).toBe('512MB');
    expect(sharedBuffers(24 * GB, '')).toBe('4096MB');
  });
});
