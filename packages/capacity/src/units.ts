// Parsing of the human quantities the capacity planner takes: durations ("5m", "300s", "1h", "1d"),
// counts ("1e4", "10000", "10k") and sweep ranges ("1e3..1e7"). Bad input throws InputError.
import { InputError } from '@gridledger/base';

const DURATION_S: Record<string, number> = { ms: 0.001, s: 1, m: 60, min: 60, h: 3600, d: 86400 };

/**
 * Parses a duration such as "5m", "300s", "1.5h" or "250ms" into seconds.
 * @example parseDurationS('5m') // 300
 */
export function parseDurationS(text: string, what = 'duration'): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]+)\s*$/i.exec(text);
  if (!m) {
    throw new InputError(`${what}: expected a number with a unit (ms, s, m, h, d), e.g. "5m", got "${text}"`);
  }
  const unit = m[2]!.toLowerCase();
  const scale = DURATION_S[unit];
  if (scale === undefined) {
    throw new InputError(`${what}: unknown unit "${m[2]}" in "${text}"; use ms, s, m, h or d`);
  }
  const v = Number(m[1]) * scale;
  if (!(v > 0) || !Number.isFinite(v)) throw new InputError(`${what}: must be positive, got "${text}"`);
  return v;
}

/**
 * Parses a positive count: "10000", "1e4", "10k", "2M".
 * @example parseCount('1e4') // 10000
 */
export function parseCount(text: string, what = 'count'): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kKmM]?)\s*$/.exec(text);
  if (!m)
    throw new InputError(`${what}: expected a positive whole number such as 1000, 1e4 or 10k, got "${text}"`);
  const scale = m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1e3 : 1e6;
  const v = Number(m[1]) * scale;
  if (!Number.isFinite(v) || v <= 0)
    throw new InputError(`${what}: must be greater than zero, got "${text}"`);
  if (!Number.isInteger(v)) throw new InputError(`${what}: must be a whole number, got "${text}"`);
  return v;
}

/**
 * Parses a sweep range "LO..HI" of device counts into log-spaced points (points per decade).
 * @example parseSweep('1e3..1e5', 1) // [1000, 10000, 100000]
 */
export function parseSweep(text: string, perDecade = 4): number[] {
  const parts = text.split('..');
  if (parts.length !== 2) throw new InputError(`--sweep: expected LO..HI such as 1e3..1e7, got "${text}"`);
  const lo = parseCount(parts[0]!, '--sweep low end');
  const hi = parseCount(parts[1]!, '--sweep high end');
  if (hi <= lo) throw new InputError(`--sweep: the high end (${hi}) must be above the low end (${lo})`);
  const n = Math.max(1, Math.round(Math.log10(hi / lo) * perDecade));
  const out: number[] = [];
  for (let i = 0; i <= n; i++) out.push(Math.round(lo * (hi / lo) ** (i / n)));
  return [...new Set(out)];
}
