import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `web/dist` beside `src/` (tsx, tests) or beside `dist/` (the built server): both are one level down. */
export const DEFAULT_WEB_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../web/dist',
);

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the single-page application built by Vite. Files that exist are sent as they are (hashed
 * assets are cached for a year); any other GET outside /api is the SPA's own route, so it gets
 * index.html. /api paths nobody declared still get the problem+json 404.
 */
export async function registerWebApp(app: FastifyInstance, root = DEFAULT_WEB_ROOT): Promise<void> {
  if (!existsSync(path.join(root, 'index.html'))) {
    app.log.info({ root }, 'web UI not built (npm run build): serving the API only');
    return;
  }
  await app.register(fastifyStatic, { root, serve: false });
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.url.split('?')[0] ?? '/';
    if (url === '/api' || url.startsWith('/api/')) return reply.callNotFound();
    let rel: string;
    try {
      rel = decodeURIComponent(url).replace(/^\/+/, '');
    } catch {
      return reply.callNotFound();
    }
    const full = path.resolve(root, rel);
    if (rel && full.startsWith(root + path.sep) && (await isFile(full))) {
      const immutable = rel.startsWith('assets/');
      return reply.sendFile(rel, { maxAge: immutable ? 365 * 24 * 3600 * 1000 : 0, immutable });
    }
    if (rel.startsWith('assets/')) return reply.callNotFound();
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', { maxAge: 0 });
  };
  const options = { config: { public: true }, schema: { hide: true } };
  app.get('/', options, handler);
  app.get('/*', options, handler);
}
