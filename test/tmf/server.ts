import type { AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from '../app.js';

export interface TmfServer {
  t: TestApp;
  /** `http://127.0.0.1:<port>/tmf-api/<api>/v4/` */
  baseUrl(api: string): string;
  /** An API token (POST /api/v1/auth/tokens) of the given user, admin by default. */
  token: string;
  close(): Promise<void>;
}

/** The real application listening on a random port, as TMF clients and the CTKs reach it. */
export async function startTmfServer(user = 'admin'): Promise<TmfServer> {
  const t = await createTestApp();
  await t.app.http.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.http.server.address() as AddressInfo;
  const session = await t.login(user);
  const res = await t.call('POST', '/api/v1/auth/tokens', session, { name: 'tmf-ctk' });
  if (res.statusCode !== 201) throw new Error(`token: ${res.statusCode} ${res.body}`);
  const token = (res.json() as { token: string }).token;
  return {
    t,
    token,
    baseUrl: (api) => `http://127.0.0.1:${port}/tmf-api/${api}/v4/`,
    close: () => t.close(),
  };
}

/** A demo customer's five categories as TMF characteristics. */
export const DEMO_CATEGORIES = [
  { name: 'category.commercial1', value: 'ENT', valueType: 'string' },
  { name: 'category.commercial2', value: 'STD', valueType: 'string' },
  { name: 'category.collection', value: 'STANDARD', valueType: 'string' },
  { name: 'category.accounting', value: 'ENTR', valueType: 'string' },
  { name: 'category.tax', value: 'TVA18', valueType: 'string' },
];

export const DAKAR_ADDRESS = {
  mediumType: 'postalAddress',
  characteristic: { street1: '12 avenue Cheikh Anta Diop', city: 'Dakar', postCode: '10700' },
};
