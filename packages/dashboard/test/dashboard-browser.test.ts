// The dashboard in a real browser (Debian's chromium, headless, driven by playwright-core) against a
// running platform: `gridledger start --reset` (test/platform.ts: 4 validator processes, the simulator on
// the default scenario, case33bw_congested, with AC prices (`pricing: ac`), and the dashboard). Checks: the
// page loads without console errors, blocks advance on screen, the grid map draws at least two distinct
// LMP colours (read back from the canvas pixels at the bus centres), the congestion rent's destination
// (the rent fund) is shown, the voltage profile and each bus's LMP components and |V| are the chain's
// (gl_prices), clicking a bus shows its price history, the participant view shows credits after a
// settled interval, the forward and real-time prices of the last settled interval are gl_interval's,
// and each listed account's debt and default are gl_account's. Screenshots go to
// artifacts/screenshots/ (gitignored); GL_README_SCREENSHOT=1 also refreshes docs/img/dashboard.png
// (test/readme-screenshot.ts takes the README's from an evening run instead).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange } from '../../node/test/harness.ts';
import { CHROMIUM, launchBrowser, openWatchedPage, saveScreenshot, type TestBrowser } from './browser.ts';
import { type Platform, startPlatform, writeAcScenario } from './platform.ts';

/** The default scenario's solar park and 36 households: congested like the full 124, signed faster. */
const DEVICES = 40;
const PROBES = fileURLToPath(new URL('./page-probes.js', import.meta.url));
const README_IMAGE = fileURLToPath(new URL('../../../docs/img/dashboard.png', import.meta.url));

let platform: Platform | undefined;
let browser: TestBrowser | undefined;
let page: Page;
let problems: string[] = [];
let scenarioDir: string | undefined;

/** One JSON-RPC call to the first validator (what the dashboard shows is checked against it). */
async function rpc<T>(method: string, params: unknown[]): Promise<T> {
  const res = await fetch(platform!.rpcUrls[0]!, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** The data-* attributes of every row of a table on the page. */
const rowsOf = (testid: string, attrs: string[]) =>
  page.$$eval(
    `[data-testid=${testid}] tbody tr`,
    (trs, names) => trs.map((tr) => Object.fromEntries(names.map((n) => [n, tr.getAttribute(`data-${n}`)]))),
    attrs,
  ) as Promise<Record<string, string | null>[]>;

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
  scenarioDir = mkdtempSync(join(tmpdir(), 'gl-dash-scenario-'));
  platform = await startPlatform({
    basePort,
    port: basePort + 8,
    devices: DEVICES,
    scenario: writeAcScenario(scenarioDir),
  });
  browser = await launchBrowser();
  ({ page, problems } = await openWatchedPage(browser.context, platform.url, PROBES));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  if (scenarioDir) rmSync(scenarioDir, { recursive: true, force: true });
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

  it("shows AC prices: the voltage profile with its limits, each bus's components and |V| as gl_prices serves them", async () => {
    await expect(page.locator('[data-testid=pricing]').textContent()).resolves.toBe('AC prices');
    const profile = page.locator('[data-testid=voltage-profile]');
    await waitFor(
      'the voltage profile',
      () => profile.count(),
      (n) => n > 0,
      60_000,
    );
    const k = await profile.getAttribute('data-interval');
    const rows = await rowsOf('ac-components', ['bus', 'lmp', 'loss', 'vm']);
    const points = await rpc<{ bus: number; lmpMicrosPerMWh: string; ac?: Record<string, string> }[]>(
      'gl_prices',
      [k, k],
    );
    expect(rows).toHaveLength(33);
    expect(points).toHaveLength(33);
    for (const p of points) {
      const row = rows.find((r) => r.bus === String(p.bus))!;
      expect(Number(row.lmp)).toBeCloseTo(Number(p.lmpMicrosPerMWh) / 1e6, 9);
      expect(Number(row.loss)).toBeCloseTo(Number(p.ac!.lmpLossMicrosPerMWh) / 1e6, 9);
      expect(Number(row.vm)).toBeCloseTo(Number(p.ac!.vmMicroPu) / 1e6, 9);
    }
    // Prices differ along the feeder (losses), not only across the congested line.
    expect(new Set(rows.map((r) => r.lmp)).size).toBeGreaterThan(2);
    // The chart draws a point per bus and both limits of the registered network (0.9 and 1.1 p.u.).
    const chart = (await page.evaluate(`(() => {
      const el = document.querySelector('[data-testid=voltage-profile-chart]');
      const o = window.echarts.getInstanceByDom(el).getOption();
      return { points: o.series[1].data.length, limits: o.series[1].markLine.data.map((d) => d.yAxis) };
    })()`)) as { points: number; limits: number[] };
    expect(chart).toEqual({ points: 33, limits: [1.1, 0.9] });
    await page.locator('[data-testid=panel-voltage]').scrollIntoViewIfNeeded();
    await saveScreenshot(page, '02b-voltage-profile');
  }, 120_000);

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

  it('shows the forward and real-time prices of the last settled interval as gl_interval serves them', async () => {
    const settlement = page.locator('[data-testid=settlement]');
    await waitFor(
      'the settled interval',
      () => settlement.count(),
      (n) => n > 0,
      60_000,
    );
    const k = await settlement.getAttribute('data-interval');
    const rows = await rowsOf('realtime-prices', ['bus', 'forward', 'realtime']);
    const iv = await rpc<{
      status: string;
      lmpMicrosPerMWh: Record<string, string>;
      realtimeLmpMicrosPerMWh: Record<string, string> | null;
    }>('gl_interval', [k]);
    expect(iv.status).toBe('settled');
    expect(rows).toHaveLength(33);
    for (const r of rows) {
      expect(Number(r.forward)).toBeCloseTo(Number(iv.lmpMicrosPerMWh[r.bus!]) / 1e6, 9);
      expect(Number(r.realtime)).toBeCloseTo(Number(iv.realtimeLmpMicrosPerMWh![r.bus!]) / 1e6, 9);
    }
    await page.locator('[data-testid=panel-settlement]').scrollIntoViewIfNeeded();
    await saveScreenshot(page, '05-settlement');
  }, 120_000);

  it("shows each listed account's debt and default as gl_account has them, and the rent fund", async () => {
    await waitFor(
      'the accounts table',
      () => page.locator('[data-testid=accounts-table] tbody tr').count(),
      (n) => n > 0,
      60_000,
    );
    await expect(page.locator('[data-testid=rent-fund]').textContent()).resolves.toMatch(
      /congestion rent goes to the rent fund 0x0000…1013, a cash balance no key controls[\s\S]*It holds \d[\d,]*\.\d\d \$/,
    );
    // Debts move only at clearing and settlement: compare until a read falls between two of them.
    const mismatches = await waitFor(
      'the accounts table to match gl_account',
      async () => {
        const rows = await rowsOf('accounts-table', ['address', 'debt', 'default']);
        const out: string[] = [];
        for (const r of rows) {
          const a = await rpc<{ debtMicros: string; inDefault: boolean }>('gl_account', [r.address]);
          if (Number(r.debt) !== Number(a.debtMicros) / 1e6 || r.default !== String(a.inDefault))
            out.push(`${r.address}: shown ${r.debt} ${r.default}, chain ${a.debtMicros} ${a.inDefault}`);
        }
        return out;
      },
      (m) => m.length === 0,
      60_000,
    );
    expect(mismatches).toEqual([]);
    // The participant view's debt is gl_account's too.
    const debt = page.locator('[data-testid=participant-debt]');
    const address = await page.locator('[data-testid=participant-select]').inputValue();
    const shown = await waitFor(
      'the participant debt',
      () => debt.getAttribute('data-micros'),
      (v) => !!v,
      60_000,
    );
    const acct = await rpc<{ debtMicros: string }>('gl_account', [address]);
    expect(shown).toBe(acct.debtMicros);
    await page.locator('[data-testid=panel-accounts]').scrollIntoViewIfNeeded();
    await saveScreenshot(page, '06-accounts');
    expect(problems).toEqual([]);
  }, 150_000);
});
