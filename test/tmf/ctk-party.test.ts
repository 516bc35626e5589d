import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCtk } from './ctk.js';
import { startTmfServer, type TmfServer } from './server.js';

let s: TmfServer;
beforeAll(async () => {
  s = await startTmfServer();
});
afterAll(async () => {
  await s?.close();
});

describe('TMF632 official CTK', () => {
  it('passes with the kit’s own payloads and no failed assertion', async () => {
    const r = await runCtk('TMF632', s.baseUrl('party'), s.token, {});
    expect(r.failures).toEqual([]);
    expect(r.assertionsFailed).toBe(0);
    expect(r.assertions).toBeGreaterThan(50);
  }, 120_000);
});
