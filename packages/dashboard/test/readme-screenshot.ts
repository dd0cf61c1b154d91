// Takes the README's dashboard screenshot (docs/img/dashboard.png) from a real run: `gridledger start`
// on the default scenario with AC prices (`pricing: ac`) starting at 22:00, when the feeder imports
// and its prices rise with distance from the substation (losses), 40 devices; waits until the page shows
// the voltage profile and a settled interval, then saves the 1600x1100 view.
// Run: npx tsx packages/dashboard/test/readme-screenshot.ts [--hour H] (ports 27440-27460).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, openWatchedPage } from './browser.ts';
import { startPlatform, writeAcScenario } from './platform.ts';

const OUT = fileURLToPath(new URL('../../../docs/img/dashboard.png', import.meta.url));
const i = process.argv.indexOf('--hour');
const hour = i > 0 ? Number(process.argv[i + 1]) : 22;
if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new Error('expected --hour 0..23');

const dir = mkdtempSync(join(tmpdir(), 'gl-readme-'));
const platform = await startPlatform({
  basePort: 27440,
  port: 27460,
  devices: 40,
  startTimeoutMs: 480_000,
  scenario: writeAcScenario(dir, { hour }),
});
const browser = await launchBrowser();
try {
  const { page, problems } = await openWatchedPage(browser.context, platform.url);
  const t0 = Date.now();
  for (;;) {
    const ready = await page.evaluate(
      // a settled interval with orders (its forward prices are positive) and the voltage profile of a later one
      `!!document.querySelector('[data-testid=voltage-profile]') && !!document.querySelector('[data-testid=accounts-table]') && [...document.querySelectorAll('[data-testid=realtime-prices] tbody tr')].some((tr) => Number(tr.getAttribute('data-forward')) > 0)`,
    );
    if (ready) break;
    if (Date.now() - t0 > 400_000) throw new Error('the page showed no AC interval and settlement in 400 s');
    await page.waitForTimeout(1000);
  }
  await page.waitForTimeout(1500);
  mkdirSync(dirname(OUT), { recursive: true });
  await page.screenshot({ path: OUT, fullPage: false });
  const lmps = await page.$$eval('[data-testid=ac-components] tbody tr', (trs) =>
    trs.map((tr) => [tr.getAttribute('data-bus'), tr.children[1]?.textContent, tr.getAttribute('data-lmp')]),
  );
  process.stdout.write(
    `saved ${OUT}\nbus, depth, LMP: ${JSON.stringify(lmps)}\nproblems: ${JSON.stringify(problems)}\n`,
  );
} finally {
  await browser.close();
  await platform.stop();
  rmSync(dir, { recursive: true, force: true });
}
