// MATPOWER case import (format version 2): reads a case file as it is (comments, scientific notation,
// `;` or newline row separators, extra columns, non-contiguous bus numbers, status 0 rows, empty
// matrices, cell arrays and other fields kept as `extra`), evaluates the simple trailing MATLAB
// statements some files end with (see matpower-statements.ts), and builds the canonical Network.
// Every error names the file, the line and what was expected.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InputError } from '@gridledger/base';
import { type Mat, StatementError, StatementEvaluator } from './matpower-statements.ts';
import type { Branch, Bus, GenCost, Generator, Network } from './network.ts';

interface RawMatrix extends Mat {
  /** 1-based file line of each row. */
  rowLines: number[];
  /** Line where the field was assigned. */
  line: number;
}

/** Strips a `%` comment, ignoring `%` inside single-quoted strings. */
function stripComment(line: string): string {
  const p = line.indexOf('%');
  if (p < 0) return line;
  if (line.indexOf("'") < 0 || line.indexOf("'") > p) return line.slice(0, p);
  let inStr = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") inStr = !inStr;
    else if (c === '%' && !inStr) return line.slice(0, i);
  }
  return line;
}

function parseNumber(tok: string): number {
  const v = Number(tok);
  if (!Number.isNaN(v) && tok !== '' && !/^[+-]?0[xXbBoO]/.test(tok)) return v;
  switch (tok) {
    case 'Inf':
    case 'inf':
    case '+Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
    case '-inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
    case 'nan':
      return Number.NaN;
    default:
      return Number.NaN;
  }
}

/** Appends the numbers of a row segment (separated by blanks or commas) to `out`. */
function scanNumbers(seg: string, out: number[], fail: (tok: string) => never): void {
  const n = seg.length;
  let k = 0;
  while (k < n) {
    let c = seg.charCodeAt(k);
    // space, tab, comma, CR
    if (c === 32 || c === 9 || c === 44 || c === 13) {
      k++;
      continue;
    }
    const start = k;
    while (k < n) {
      c = seg.charCodeAt(k);
      if (c === 32 || c === 9 || c === 44 || c === 13) break;
      k++;
    }
    const tok = seg.substring(start, k);
    const v = +tok;
    if (!Number.isNaN(v)) {
      // Number() accepts hex, octal and binary literals (0x.., 0o.., 0b..) that MATLAB does not.
      const c1 = tok.length > 1 ? tok.charCodeAt(1) | 32 : 0;
      if (tok.charCodeAt(0) === 48 && (c1 === 120 || c1 === 111 || c1 === 98)) fail(tok);
      out.push(v);
    } else {
      const w = parseNumber(tok);
      if (Number.isNaN(w) && tok !== 'NaN' && tok !== 'nan') fail(tok);
      out.push(w);
    }
  }
}

const NUMBER_LIKE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:Inf|inf)$|^NaN$|^nan$/;

/** Splits a statement line on top-level `;` (outside quotes, brackets and parentheses). */
function splitStatements(code: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inStr = false;
  let start = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === "'") inStr = !inStr;
    else if (inStr) continue;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ';' && depth === 0) {
      out.push(code.slice(start, i));
      start = i + 1;
    }
  }
  out.push(code.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Parses the text of a MATPOWER case file (format version 2) into a {@link Network}.
 * @param fileName used in error messages and as the case name when the file has no function header.
 * @throws InputError naming file, line and what was expected when the file is malformed.
 * @example
 * const net = parseMatpower(await readFile('case9.m', 'utf8'), 'case9.m');
 * net.buses.length; // 9
 */
export function parseMatpower(text: string, fileName = '<input>'): Network {
  const lines = text.split(/\r?\n/);
  const matrices = new Map<string, RawMatrix>();
  const extra: Record<string, unknown> = {};
  let name = basename(fileName).replace(/\.m$/, '');
  let version: string | undefined;
  const where = (line: number) => `${fileName}:${line}`;

  const host = {
    getField(f: string): Mat | undefined {
      const m = matrices.get(f);
      if (m) return m;
      const v = extra[f];
      return typeof v === 'number' ? { rows: 1, cols: 1, data: [v] } : undefined;
    },
    setField(f: string, value: Mat): void {
      const old = matrices.get(f);
      if (old && old === value) return;
      if (value.rows === 1 && value.cols === 1 && !old) {
        extra[f] = value.data[0];
        return;
      }
      matrices.set(f, {
        ...value,
        rowLines: old?.rowLines ?? new Array(value.rows).fill(0),
        line: old?.line ?? 0,
      });
    },
  };
  const evaluator = new StatementEvaluator(host);

  let i = 0;
  while (i < lines.length) {
    const lineNo = i + 1;
    const code = stripComment(lines[i]!).trim();
    i++;
    if (code === '') continue;
    const fn = /^function\s+(?:\[?\s*\w+\s*\]?\s*=\s*)?(\w+)/.exec(code);
    if (fn) {
      name = fn[1]!;
      continue;
    }
    const block = /^mpc\.([A-Za-z_]\w*)\s*=\s*([[{])(.*)$/.exec(code);
    if (block) {
      const field = block[1]!;
      const open = block[2]!;
      const close = open === '[' ? ']' : '}';
      const rows: (number | string)[][] = [];
      const rowLines: number[] = [];
      let row: (number | string)[] = [];
      // Numeric matrices go straight into one flat array.
      const data: number[] = [];
      let cols = -1;
      let rowStart = 0;
      let rest = block[3]!;
      let restLine = lineNo;
      let closed = false;
      const fail = (tok: string): never => {
        throw new InputError(`${where(restLine)}: expected a number in mpc.${field}, got "${tok}"`);
      };
      const endNumericRow = () => {
        const len = data.length - rowStart;
        if (len === 0) return;
        if (cols < 0) cols = len;
        else if (len !== cols) {
          throw new InputError(
            `${where(restLine)}: row ${rowLines.length + 1} of mpc.${field} has ${len} columns, expected ${cols} like row 1`,
          );
        }
        rowLines.push(restLine);
        rowStart = data.length;
      };
      for (;;) {
        let content = rest;
        let continued = false;
        const closeAt = content.indexOf(close);
        if (closeAt >= 0) {
          const after = content.slice(closeAt + 1).trim();
          if (after !== '' && after !== ';') {
            throw new InputError(
              `${where(restLine)}: expected ";" after "${close}" of mpc.${field}, got "${after}"`,
            );
          }
          content = content.slice(0, closeAt);
          closed = true;
        }
        const cont = content.indexOf('...');
        if (cont >= 0) {
          content = content.slice(0, cont);
          continued = true;
        }
        if (open === '[') {
          let a = 0;
          for (;;) {
            const b = content.indexOf(';', a);
            scanNumbers(
              b < 0 ? (a === 0 ? content : content.substring(a)) : content.substring(a, b),
              data,
              fail,
            );
            if (b < 0) break;
            endNumericRow();
            a = b + 1;
          }
          if (!continued) endNumericRow();
        } else {
          const segments = content.split(';');
          for (let s = 0; s < segments.length; s++) {
            const seg = segments[s]!;
            const re = /'((?:[^']|'')*)'|([^\s,']+)/g;
            for (let m = re.exec(seg); m; m = re.exec(seg)) {
              if (m[1] !== undefined) row.push(m[1].replace(/''/g, "'"));
              else if (NUMBER_LIKE.test(m[2]!)) row.push(parseNumber(m[2]!));
              else row.push(m[2]!);
            }
            const endOfRow = s < segments.length - 1 || !continued;
            if (endOfRow && row.length > 0) {
              rows.push(row);
              rowLines.push(restLine);
              row = [];
            }
          }
        }
        if (closed) break;
        if (i >= lines.length) {
          throw new InputError(
            `${where(lineNo)}: mpc.${field} opened with "${open}" is never closed with "${close}"`,
          );
        }
        restLine = i + 1;
        rest = stripComment(lines[i]!);
        i++;
      }
      if (open === '[') {
        matrices.set(field, { rows: rowLines.length, cols: Math.max(cols, 0), data, rowLines, line: lineNo });
        delete extra[field];
      } else {
        extra[field] = rows;
      }
      continue;
    }
    // A statement, possibly continued with "..." over several lines.
    let stmt = code;
    let stmtLine = lineNo;
    while (stmt.endsWith('...')) {
      stmt = stmt.slice(0, -3);
      if (i >= lines.length)
        throw new InputError(`${where(stmtLine)}: statement continued with "..." past the end`);
      stmt += ` ${stripComment(lines[i]!).trim()}`;
      i++;
    }
    for (const s of splitStatements(stmt)) {
      const str = /^mpc\.([A-Za-z_]\w*)\s*=\s*'([^']*)'$/.exec(s);
      if (str) {
        if (str[1] === 'version') version = str[2];
        else extra[str[1]!] = str[2];
        continue;
      }
      try {
        evaluator.run(s);
      } catch (err) {
        if (err instanceof StatementError) {
          throw new InputError(
            `${where(stmtLine)}: cannot evaluate MATLAB statement "${s}": ${err.message}`,
            {
              details:
                'supported: scalar assignments, define_constants, [..] = idx_*, mpc.f(rows, cols) = expression',
            },
          );
        }
        throw err;
      }
    }
    stmtLine = i;
  }

  if (version !== undefined && version !== '2') {
    throw new InputError(`${fileName}: expected MATPOWER case format version 2, got version '${version}'`);
  }
  return buildNetwork(name, fileName, matrices, extra);
}

function buildNetwork(
  name: string,
  fileName: string,
  matrices: Map<string, RawMatrix>,
  extra: Record<string, unknown>,
): Network {
  const baseMVA = typeof extra.baseMVA === 'number' ? extra.baseMVA : matrices.get('baseMVA')?.data[0];
  delete extra.baseMVA;
  if (baseMVA === undefined || !Number.isFinite(baseMVA) || baseMVA <= 0) {
    throw new InputError(
      `${fileName}: expected "mpc.baseMVA = <positive number>;", got ${baseMVA ?? 'none'}`,
    );
  }
  const need = (field: string, minCols: number): RawMatrix => {
    const m = matrices.get(field);
    if (!m) throw new InputError(`${fileName}: expected a matrix "mpc.${field} = [ ... ];", found none`);
    if (m.rows > 0 && m.cols < minCols) {
      throw new InputError(
        `${fileName}:${m.rowLines[0]}: mpc.${field} needs at least ${minCols} columns, got ${m.cols}`,
      );
    }
    return m;
  };
  const cell = (m: RawMatrix, r: number, c: number, what: string, check?: (v: number) => boolean): number => {
    const v = c < m.cols ? m.data[r * m.cols + c]! : Number.NaN;
    if (Number.isNaN(v) || (check && !check(v))) {
      throw new InputError(
        `${fileName}:${m.rowLines[r]}: row ${r + 1}, column ${c + 1}: expected ${what}, got ${v}`,
      );
    }
    return v;
  };
  const finite = (v: number) => Number.isFinite(v);
  const notNaN = () => true;
  const positiveInteger = (v: number) => Number.isInteger(v) && v > 0;
  const busType = (v: number) => v === 1 || v === 2 || v === 3 || v === 4;
  const nonNegative = (v: number) => v >= 0;

  const busM = need('bus', 13);
  const buses: Bus[] = [];
  const busIds = new Set<number>();
  for (let r = 0; r < busM.rows; r++) {
    const id = cell(busM, r, 0, 'a positive integer bus number', positiveInteger);
    if (busIds.has(id)) throw new InputError(`${fileName}:${busM.rowLines[r]}: duplicate bus number ${id}`);
    busIds.add(id);
    buses.push({
      id,
      type: cell(busM, r, 1, 'a bus type 1..4', busType),
      pdMw: cell(busM, r, 2, 'a finite Pd', finite),
      qdMvar: cell(busM, r, 3, 'a finite Qd', finite),
      gsMw: cell(busM, r, 4, 'a finite Gs', finite),
      bsMvar: cell(busM, r, 5, 'a finite Bs', finite),
      area: cell(busM, r, 6, 'an area number', notNaN),
      vmPu: cell(busM, r, 7, 'Vm', notNaN),
      vaDeg: cell(busM, r, 8, 'a finite Va', finite),
      baseKv: cell(busM, r, 9, 'baseKV', notNaN),
      zone: cell(busM, r, 10, 'a zone', notNaN),
      vmaxPu: cell(busM, r, 11, 'Vmax', notNaN),
      vminPu: cell(busM, r, 12, 'Vmin', notNaN),
    });
  }
  const knownBus = (v: number) => busIds.has(v);
  const busRef = (m: RawMatrix, r: number, c: number) =>
    cell(m, r, c, 'the number of a bus in mpc.bus', knownBus);

  const genM = need('gen', 10);
  const generators: Generator[] = [];
  for (let r = 0; r < genM.rows; r++) {
    const g: Generator = {
      index: r + 1,
      bus: busRef(genM, r, 0),
      pgMw: cell(genM, r, 1, 'a finite Pg', finite),
      qgMvar: cell(genM, r, 2, 'Qg', notNaN),
      qmaxMvar: cell(genM, r, 3, 'Qmax', notNaN),
      qminMvar: cell(genM, r, 4, 'Qmin', notNaN),
      vgPu: cell(genM, r, 5, 'Vg', notNaN),
      mBase: cell(genM, r, 6, 'mBase', notNaN),
      status: cell(genM, r, 7, 'a finite status', finite),
      pmaxMw: cell(genM, r, 8, 'Pmax (a number, Inf allowed)', notNaN),
      pminMw: cell(genM, r, 9, 'Pmin (a number, -Inf allowed)', notNaN),
    };
    if (g.status > 0 && g.pminMw > g.pmaxMw) {
      throw new InputError(
        `${fileName}:${genM.rowLines[r]}: generator ${r + 1}: expected Pmin <= Pmax, got ${g.pminMw} > ${g.pmaxMw}`,
      );
    }
    generators.push(g);
  }

  const brM = need('branch', 11);
  const branches: Branch[] = [];
  for (let r = 0; r < brM.rows; r++) {
    const status = cell(brM, r, 10, 'a finite status', finite);
    const br: Branch = {
      index: r + 1,
      from: busRef(brM, r, 0),
      to: busRef(brM, r, 1),
      rPu: cell(brM, r, 2, 'a finite r', finite),
      xPu: cell(brM, r, 3, 'a finite x', finite),
      bPu: cell(brM, r, 4, 'a finite b', finite),
      rateAMw: cell(brM, r, 5, 'a rateA >= 0', nonNegative),
      rateBMw: cell(brM, r, 6, 'rateB', notNaN),
      rateCMw: cell(brM, r, 7, 'rateC', notNaN),
      tap: cell(brM, r, 8, 'a finite tap ratio', finite),
      shiftDeg: cell(brM, r, 9, 'a finite shift angle', finite),
      status,
      angminDeg: brM.cols > 11 ? cell(brM, r, 11, 'angmin', notNaN) : -360,
      angmaxDeg: brM.cols > 12 ? cell(brM, r, 12, 'angmax', notNaN) : 360,
    };
    if (status > 0 && br.xPu === 0) {
      throw new InputError(
        `${fileName}:${brM.rowLines[r]}: branch ${r + 1}: expected a nonzero reactance x for an in-service branch`,
      );
    }
    branches.push(br);
  }

  const costM = matrices.get('gencost');
  if (costM && costM.rows > 0) {
    if (costM.rows < generators.length) {
      throw new InputError(
        `${fileName}:${costM.line}: mpc.gencost has ${costM.rows} rows, expected one per generator (${generators.length})`,
      );
    }
    for (let r = 0; r < generators.length; r++) generators[r]!.cost = readCost(costM, r, fileName);
  }
  for (const [f, m] of matrices) {
    if (!['bus', 'gen', 'branch', 'gencost'].includes(f)) {
      extra[f] = Array.from({ length: m.rows }, (_, r) => m.data.slice(r * m.cols, (r + 1) * m.cols));
    }
  }
  return { name, baseMVA, buses, generators, branches, extra };
}

function readCost(m: RawMatrix, r: number, fileName: string): GenCost {
  const at = (c: number) => (c < m.cols ? m.data[r * m.cols + c]! : Number.NaN);
  const where = `${fileName}:${m.rowLines[r]}: mpc.gencost row ${r + 1}`;
  const model = at(0);
  const n = at(3);
  if (!Number.isInteger(n) || n < 0)
    throw new InputError(`${where}: expected a non-negative integer NCOST, got ${n}`);
  if (model === 2) {
    if (4 + n > m.cols) throw new InputError(`${where}: NCOST ${n} needs ${4 + n} columns, got ${m.cols}`);
    const coefficients: number[] = [];
    for (let k = 0; k < n; k++) {
      const v = at(4 + k);
      if (!Number.isFinite(v)) throw new InputError(`${where}: expected a finite cost coefficient, got ${v}`);
      coefficients.push(v);
    }
    return { model: 'polynomial', startup: at(1), shutdown: at(2), coefficients };
  }
  if (model === 1) {
    if (4 + 2 * n > m.cols)
      throw new InputError(`${where}: ${n} points need ${4 + 2 * n} columns, got ${m.cols}`);
    if (n < 2)
      throw new InputError(`${where}: expected at least 2 points of a piecewise-linear cost, got ${n}`);
    const points: { mw: number; cost: number }[] = [];
    for (let k = 0; k < n; k++) {
      const mw = at(4 + 2 * k);
      const cost = at(5 + 2 * k);
      if (!Number.isFinite(mw) || !Number.isFinite(cost))
        throw new InputError(`${where}: expected finite points`);
      if (k > 0 && mw <= points[k - 1]!.mw) {
        throw new InputError(
          `${where}: expected increasing MW breakpoints, got ${points[k - 1]!.mw} then ${mw}`,
        );
      }
      points.push({ mw, cost });
    }
    return { model: 'piecewise', startup: at(1), shutdown: at(2), points };
  }
  throw new InputError(`${where}: expected cost model 1 (piecewise linear) or 2 (polynomial), got ${model}`);
}

/**
 * Reads and parses a MATPOWER case file.
 * @throws InputError when the file cannot be read or is malformed.
 */
export async function loadMatpower(path: string): Promise<Network> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read case file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      cause: err,
    });
  }
  return parseMatpower(text, path);
}
