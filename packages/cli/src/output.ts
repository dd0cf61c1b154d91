// Output helpers shared by the commands: readable tables for people, one JSON object for machines,
// logs and progress on stderr so that stdout stays parseable.
import { createRequire } from 'node:module';
import { GridledgerError } from '@gridledger/base';
import type TableConstructor from 'cli-table3';

// cli-table3 is loaded when a table is first drawn, not when a command module is imported (`--help`).
const requireCjs = createRequire(import.meta.url);

/** The two output formats every command accepts with --format. */
export type OutputFormat = 'table' | 'json';

/** Parses a --format value, throwing a usage error naming the allowed values. */
export function parseFormat(value: string): OutputFormat {
  if (value === 'table' || value === 'json') return value;
  throw new UsageError(`--format must be "table" or "json", got "${value}"`);
}

/** Error in how a command was called (code `E_USAGE`, exit code 2). */
export class UsageError extends GridledgerError {
  constructor(message: string) {
    super('E_USAGE', message);
    this.name = 'UsageError';
  }
}

/** Renders rows as a text table with the given column headers. */
export function renderTable(head: string[], rows: (string | number)[][]): string {
  const Table = requireCjs('cli-table3') as typeof TableConstructor;
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const r of rows) t.push(r.map((c) => String(c)));
  return t.toString();
}

/** Prints exactly one JSON object on stdout (bigints as decimal strings). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

/** Formats a number with a fixed number of decimals, or "-" when absent. */
export function fmt(x: number | undefined | null, digits = 3): string {
  return x === undefined || x === null || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

/** Writes a line to stderr (logs, progress). */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
