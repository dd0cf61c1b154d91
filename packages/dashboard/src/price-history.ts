// The LMP history the dashboard keeps: per cleared interval its start and the LMP at each bus ($/MWh),
// at most HISTORY_INTERVALS intervals, and one bus's series for the page's chart.
import { microsToDollars } from './curves.ts';

/** Intervals of LMP history kept per bus (a day of 5-minute intervals). */
export const HISTORY_INTERVALS = 288;

/** LMP history by interval. */
export class PriceHistory {
  /** interval -> { startMs, lmp by bus }. */
  readonly #byInterval = new Map<number, { startMs: number; lmps: Record<string, number> }>();

  /** Sets one interval's prices, dropping the oldest beyond the limit. */
  set(interval: number, startMs: number, lmps: Record<string, number>): void {
    this.#byInterval.set(interval, { startMs, lmps });
    this.#trim();
  }

  /** Adds gl_prices rows (one per interval and bus), dropping the oldest beyond the limit. */
  addRows(
    rows: readonly { interval: string; startMs: string; bus: number; lmpMicrosPerMWh: string }[],
  ): void {
    for (const row of rows) {
      const k = Number(row.interval);
      const h = this.#byInterval.get(k) ?? { startMs: Number(row.startMs), lmps: {} };
      h.lmps[row.bus] = microsToDollars(row.lmpMicrosPerMWh);
      this.#byInterval.set(k, h);
    }
    this.#trim();
  }

  /** One bus's history, oldest first: [interval start (market ms), $/MWh]. */
  series(bus: number): [number, number][] {
    return [...this.#byInterval.entries()]
      .sort((a, b) => a[0] - b[0])
      .flatMap(([, h]) => (h.lmps[bus] === undefined ? [] : [[h.startMs, h.lmps[bus]!] as [number, number]]));
  }

  #trim(): void {
    const keys = [...this.#byInterval.keys()].sort((a, b) => a - b);
    for (const k of keys.slice(0, Math.max(0, keys.length - HISTORY_INTERVALS))) this.#byInterval.delete(k);
  }
}
