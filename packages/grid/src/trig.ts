// Deterministic sine and cosine for the AC power flow: the result must be the same bits on every engine
// (Math.sin/Math.cos are implementation-defined in their last bit). fdlibm's method: Cody-Waite range
// reduction by pi/2 in three parts (exact for |x| < 2^19 pi/2) and the fixed minimax kernels of
// __kernel_sin/__kernel_cos (error below 1 ulp). Only +, -, *, Math.round and the exponent bits are used,
// all exact in IEEE-754 doubles.

const INV_PIO2 = 0.6366197723675814;
const PIO2_1 = 1.5707963267341256; // first 33 bits of pi/2
const PIO2_1T = 6.077100506506192e-11; // pi/2 - PIO2_1
const PIO2_2 = 6.077100506303966e-11; // second 33 bits
const PIO2_2T = 2.0222662487959506e-21;
const PIO2_3 = 2.0222662487111665e-21; // third 33 bits
const PIO2_3T = 8.4784276603689e-32;

const S1 = -0.16666666666666632;
const S2 = 0.00833333333332249;
const S3 = -0.0001984126982985795;
const S4 = 0.0000027557313707070068;
const S5 = -2.5050760253406863e-8;
const S6 = 1.58969099521155e-10;

const C1 = 0.0416666666666666;
const C2 = -0.001388888888887411;
const C3 = 0.00002480158728947673;
const C4 = -2.7557314351390663e-7;
const C5 = 2.087572321298175e-9;
const C6 = -1.1359647557788195e-11;

/** Largest |x| the reduction handles exactly (2^19 pi/2); beyond it sin and cos return NaN. */
export const TRIG_MAX_ARGUMENT = 823549.6;

const bits = new DataView(new ArrayBuffer(8));

/** Biased binary exponent of a double. */
function exponentOf(x: number): number {
  bits.setFloat64(0, x);
  return (bits.getUint32(0) >>> 20) & 0x7ff;
}

/** sin(x + y) for |x| <= pi/4, y the tail of x (|y| < ulp(x)/2). */
function kernelSin(x: number, y: number): number {
  const z = x * x;
  const v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  return x - (z * (0.5 * y - v * r) - y - v * S1);
}

/** sin(x) for |x| <= pi/4 (no tail). */
function kernelSin0(x: number): number {
  const z = x * x;
  const v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  return x + v * (S1 + z * r);
}

/** cos(x + y) for |x| <= pi/4. */
function kernelCos(x: number, y: number): number {
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  const hz = 0.5 * z;
  const w = 1 - hz;
  return w + (1 - w - hz + (z * r - x * y));
}

// Reduction result: x = n pi/2 + (hi + lo), |hi| <= pi/4 (module scratch, read right after reduce()).
let redHi = 0;
let redLo = 0;

/** Reduces x by pi/2; returns n mod 4. */
function reduce(x: number): number {
  const fn = Math.round(x * INV_PIO2);
  let r = x - fn * PIO2_1;
  let w = fn * PIO2_1T;
  const j = exponentOf(x);
  let y0 = r - w;
  if (j - exponentOf(y0) > 16) {
    let t = r;
    w = fn * PIO2_2;
    r = t - w;
    w = fn * PIO2_2T - (t - r - w);
    y0 = r - w;
    if (j - exponentOf(y0) > 49) {
      t = r;
      w = fn * PIO2_3;
      r = t - w;
      w = fn * PIO2_3T - (t - r - w);
      y0 = r - w;
    }
  }
  redHi = y0;
  redLo = r - y0 - w;
  return fn & 3;
}

/**
 * Sine with the same bits on every engine (fdlibm's algorithm, < 1 ulp from the exact value).
 * @example
 * sinDet(Math.PI / 6); // 0.49999999999999994
 */
export function sinDet(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 0.7853981633974483) return ax < 7.450580596923828e-9 ? x : kernelSin0(x);
  if (!(ax <= TRIG_MAX_ARGUMENT)) return Number.NaN;
  switch (reduce(x)) {
    case 0:
      return kernelSin(redHi, redLo);
    case 1:
      return kernelCos(redHi, redLo);
    case 2:
      return -kernelSin(redHi, redLo);
    default:
      return -kernelCos(redHi, redLo);
  }
}

/**
 * Cosine with the same bits on every engine (fdlibm's algorithm, < 1 ulp from the exact value).
 * @example
 * cosDet(0); // 1
 */
export function cosDet(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 0.7853981633974483) return ax < 7.450580596923828e-9 ? 1 : kernelCos(x, 0);
  if (!(ax <= TRIG_MAX_ARGUMENT)) return Number.NaN;
  switch (reduce(x)) {
    case 0:
      return kernelCos(redHi, redLo);
    case 1:
      return -kernelSin(redHi, redLo);
    case 2:
      return -kernelCos(redHi, redLo);
    default:
      return kernelSin(redHi, redLo);
  }
}
