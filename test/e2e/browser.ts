import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../app.js';

/** Debian's chromium; GPTO_CHROMIUM points elsewhere (or nowhere, to check the skip path). */
export const CHROMIUM = process.env.GPTO_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '../..');
export const WEB_DIST = path.join(ROOT, 'web/dist');
export const SHOTS = path.join(ROOT, 'test-results/e2e');

/**
 * Browser tests need Debian's chromium. Without it they are skipped (and say why), except in CI,
 * where a missing browser must fail the run rather than silently test nothing.
 */
export function browserAvailability(): { run: boolean; reason: string } {
  if (existsSync(CHROMIUM)) return { run: true, reason: '' };
  if (process.env.CI === 'true') {
    throw new Error(`${CHROMIUM} is missing: CI must install the chromium package (.ci/run does)`);
  }
  return { run: false, reason: `SKIPPED: ${CHROMIUM} is missing (apt-get install chromium)` };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function webIsFresh(): boolean {
  const index = path.join(WEB_DIST, 'index.html');
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'web/src')),
    statSync(path.join(ROOT, 'web/index.html')).mtimeMs,
    statSync(path.join(ROOT, 'web/vite.config.ts')).mtimeMs,
  );
  return existsSync(index) && statSync(index).mtimeMs >= sources;
}

/**
 * Builds web/dist when it is missing or older than its sources, so the tests see the current UI.
 * Test files run in parallel: a lock directory makes one build while the others wait for it.
 */
export async function ensureWebBuilt(): Promise<void> {
  if (webIsFresh()) return;
  const lock = path.join(
    os.tmpdir(),
    `gpto-web-build-${createHash('sha1').update(ROOT).digest('hex').slice(0, 8)}`,
  );
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run is not held by anyone after a few minutes.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 5 * 60_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (webIsFresh()) return;
    execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        'web/vite.config.ts',
        '--logLevel',
        'warn',
      ],
      { cwd: ROOT, stdio: 'inherit' },
    );
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Session {
  t: TestApp;
  base: string;
  browser: Browser;
  close: () => Promise<void>;
}

/** The real application listening on a random port, on a fresh database, and a headless chromium. */
export async function startSession(): Promise<Session> {
  await ensureWebBuilt();
  mkdirSync(SHOTS, { recursive: true });
  const t = await createTestApp();
  await t.app.http.listen({ port: 0, host: '127.0.0.1' });
  const addr = t.app.http.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    t,
    base: `http://127.0.0.1:${port}`,
    browser,
    close: async () => {
      await browser.close();
      await t.close();
    },
  };
}

const uncaught = new WeakMap<Page, string[]>();

/** The uncaught script errors a page has thrown so far (a healthy screen throws none). */
export function errorsOf(page: Page): string[] {
  return uncaught.get(page) ?? [];
}

/** A fresh browser context (its own cookies) at 1366×768, the agents' screens. */
export async function newPage(s: Session): Promise<Page> {
  const context = await s.browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'fr-FR' });
  // Fail on the step that is stuck, well before the test's own timeout.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  uncaught.set(page, errors);
  return page;
}

export async function login(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('Identifiant').fill(username);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByTestId('current-user').waitFor();
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Picks an option of a Mantine Select by its label and the start of the option's text. */
export async function choose(page: Page, label: string | RegExp, option: string | RegExp): Promise<void> {
  await page.getByRole('textbox', { name: label }).click();
  await page.getByRole('option', { name: option }).first().click();
}

/**
 * What sticks out of a 1366-pixel-wide screen: the page scrolls sideways, or an element's right edge
 * is past the window without a scrolling container to hold it. Empty when the screen fits.
 */
export async function overflow(page: Page): Promise<string[]> {
  // Runs in the page (a string, as the test's TypeScript has no DOM types).
  return page.evaluate<string[]>(`(() => {
    const width = window.innerWidth;
    const out = [];
    const doc = document.scrollingElement || document.documentElement;
    if (doc.scrollWidth > width + 1) out.push('page scrolls sideways: ' + doc.scrollWidth + 'px');
    const held = (el) => {
      for (let p = el.parentElement; p; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX))
          return p.getBoundingClientRect().right <= width + 1;
      }
      return false;
    };
    for (const el of document.querySelectorAll('main *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= width + 1 || held(el)) continue;
      const id = el.getAttribute('data-testid') || String(el.className).slice(0, 40);
      out.push(el.tagName.toLowerCase() + '.' + id + ' ends at ' + Math.round(r.right) + 'px');
      if (out.length > 10) break;
    }
    return out;
  })()`);
}
