// The stored form of a clearing's optimality certificate: JSON with typed arrays as plain arrays and
// infinite bounds as the strings "Infinity" / "-Infinity", so anyone can read it back from state and
// run verifyCertificate (of @gridledger/market) without re-solving. It carries each bus's price range
// (`priceRange`: bus ids, lmpLow, lmpHigh) when the clearing published one.
import type { Certificate } from '@gridledger/market';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const num = (x: number): number | string =>
  Number.isFinite(x) ? x : x > 0 ? 'Infinity' : x < 0 ? '-Infinity' : 'NaN';
const unnum = (x: number | string): number => (typeof x === 'number' ? x : Number(x));
const arr = (a: ArrayLike<number>) => Array.from(a, num);

/** A certificate as JSON-safe data. */
export function encodeCertificateJson(c: Certificate): Json {
  const p = c.program;
  return {
    format: c.format,
    objective: num(c.objective),
    x: arr(c.x),
    rowDual: arr(c.rowDual),
    colDual: arr(c.colDual),
    program: {
      numCols: p.numCols,
      numRows: p.numRows,
      offset: num(p.offset),
      colCost: arr(p.colCost),
      colQuadratic: arr(p.colQuadratic),
      colLower: arr(p.colLower),
      colUpper: arr(p.colUpper),
      rowLower: arr(p.rowLower),
      rowUpper: arr(p.rowUpper),
      rowStart: Array.from(p.rowStart),
      index: Array.from(p.index),
      value: arr(p.value),
    },
    ...(c.priceRange
      ? {
          priceRange: {
            busIds: c.priceRange.busIds,
            lmpLow: arr(c.priceRange.lmpLow),
            lmpHigh: arr(c.priceRange.lmpHigh),
          },
        }
      : {}),
  } as Json;
}

/** Reads a certificate back from {@link encodeCertificateJson}'s form. */
export function decodeCertificateJson(j: unknown): Certificate {
  const o = j as Record<string, unknown>;
  const p = o.program as Record<string, unknown>;
  const f = (v: unknown) => Float64Array.from(v as (number | string)[], unnum);
  const i = (v: unknown) => Int32Array.from(v as number[]);
  const range = o.priceRange as Record<string, unknown> | undefined;
  return {
    ...(range
      ? {
          priceRange: {
            busIds: Array.from(range.busIds as number[]),
            lmpLow: f(range.lmpLow),
            lmpHigh: f(range.lmpHigh),
          },
        }
      : {}),
    format: 'gridledger-kkt-v1',
    objective: unnum(o.objective as number),
    x: f(o.x),
    rowDual: f(o.rowDual),
    colDual: f(o.colDual),
    program: {
      numCols: p.numCols as number,
      numRows: p.numRows as number,
      offset: unnum(p.offset as number),
      colCost: f(p.colCost),
      colQuadratic: f(p.colQuadratic),
      colLower: f(p.colLower),
      colUpper: f(p.colUpper),
      rowLower: f(p.rowLower),
      rowUpper: f(p.rowUpper),
      rowStart: i(p.rowStart),
      index: i(p.index),
      value: f(p.value),
    },
  };
}
