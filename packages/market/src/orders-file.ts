// Loading an order book from a file: picks the decoder by extension (.json or .csv) and turns I/O
// failures into InputError naming the path. The only I/O in the orders code.
import { readFileSync } from 'node:fs';
import { InputError } from '@gridledger/base';
import { decodeOrdersCsv, decodeOrdersJson } from './orders.ts';
import type { Order } from './types.ts';

/**
 * Loads and validates an order book from a `.json` or `.csv` file.
 * @throws {InputError} when the file is missing or unreadable, has another extension, or holds invalid orders.
 * @example const orders = loadOrders('orders.csv');
 */
export function loadOrders(path: string): Order[] {
  const lower = path.toLowerCase();
  const kind = lower.endsWith('.json') ? 'json' : lower.endsWith('.csv') ? 'csv' : undefined;
  if (kind === undefined) {
    throw new InputError(`${path}: expected an order book file ending in .json or .csv`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new InputError(`${path}: cannot read the order book (${why})`, { cause: err });
  }
  return kind === 'json' ? decodeOrdersJson(text, path) : decodeOrdersCsv(text, path);
}
