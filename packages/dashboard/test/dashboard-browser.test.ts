// The dashboard in a real browser (Debian's chromium, headless, driven by playwright-core) against a
// running platform: `gridledger start --reset` (test/platform.ts: 4 validator processes, the simulator on
// the default scenario, case33bw_congested, and the dashboard). Checks: the page loads without console errors,
// blocks advance on screen, the grid map draws at least two distinct LMP colours (read back from the
// canvas pixels at the bus centres), the congestion rent's destination (the rent fund) is shown,
// clicking a bus shows its price history, and the participant view shows credits after a settled
// interval. Screenshots go to artifacts/screenshots/ (gitignored);
// GL_README_SCREENSHOT=1 also refreshes docs/img/dashboard.png.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange } from '../../node/test/harness.ts';
import { CHROMIUM, launchBrowser, openWatchedPage, saveScreenshot, type TestBrowser } from './browser.ts';
import { type Platform, startPlatform } from './platform.ts';

/** The default scenario's solar park and 36 households: congested like the full 124, signed faster. */
const DEVICES = 40;
const PROBES = fileURLToPath(new URL('./page-probes.js', import.meta.url));
const README_IMAGE = fileURLToPath(new URL('../../../docs/img/dashboard.png', import.meta.url));

let platform: Platform | undefined;
let browser: TestBrowser | undefined;
let page: Page;
let problems: string[] = [];

/** Polls `read` in the page until `ok` holds; returns the last value. */
async function waitFor<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number) {
  const t0 = Date.now();
  let v = await read();
  while (!ok(v)) {
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 500));
    v = await read();
  }
  return v;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: run \`node scripts/ensure-chromium.mjs\` (npm test does) or apt-get install chromium`,
    );
  // Validators on basePort..basePort+7, the dashboard on basePort+8: one free range, chosen now.
  const basePort = await freePortRange(9);
  platform = await startPlatform({ basePort, port: basePort + 8, devices: DEVICES });
  browser = await launchBrowser();
  ({ page, problems } = await openWatchedPage(browser.context, platform.url, PROBES));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
}, 60_000);

describe('dashboard in chromium', () => {
  it('loads without console errors and shows blocks advancing', async () => {
    const height = () =>
      page
        .locator('[data-testid=height]')
        .textContent()
        .then((t) => Number((t ?? '').replace(/,/g, '')) || 0);
    const h1 = await waitFor('a block height on screen', height, (h) => h > 0, 60_000);
    const h2 = await waitFor('the height to advance on screen', height, (h) => h >= h1 + 2, 60_000);
    expect(h2).toBeGreaterThanOrEqual(h1 + 2);
    const rows = await page.locator('[data-testid=blocks] tbody tr').count();
    expect(rows).toBeGreaterThan(2);
    await expect(page.locator('[data-testid=connection]').textContent()).resolves.toBe('live');
    await saveScreenshot(page, '01-loaded');
    expect(problems).toEqual([]);
  }, 150_000);

  it('draws the congested feeder with at least two distinct LMP colours', async () => {
    const colours = await waitFor(
      'two LMP colours on the grid map',
      () =>
        page
          .locator('[data-testid=grid-map]')
          .getAttribute('data-lmp-colors')
          .then((s) => (s ?? '').split(' ').filter(Boolean)),
      (c) => c.length >= 2,
      150_000,
    );
    expect(colours.length).toBeGreaterThanOrEqual(2);
    expect(
      Number(await page.locator('[data-testid=grid-map]').getAttribute('data-congested')),
    ).toBeGreaterThan(0);
    // What the canvas shows at each bus centre: the colours must really be drawn, not just configured.
    await page.waitForTimeout(500);
    const drawn = (await page.evaluate('window.__dashboardProbes.drawnBusColours()')) as string[];
    const drawnSet = new Set(drawn);
    expect(colours.filter((c) => drawnSet.has(c)).length).toBeGreaterThanOrEqual(2);
    // The congestion rent's destination: the published rent fund (0x…1013), holding the rent so far.
    const rent = await page.locator('[data-testid=rent-destination]').textContent();
    expect(rent).toMatch(/rent fund 0x0000…1013 \(holds \d+\.\d\d \$\)/);
    await saveScreenshot(page, '02-lmp-colours');
  }, 200_000);

  it('shows the price history of a bus clicked on the map', async () => {
    // Click the bus whose LMP differs most from the one selected now (a real mouse click on the canvas).
    const target = (await page.evaluate('window.__dashboardProbes.contrastingBus()')) as {
      bus: number;
      x: number;
      y: number;
    };
    await page.mouse.click(target.x, target.y);
    const history = page.locator('[data-testid=bus-history]');
    await waitFor(
      'the clicked bus in the history panel',
      () => history.getAttribute('data-bus'),
      (b) => b === String(target.bus),
      20_000,
    );
    const points = await waitFor(
      'price points of the clicked bus',
      () => history.getAttribute('data-points').then(Number),
      (n) => n > 0,
      60_000,
    );
    expect(points).toBeGreaterThan(0);
    // the chart draws on the frame after its points arrive: wait for its canvas, then expect exactly one
    const canvases = await waitFor(
      'the price history chart',
      () => page.locator('[data-testid=bus-history-chart] canvas').count(),
      (n) => n > 0,
      20_000,
    );
    expect(canvases).toBe(1);
    await page.mouse.move(5, 5); // leave the map: its hover highlight would dim the other buses
    await page.waitForTimeout(300);
    await saveScreenshot(page, '03-bus-history');
  }, 120_000);

  it('shows a participant with credits after a settled interval', async () => {
    const credits = page.locator('[data-testid=participant-credits]');
    const wh = await waitFor(
      'credits in the participant view',
      () =>
        credits
          .count()
          .then((n) => (n === 0 ? 0 : credits.getAttribute('data-wh').then((v) => Number(v || 0)))),
      (v) => v > 0,
      300_000,
    );
    expect(wh).toBeGreaterThan(0);
    await expect(credits.textContent()).resolves.toMatch(/kWh/);
    await saveScreenshot(page, '04-participant');
    if (process.env.GL_README_SCREENSHOT) {
      mkdirSync(fileURLToPath(new URL('.', `file://${README_IMAGE}`)), { recursive: true });
      await page.screenshot({ path: README_IMAGE, fullPage: false });
    }
    expect(problems).toEqual([]);
    expect(platform!.log()).not.toMatch(/the simulator stopped/);
  }, 360_000);
});
