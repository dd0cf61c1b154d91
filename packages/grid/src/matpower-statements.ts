// A tiny evaluator for the MATLAB statements some MATPOWER case files end with (unit conversions of the
// distribution feeders): scalar assignments, `define_constants`, `[...] = idx_bus` destructuring and
// assignments to selected rows/columns of mpc matrices, over numbers, MATPOWER's named column constants,
// + - * / ^ (and .* ./ .^ elementwise), parentheses, [a b] vectors, `:` and a few math functions.
// Anything else is rejected with a StatementError that the parser turns into a file:line message.

import { GridledgerError } from '@gridledger/base';

/** A dense real matrix, row-major; a scalar is 1x1. */
export interface Mat {
  rows: number;
  cols: number;
  data: number[];
}

/** Why a statement could not be evaluated (code `E_MATPOWER_STATEMENT`; the parser adds file and line). */
export class StatementError extends GridledgerError {
  constructor(message: string) {
    super('E_MATPOWER_STATEMENT', message);
    this.name = 'StatementError';
  }
}

const BUS_NAMES = [
  'PQ',
  'PV',
  'REF',
  'NONE',
  'BUS_I',
  'BUS_TYPE',
  'PD',
  'QD',
  'GS',
  'BS',
  'BUS_AREA',
  'VM',
  'VA',
  'BASE_KV',
  'ZONE',
  'VMAX',
  'VMIN',
  'LAM_P',
  'LAM_Q',
  'MU_VMAX',
  'MU_VMIN',
];
const BUS_VALUES = [1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
const GEN_NAMES = [
  'GEN_BUS',
  'PG',
  'QG',
  'QMAX',
  'QMIN',
  'VG',
  'MBASE',
  'GEN_STATUS',
  'PMAX',
  'PMIN',
  'PC1',
  'PC2',
  'QC1MIN',
  'QC1MAX',
  'QC2MIN',
  'QC2MAX',
  'RAMP_AGC',
  'RAMP_10',
  'RAMP_30',
  'RAMP_Q',
  'APF',
  'MU_PMAX',
  'MU_PMIN',
  'MU_QMAX',
  'MU_QMIN',
];
const GEN_VALUES = GEN_NAMES.map((_, i) => i + 1);
const BRANCH_NAMES = [
  'F_BUS',
  'T_BUS',
  'BR_R',
  'BR_X',
  'BR_B',
  'RATE_A',
  'RATE_B',
  'RATE_C',
  'TAP',
  'SHIFT',
  'BR_STATUS',
  'PF',
  'QF',
  'PT',
  'QT',
  'MU_SF',
  'MU_ST',
  'ANGMIN',
  'ANGMAX',
  'MU_ANGMIN',
  'MU_ANGMAX',
];
const BRANCH_VALUES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15, 16, 17, 18, 19, 12, 13, 20, 21];
const COST_NAMES = ['PW_LINEAR', 'POLYNOMIAL', 'MODEL', 'STARTUP', 'SHUTDOWN', 'NCOST', 'COST'];
const COST_VALUES = [1, 2, 1, 2, 3, 4, 5];

/** MATPOWER's index functions: the values their outputs take, in output order. */
const INDEX_FUNCTIONS: Record<string, { names: string[]; values: number[] }> = {
  idx_bus: { names: BUS_NAMES, values: BUS_VALUES },
  idx_gen: { names: GEN_NAMES, values: GEN_VALUES },
  idx_brch: { names: BRANCH_NAMES, values: BRANCH_VALUES },
  idx_cost: { names: COST_NAMES, values: COST_VALUES },
};

const FUNCTIONS: Record<string, (x: number) => number> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sqrt: Math.sqrt,
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  log10: Math.log10,
  round: (x) => Math.sign(x) * Math.round(Math.abs(x)),
  floor: Math.floor,
  ceil: Math.ceil,
};

/** Access to the case being read: its matrices and scalars by field name. */
export interface StatementHost {
  getField(name: string): Mat | undefined;
  setField(name: string, value: Mat): void;
}

/** Variables of the statement section (user variables and MATPOWER constants). */
export type Scope = Map<string, number[] | Mat>;

type Tok =
  | { t: 'num'; v: number }
  | { t: 'id'; v: string }
  | { t: 'op'; v: string }
  | { t: 'str'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_]\w*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    if (c === "'") {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new StatementError('unterminated string');
      out.push({ t: 'str', v: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '.*' || two === './' || two === '.^') {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('+-*/^()[],;:=.'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    throw new StatementError(`unexpected character "${c}"`);
  }
  return out;
}

const scalar = (v: number): Mat => ({ rows: 1, cols: 1, data: [v] });
const isScalar = (m: Mat) => m.rows === 1 && m.cols === 1;

function elementwise(a: Mat, b: Mat, f: (x: number, y: number) => number, op: string): Mat {
  if (isScalar(b)) return { rows: a.rows, cols: a.cols, data: a.data.map((x) => f(x, b.data[0]!)) };
  if (isScalar(a)) return { rows: b.rows, cols: b.cols, data: b.data.map((y) => f(a.data[0]!, y)) };
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new StatementError(`size mismatch in "${op}": ${a.rows}x${a.cols} and ${b.rows}x${b.cols}`);
  }
  return { rows: a.rows, cols: a.cols, data: a.data.map((x, k) => f(x, b.data[k]!)) };
}

/** Evaluates statements against a host case; one instance per file. */
export class StatementEvaluator {
  private readonly host: StatementHost;
  private readonly scope = new Map<string, Mat>();
  private toks: Tok[] = [];
  private pos = 0;

  constructor(host: StatementHost) {
    this.host = host;
  }

  /** Evaluates one statement (without its trailing `;`). Throws StatementError if unsupported. */
  run(statement: string): void {
    this.toks = tokenize(statement);
    this.pos = 0;
    if (this.toks.length === 0) return;
    const first = this.toks[0]!;
    if (first.t === 'id' && (first.v === 'define_constants' || first.v === 'end') && this.toks.length === 1) {
      if (first.v === 'define_constants') {
        for (const f of Object.values(INDEX_FUNCTIONS)) {
          for (const [k, n] of f.names.entries()) this.scope.set(n, scalar(f.values[k]!));
        }
      }
      return;
    }
    if (first.t === 'op' && first.v === '[') {
      this.runDestructuring();
      return;
    }
    // lhs = expr
    const lhs = this.next();
    if (lhs.t !== 'id') throw new StatementError('expected an assignment');
    if (lhs.v === 'mpc') {
      this.expectOp('.');
      const field = this.next();
      if (field.t !== 'id') throw new StatementError('expected a field name after "mpc."');
      if (this.peekOp('(')) {
        this.pos++;
        const target = this.host.getField(field.v);
        if (!target) throw new StatementError(`mpc.${field.v} is not defined`);
        const rowSel = this.parseSelector(target.rows);
        this.expectOp(',');
        const colSel = this.parseSelector(target.cols);
        this.expectOp(')');
        this.expectOp('=');
        const rhs = this.parseExpr();
        this.expectEnd();
        this.assignSelection(field.v, target, rowSel, colSel, rhs);
        return;
      }
      this.expectOp('=');
      const rhs = this.parseExpr();
      this.expectEnd();
      this.host.setField(field.v, rhs);
      return;
    }
    this.expectOp('=');
    const rhs = this.parseExpr();
    this.expectEnd();
    this.scope.set(lhs.v, rhs);
  }

  private runDestructuring(): void {
    this.expectOp('[');
    const names: string[] = [];
    for (;;) {
      const t = this.next();
      if (t.t === 'id') names.push(t.v);
      else if (t.t === 'op' && t.v === ',') continue;
      else if (t.t === 'op' && t.v === ']') break;
      else throw new StatementError('expected names in [...] = idx_*');
    }
    this.expectOp('=');
    const fn = this.next();
    const f = fn.t === 'id' ? INDEX_FUNCTIONS[fn.v] : undefined;
    if (!f) throw new StatementError('only [...] = idx_bus / idx_gen / idx_brch / idx_cost is supported');
    this.expectEnd();
    if (names.length > f.values.length) {
      throw new StatementError(
        `${(fn as { v: string }).v} has ${f.values.length} outputs, got ${names.length}`,
      );
    }
    for (const [k, n] of names.entries()) this.scope.set(n, scalar(f.values[k]!));
  }

  private assignSelection(field: string, target: Mat, rows: number[], cols: number[], rhs: Mat): void {
    if (!isScalar(rhs) && (rhs.rows !== rows.length || rhs.cols !== cols.length)) {
      throw new StatementError(
        `mpc.${field}: assigning ${rhs.rows}x${rhs.cols} to a ${rows.length}x${cols.length} selection`,
      );
    }
    rows.forEach((r, i) => {
      cols.forEach((c, j) => {
        target.data[r * target.cols + c] = isScalar(rhs) ? rhs.data[0]! : rhs.data[i * rhs.cols + j]!;
      });
    });
    this.host.setField(field, target);
  }

  /** `:` or an expression of 1-based indices; returns 0-based indices. */
  private parseSelector(size: number): number[] {
    if (this.peekOp(':')) {
      this.pos++;
      return Array.from({ length: size }, (_, k) => k);
    }
    const m = this.parseExpr();
    return m.data.map((v) => {
      if (!Number.isInteger(v) || v < 1 || v > size) {
        throw new StatementError(`index ${v} out of range 1..${size}`);
      }
      return v - 1;
    });
  }

  private parseExpr(): Mat {
    let a = this.parseTerm();
    while (this.peekOp('+') || this.peekOp('-')) {
      const op = (this.next() as { v: string }).v;
      const b = this.parseTerm();
      a = elementwise(a, b, op === '+' ? (x, y) => x + y : (x, y) => x - y, op);
    }
    return a;
  }

  private parseTerm(): Mat {
    let a = this.parseUnary();
    for (;;) {
      const t = this.toks[this.pos];
      if (t?.t !== 'op' || !['*', '/', '.*', './'].includes(t.v)) return a;
      this.pos++;
      const b = this.parseUnary();
      if ((t.v === '*' && !isScalar(a) && !isScalar(b)) || (t.v === '/' && !isScalar(b))) {
        throw new StatementError(`matrix "${t.v}" is not supported (only with a scalar operand)`);
      }
      a = elementwise(a, b, t.v === '*' || t.v === '.*' ? (x, y) => x * y : (x, y) => x / y, t.v);
    }
  }

  private parseUnary(): Mat {
    if (this.peekOp('-')) {
      this.pos++;
      const a = this.parseUnary();
      return { rows: a.rows, cols: a.cols, data: a.data.map((x) => -x) };
    }
    if (this.peekOp('+')) {
      this.pos++;
      return this.parseUnary();
    }
    return this.parsePower();
  }

  private parsePower(): Mat {
    let a = this.parsePrimary();
    while (this.peekOp('^') || this.peekOp('.^')) {
      const op = (this.next() as { v: string }).v;
      let sign = 1;
      while (this.peekOp('-') || this.peekOp('+')) if ((this.next() as { v: string }).v === '-') sign = -sign;
      const b0 = this.parsePrimary();
      const b = sign === 1 ? b0 : { ...b0, data: b0.data.map((x) => -x) };
      if (op === '^' && !(isScalar(a) && isScalar(b))) {
        throw new StatementError('matrix power is not supported (use .^)');
      }
      a = elementwise(a, b, (x, y) => x ** y, op);
    }
    return a;
  }

  private parsePrimary(): Mat {
    const t = this.next();
    if (t.t === 'num') return scalar(t.v);
    if (t.t === 'op' && t.v === '(') {
      const e = this.parseExpr();
      this.expectOp(')');
      return e;
    }
    if (t.t === 'op' && t.v === '[') return this.parseVector();
    if (t.t === 'id') {
      if (t.v === 'mpc') {
        this.expectOp('.');
        const field = this.next();
        if (field.t !== 'id') throw new StatementError('expected a field name after "mpc."');
        const m = this.host.getField(field.v);
        if (!m) throw new StatementError(`mpc.${field.v} is not defined`);
        if (!this.peekOp('(')) return { rows: m.rows, cols: m.cols, data: m.data.slice() };
        this.pos++;
        const rs = this.parseSelector(m.rows);
        this.expectOp(',');
        const cs = this.parseSelector(m.cols);
        this.expectOp(')');
        const data: number[] = [];
        for (const r of rs) for (const c of cs) data.push(m.data[r * m.cols + c]!);
        return { rows: rs.length, cols: cs.length, data };
      }
      const fn = FUNCTIONS[t.v];
      if (fn && this.peekOp('(')) {
        this.pos++;
        const a = this.parseExpr();
        this.expectOp(')');
        return { rows: a.rows, cols: a.cols, data: a.data.map(fn) };
      }
      if (t.v === 'pi') return scalar(Math.PI);
      if (t.v === 'Inf' || t.v === 'inf') return scalar(Number.POSITIVE_INFINITY);
      const v = this.scope.get(t.v);
      if (v) return v;
      throw new StatementError(`unknown name "${t.v}"`);
    }
    throw new StatementError(`unexpected "${'v' in t ? t.v : ''}"`);
  }

  /** `[a b]`, `[a, b]`: a row vector of scalars or row vectors. */
  private parseVector(): Mat {
    const data: number[] = [];
    for (;;) {
      if (this.peekOp(']')) {
        this.pos++;
        return { rows: data.length === 0 ? 0 : 1, cols: data.length, data };
      }
      if (this.peekOp(',')) {
        this.pos++;
        continue;
      }
      const e = this.parseExpr();
      if (e.rows > 1) throw new StatementError('only row vectors are supported inside [...]');
      data.push(...e.data);
    }
  }

  private next(): Tok {
    const t = this.toks[this.pos++];
    if (!t) throw new StatementError('unexpected end of statement');
    return t;
  }

  private peekOp(v: string): boolean {
    const t = this.toks[this.pos];
    return t !== undefined && t.t === 'op' && t.v === v;
  }

  private expectOp(v: string): void {
    const t = this.toks[this.pos];
    if (t?.t !== 'op' || t.v !== v) {
      throw new StatementError(`expected "${v}"${t ? ` before "${'v' in t ? t.v : ''}"` : ' at end'}`);
    }
    this.pos++;
  }

  private expectEnd(): void {
    if (this.pos < this.toks.length) {
      const t = this.toks[this.pos]!;
      throw new StatementError(`unexpected "${'v' in t ? t.v : ''}" after the expression`);
    }
  }
}
