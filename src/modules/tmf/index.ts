import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db.js';
import type { ReferentialServices } from '../referential/index.js';
import { customerApi } from './customer.js';
import { registerTmfApi, type TmfApiDef } from './framework.js';

export interface TmfDeps {
  db: Db;
  referential: ReferentialServices;
}

/** Every TMF Open API v4 facade; each entry is one API (one base path). */
export function tmfApis(deps: TmfDeps): TmfApiDef[] {
  return [customerApi(deps.db, deps.referential)];
}

export async function registerTmfRoutes(app: FastifyInstance, deps: TmfDeps): Promise<TmfApiDef[]> {
  const apis = tmfApis(deps);
  for (const api of apis) await registerTmfApi(app, api);
  return apis;
}

export { basePathOf, type TmfApiDef, type TmfResourceDef } from './framework.js';
