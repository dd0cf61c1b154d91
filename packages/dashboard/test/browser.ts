// Headless Debian chromium driven by playwright-core for the dashboard's browser tests: the flags the
// project uses (no sandbox, no GPU, no background networking, a fresh profile per launch), and a page
// that records every console error, page error and failed request so a test can assert there were none.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's chromium (scripts/ensure-chromium.mjs installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/** Where screenshots go (gitignored): artifacts/screenshots at the repository root. */
export const SCREENSHOTS_DIR = fileURLToPath(new URL('../../../artifacts/screenshots/', import.meta.url));

/** A launched browser with its throwaway profile. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless chromium with a fresh profile folder (playwright passes it as --user-data-dir). */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'gl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1600, height: 1100 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-quic',
      '--no-first-run',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A page that keeps every problem it saw. */
export interface WatchedPage {
  page: Page;
  /** Console errors, uncaught page errors and failed requests, in order. */
  problems: string[];
}

/** Opens a page (1600x1100) that records console errors, page errors and failed requests; `initScript` runs first in it. */
export async function openWatchedPage(
  context: BrowserContext,
  url: string,
  initScript?: string,
): Promise<WatchedPage> {
  const page = await context.newPage();
  if (initScript !== undefined) await page.addInitScript({ path: initScript });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) =>
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`),
  );
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
  return { page, problems };
}

/** Saves a screenshot as a test artifact; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const path = join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
