// Display helpers of the dashboard page: numbers, balances, addresses, market times, and the LMP colour
// scale the map and its legend share.

/** Colour stops of the LMP scale, low to high price (ColorBrewer RdYlBu, reversed). */
export const LMP_STOPS = ['#2c7bb6', '#abd9e9', '#ffffbf', '#fdae61', '#d7191c'];

function hexToRgb(h) {
  const n = Number.parseInt(h.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** The colour of `value` on the LMP scale spanning [min, max] (the middle stop when min == max). */
export function lmpColor(value, min, max) {
  const t = max > min ? Math.min(1, Math.max(0, (value - min) / (max - min))) : 0.5;
  const pos = t * (LMP_STOPS.length - 1);
  const i = Math.min(LMP_STOPS.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = hexToRgb(LMP_STOPS[i]);
  const b = hexToRgb(LMP_STOPS[i + 1]);
  const c = a.map((x, j) => Math.round(x + (b[j] - x) * f));
  return `#${c.map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/** The colour of a line by its loading (0..1+), red when congested. */
export function loadingColor(loading, congested) {
  if (congested) return '#c0392b';
  if (loading >= 0.9) return '#e67e22';
  if (loading >= 0.5) return '#d4ac0d';
  return '#7f9c8f';
}

/** A number with thousands separators and `digits` decimals. */
export function num(v, digits = 0) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return Number(v).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** $/MWh with two decimals. */
export const price = (v) => (v === null || v === undefined ? '—' : `${num(v, 2)} $/MWh`);

/** Wh as kWh. */
export const kwh = (wh, digits = 2) =>
  wh === null || wh === undefined ? '—' : `${num(wh / 1000, digits)} kWh`;

/** A balance given as a decimal string of the smallest unit, shown with `decimals` (BigInt-exact). */
export function units(s, decimals, shown = 2) {
  if (s === null || s === undefined) return '—';
  const v = BigInt(s);
  const base = 10n ** BigInt(decimals);
  const whole = v / base;
  const frac = (v % base).toString().padStart(decimals, '0').slice(0, shown);
  return `${whole.toLocaleString('en-US')}${shown > 0 ? `.${frac}` : ''}`;
}

/** 0x1234…abcd */
export const short = (a) => (a ? `${a.slice(0, 6)}…${a.slice(-4)}` : '—');

/** HH:MM of a market time (UTC: the simulated day). */
export function hhmm(ms) {
  const d = new Date(ms);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

/** HH:MM:SS of a block time (local clock). */
export function clock(ms) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, '0')).join(':');
}
