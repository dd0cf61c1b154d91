// Order books: decoding the `--orders` file formats (JSON and CSV) into validated `Order[]`, and checking
// orders against a network's buses. Pure: takes text, returns orders or throws InputError naming the
// source, the row or order, and what was expected. File reading lives in orders-file.ts.
import { InputError } from '@gridledger/base';
import type { Order, OrderStep, Side } from './types.ts';

/** Where the text came from, used in error messages (a file path, "stdin", "request body"). */
export type OrdersSource = string;

const CSV_HEADER = ['id', 'bus', 'side', 'price', 'quantity'] as const;

function describe(value: unknown): string {
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function checkId(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InputError(`${where}: expected "id" to be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

function checkBus(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InputError(
      `${where}: expected "bus" to be a non-negative integer bus number, got ${describe(value)}`,
    );
  }
  return value;
}

function checkSide(value: unknown, where: string): Side {
  if (value !== 'buy' && value !== 'sell') {
    throw new InputError(`${where}: expected "side" to be "buy" or "sell", got ${describe(value)}`);
  }
  return value;
}

function checkAmount(value: unknown, field: 'price' | 'quantity', where: string): number {
  const unit = field === 'price' ? '$/MWh' : 'MW';
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new InputError(`${where}: expected "${field}" to be a number (${unit}), got ${describe(value)}`);
  }
  if (!Number.isFinite(value)) {
    throw new InputError(`${where}: expected "${field}" to be a finite number (${unit}), got ${value}`);
  }
  if (value < 0) {
    throw new InputError(`${where}: expected "${field}" to be >= 0 (${unit}), got ${value}`);
  }
  return value;
}

/**
 * Validates already-decoded orders: non-empty book, unique non-empty ids, integer buses, a known side,
 * at least one step per order, finite non-negative prices ($/MWh) and quantities (MW).
 * Returns fresh, plain objects (unknown fields dropped).
 * @throws {InputError} naming `source`, the order and the field.
 * @example validateOrders([{ id: 'a', bus: 1, side: 'buy', steps: [{ price: 30, quantity: 2 }] }], 'api')
 */
export function validateOrders(orders: unknown, source: OrdersSource): Order[] {
  if (!Array.isArray(orders)) {
    throw new InputError(`${source}: expected "orders" to be an array, got ${describe(orders)}`);
  }
  if (orders.length === 0) {
    throw new InputError(`${source}: the order book is empty; expected at least one order`);
  }
  const out: Order[] = new Array(orders.length);
  const seen = new Map<string, number>();
  for (let i = 0; i < orders.length; i++) {
    const o: unknown = orders[i];
    const at = `${source}: order ${i + 1}`;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      throw new InputError(`${at}: expected an object {id, bus, side, steps}, got ${describe(o)}`);
    }
    const r = o as Record<string, unknown>;
    const id = checkId(r.id, at);
    const where = `${source}: order ${i + 1} (id "${id}")`;
    const prev = seen.get(id);
    if (prev !== undefined) {
      throw new InputError(`${where}: duplicate id, already used by order ${prev + 1}; expected unique ids`);
    }
    seen.set(id, i);
    const bus = checkBus(r.bus, where);
    const side = checkSide(r.side, where);
    if (!Array.isArray(r.steps) || r.steps.length === 0) {
      throw new InputError(
        `${where}: expected "steps" to be a non-empty array of {price, quantity}, got ${describe(r.steps)}`,
      );
    }
    const steps: OrderStep[] = new Array(r.steps.length);
    for (let k = 0; k < r.steps.length; k++) {
      const s: unknown = r.steps[k];
      const sw = `${where} step ${k + 1}`;
      if (typeof s !== 'object' || s === null || Array.isArray(s)) {
        throw new InputError(`${sw}: expected an object {price, quantity}, got ${describe(s)}`);
      }
      const sr = s as Record<string, unknown>;
      steps[k] = {
        price: checkAmount(sr.price, 'price', sw),
        quantity: checkAmount(sr.quantity, 'quantity', sw),
      };
    }
    out[i] = { id, bus, side, steps };
  }
  return out;
}

/**
 * Decodes the JSON order-book format `{"orders":[{"id","bus","side":"buy"|"sell","steps":[{"price","quantity"}]}]}`
 * (price in $/MWh, quantity in MW over the interval).
 * @throws {InputError} on malformed JSON or any invalid order, naming `source`.
 * @example decodeOrdersJson('{"orders":[{"id":"a","bus":1,"side":"sell","steps":[{"price":20,"quantity":5}]}]}', 'o.json')
 */
export function decodeOrdersJson(text: string, source: OrdersSource): Order[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${source}: expected JSON, ${(err as Error).message}`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !('orders' in doc)) {
    throw new InputError(`${source}: expected a JSON object {"orders": [...]}, got ${describe(doc)}`);
  }
  return validateOrders((doc as { orders: unknown }).orders, source);
}

/** Splits one CSV line into fields; supports double-quoted fields with "" escapes. */
function splitCsvLine(line: string, where: string): string[] {
  if (!line.includes('"')) return line.split(',').map((f) => f.trim());
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    let field = '';
    while (i < line.length && line[i] === ' ') i++;
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new InputError(`${where}: unterminated quoted field`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i];
        i++;
      }
      while (i < line.length && line[i] === ' ') i++;
      if (i < line.length && line[i] !== ',')
        throw new InputError(`${where}: expected "," after a quoted field`);
    } else {
      const end = line.indexOf(',', i);
      field = (end < 0 ? line.slice(i) : line.slice(i, end)).trim();
      i = end < 0 ? line.length : end;
    }
    out.push(field);
    i++;
  }
  return out;
}

/** A CSV number: decimal or scientific notation, nothing else ("", "abc", "1x", "0x1f", "Infinity" fail). */
const CSV_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses a CSV number strictly (see {@link CSV_NUMBER}). */
function parseCsvNumber(text: string, field: 'price' | 'quantity' | 'bus', where: string): number {
  if (!CSV_NUMBER.test(text)) {
    const what =
      field === 'bus' ? 'an integer bus number' : `a number (${field === 'price' ? '$/MWh' : 'MW'})`;
    throw new InputError(`${where}: expected "${field}" to be ${what}, got "${text}"`);
  }
  return Number(text);
}

/**
 * Decodes the CSV order-book format: header `id,bus,side,price,quantity`, one row per step; rows with
 * the same id form one order (steps in row order) and must agree on bus and side. Blank lines and lines
 * starting with `#` are skipped.
 * @throws {InputError} naming `source`, the line number and what was expected.
 * @example decodeOrdersCsv('id,bus,side,price,quantity\na,1,buy,30,2\na,1,buy,20,3\n', 'o.csv')
 */
export function decodeOrdersCsv(text: string, source: OrdersSource): Order[] {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  let headerLine = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '' || l.startsWith('#')) continue;
    headerLine = i;
    break;
  }
  if (headerLine < 0) {
    throw new InputError(
      `${source}: the order book is empty; expected a header ${CSV_HEADER.join(',')} and rows`,
    );
  }
  const header = splitCsvLine(
    lines[headerLine]!.replace(/^\uFEFF/, ''),
    `${source} line ${headerLine + 1}`,
  ).map((h) => h.toLowerCase());
  const col = new Map<string, number>();
  header.forEach((h, i) => {
    col.set(h, i);
  });
  for (const h of CSV_HEADER) {
    if (!col.has(h)) {
      throw new InputError(
        `${source} line ${headerLine + 1}: expected a header with columns ${CSV_HEADER.join(',')}, missing "${h}" (got "${lines[headerLine]!.trim()}")`,
      );
    }
  }
  const [cId, cBus, cSide, cPrice, cQty] = CSV_HEADER.map((h) => col.get(h)!) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const orders: Order[] = [];
  const firstLine: number[] = [];
  const byId = new Map<string, number>();
  let last: Order | undefined;
  // Checks one row with messages that name the line, the id and the field; only called for bad rows.
  const reject = (i: number, f: string[]): never => {
    const where = `${source} line ${i + 1}`;
    const id = f[cId]!;
    if (id === '') throw new InputError(`${where}: expected a non-empty "id"`);
    const rw = `${where} (id "${id}")`;
    checkBus(parseCsvNumber(f[cBus]!, 'bus', rw), rw);
    checkSide(f[cSide]!.toLowerCase(), rw);
    checkAmount(parseCsvNumber(f[cPrice]!, 'price', rw), 'price', rw);
    checkAmount(parseCsvNumber(f[cQty]!, 'quantity', rw), 'quantity', rw);
    throw new InputError(`${rw}: invalid row`);
  };
  for (let i = headerLine + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    const c0 = raw.charCodeAt(0);
    // Blank and comment lines (the trim only for lines that start with white space).
    if (raw.length === 0 || c0 === 35) continue;
    if (c0 === 32 || c0 === 9) {
      const t = raw.trim();
      if (t === '' || t.startsWith('#')) continue;
    }
    const f = splitCsvLine(raw, `${source} line ${i + 1}`);
    if (f.length !== header.length) {
      throw new InputError(
        `${source} line ${i + 1}: expected ${header.length} fields (${header.join(',')}), got ${f.length}`,
      );
    }
    const id = f[cId]!;
    const busText = f[cBus]!;
    const priceText = f[cPrice]!;
    const qtyText = f[cQty]!;
    let side = f[cSide]!;
    if (side !== 'buy' && side !== 'sell') side = side.toLowerCase();
    const bus = Number(busText);
    const price = Number(priceText);
    const quantity = Number(qtyText);
    if (
      id === '' ||
      (side !== 'buy' && side !== 'sell') ||
      !Number.isSafeInteger(bus) ||
      bus < 0 ||
      !(price >= 0 && price < Infinity) ||
      !(quantity >= 0 && quantity < Infinity) ||
      !CSV_NUMBER.test(busText) ||
      !CSV_NUMBER.test(priceText) ||
      !CSV_NUMBER.test(qtyText)
    ) {
      reject(i, f);
    }
    const s: Side = side as Side;
    let order = last !== undefined && last.id === id ? last : undefined;
    if (order === undefined) {
      const k = byId.get(id);
      if (k !== undefined) order = orders[k]!;
    }
    if (order !== undefined) {
      if (order.bus !== bus || order.side !== s) {
        const k = byId.get(id)!;
        throw new InputError(
          `${source} line ${i + 1} (id "${id}"): rows of one order must share bus and side; line ${firstLine[k]} has bus ${order.bus} side ${order.side}, this row bus ${bus} side ${s}`,
        );
      }
      order.steps.push({ price, quantity });
    } else {
      order = { id, bus, side: s, steps: [{ price, quantity }] };
      byId.set(id, orders.length);
      firstLine.push(i + 1);
      orders.push(order);
    }
    last = order;
  }
  if (orders.length === 0) {
    throw new InputError(`${source}: the order book is empty; expected at least one row after the header`);
  }
  return orders;
}

/**
 * Checks that every order sits at a bus of the network.
 * @param busIds the network's bus numbers (any iterable; a Set is used as is).
 * @throws {InputError} naming the first order at an unknown bus.
 * @example checkOrdersAgainstNetwork(orders, new Set([1, 2, 3]))
 */
export function checkOrdersAgainstNetwork(orders: readonly Order[], busIds: Iterable<number>): void {
  const known = busIds instanceof Set ? (busIds as Set<number>) : new Set(busIds);
  for (const o of orders) {
    if (!known.has(o.bus)) {
      const sample = [...known].sort((a, b) => a - b);
      const list = sample.length > 10 ? `${sample.slice(0, 10).join(', ')}, ...` : sample.join(', ');
      throw new InputError(
        `order "${o.id}": bus ${o.bus} is not a bus of the network (expected one of ${list}; ${known.size} buses)`,
      );
    }
  }
}
