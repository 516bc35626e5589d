// The real app in a process of its own, for the HTTP benchmarks: the load generator must not share
// the app's event loop, or it measures itself. Started by startAppProcess() in bench/lib.ts with
// DATABASE_URL and PORT; prints "listening <port>" once ready and stops cleanly on SIGTERM.
import { buildApp } from '../src/app.js';
import { createDb, createPool } from '../src/platform/db.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const pool = createPool(url, Number(process.env.GPTO_POOL_SIZE || 20));
const db = createDb(pool);
// the key that seals switch passwords (a bench registers its switch element through the API)
const key = process.env.GPTO_SECRET_KEY;
const app = await buildApp({
  db,
  config: {
    currency: 'XOF',
    logLevel: process.env.LOG_LEVEL || 'warn',
    ...(key ? { secretKey: Buffer.from(key, 'hex') } : {}),
  },
});
await app.http.listen({ port: Number(process.env.PORT || 0), host: '127.0.0.1' });
const address = app.http.server.address();
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : ''}\n`);

const stop = async () => {
  await app.http.close().catch(() => undefined);
  // the journal of the on-demand status queries is written in batches: write the last one
  await app.activation.stop().catch(() => undefined);
  await db.destroy().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
