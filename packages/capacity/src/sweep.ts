// Sweeps a deployment across device counts and draws required against measured capacity as an SVG
// chart (log-log), with the crossing point marked.
import { assess, capacityTps, type Measured } from './measured.ts';
import { type Deployment, defaultDeployment, deriveLoad } from './model.ts';

/** One row of a sweep. */
export interface SweepRow {
  devices: number;
  avgTps: number;
  peakTps: number;
  capacityTps: number | null;
  headroom: number | null;
  storageGbPerYear: number;
}

/** Result of a sweep: rows and, with a measurement, where required meets measured capacity. */
export interface Sweep {
  rows: SweepRow[];
  /** Largest device count whose peak load fits the measured throughput (null without a measurement). */
  crossingDevices: number | null;
  binding: string | null;
}

/** Evaluates the load model (and headroom, with a measurement) at each device count. */
export function sweep(counts: number[], base: Omit<Deployment, 'devices'>, measured?: Measured): Sweep {
  const rows = counts.map((n) => {
    const d = defaultDeployment(n, base);
    const load = deriveLoad(d);
    const cap = measured ? capacityTps(measured, d.validators) : null;
    return {
      devices: n,
      avgTps: load.avgTps,
      peakTps: load.peakTps,
      capacityTps: cap,
      headroom: cap === null ? null : cap / load.peakTps,
      storageGbPerYear: load.storageBytesPerYear / 1e9,
    };
  });
  if (!measured) return { rows, crossingDevices: null, binding: null };
  const a = assess(defaultDeployment(counts[0]!, base), measured);
  const tp = a.rows.find((r) => r.resource === 'throughput')!;
  return { rows, crossingDevices: tp.maxDevices, binding: a.binding };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Draws the sweep as a self-contained SVG: required peak and average tx/s, measured capacity, crossing. */
export function sweepChartSvg(s: Sweep, title: string): string {
  const W = 760;
  const H = 440;
  const m = { l: 80, r: 30, t: 50, b: 60 };
  const xs = s.rows.map((r) => r.devices);
  const ys = s.rows.flatMap((r) => [r.avgTps, r.peakTps, ...(r.capacityTps === null ? [] : [r.capacityTps])]);
  const x0 = Math.log10(Math.min(...xs));
  const x1 = Math.log10(Math.max(...xs));
  const y0 = Math.floor(Math.log10(Math.max(1e-3, Math.min(...ys))));
  const y1 = Math.ceil(Math.log10(Math.max(...ys)));
  const px = (v: number) => m.l + ((Math.log10(v) - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const py = (v: number) =>
    H - m.b - ((Math.log10(Math.max(v, 10 ** y0)) - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const line = (pts: [number, number][], color: string, dash = '') =>
    `<polyline fill="none" stroke="${color}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${pts
      .map(([a, b]) => `${px(a).toFixed(1)},${py(b).toFixed(1)}`)
      .join(' ')}"/>`;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="28" text-anchor="middle" font-size="16">${esc(title)}</text>`);
  for (let e = Math.ceil(x0); e <= Math.floor(x1); e++) {
    const x = px(10 ** e);
    parts.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${H - m.b}" stroke="#ddd"/>`);
    parts.push(`<text x="${x}" y="${H - m.b + 18}" text-anchor="middle">1e${e}</text>`);
  }
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e);
    parts.push(`<line x1="${m.l}" y1="${y}" x2="${W - m.r}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.l - 8}" y="${y + 4}" text-anchor="end">1e${e}</text>`);
  }
  parts.push(`<text x="${W / 2}" y="${H - 18}" text-anchor="middle">devices</text>`);
  parts.push(
    `<text x="20" y="${H / 2}" text-anchor="middle" transform="rotate(-90 20 ${H / 2})">transactions per second</text>`,
  );
  parts.push(
    line(
      s.rows.map((r) => [r.devices, r.avgTps]),
      '#1f77b4',
      '6 4',
    ),
  );
  parts.push(
    line(
      s.rows.map((r) => [r.devices, r.peakTps]),
      '#d62728',
    ),
  );
  const legend = [
    ['#1f77b4', 'required, average'],
    ['#d62728', 'required, gate-closure peak'],
  ];
  const cap = s.rows[0]?.capacityTps ?? null;
  if (cap !== null) {
    parts.push(
      line(
        [
          [xs[0]!, cap],
          [xs[xs.length - 1]!, cap],
        ],
        '#2ca02c',
      ),
    );
    legend.push(['#2ca02c', `measured capacity (${cap.toFixed(0)} tx/s)`]);
    const c = s.crossingDevices;
    if (c !== null && Number.isFinite(c) && c >= xs[0]! && c <= xs[xs.length - 1]!) {
      parts.push(
        `<circle cx="${px(c).toFixed(1)}" cy="${py(cap).toFixed(1)}" r="7" fill="none" stroke="black" stroke-width="2"/>`,
      );
      parts.push(
        `<text x="${(px(c) + 10).toFixed(1)}" y="${(py(cap) - 10).toFixed(1)}">crossing: ${c.toLocaleString('en-US')} devices</text>`,
      );
    }
  }
  legend.forEach(([color, label], i) => {
    const y = m.t + 12 + i * 18;
    parts.push(
      `<line x1="${m.l + 12}" y1="${y}" x2="${m.l + 40}" y2="${y}" stroke="${color}" stroke-width="3"/>`,
    );
    parts.push(`<text x="${m.l + 46}" y="${y + 4}">${esc(label!)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
