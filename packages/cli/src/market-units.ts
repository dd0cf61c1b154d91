// The market commands' units at the command line: order steps written as `WH@PRICE` (energy in Wh, an
// integer; price in $/MWh with up to 6 decimals) become the chain's integers (Wh, µ$ per MWh), and
// integer amounts print back as dollars. Parsing is exact decimal arithmetic on strings: no floats.
import { formatMicros, InputError, MICROS_PER_USD } from '@gridledger/base';

/** One order step in the chain's units. */
export interface StepInput {
  energyWh: bigint;
  priceMicrosPerMWh: bigint;
}

/** Largest energy of one step the market accepts, Wh (as MAX_STEP_WH of @gridledger/energy). */
const MAX_STEP_WH = 1_000_000_000_000n;

/**
 * Parses a decimal dollar amount (up to 6 decimals) into micro-dollars.
 * @example parseDollarsToMicros('45.5', '--step 1') === 45_500_000n
 */
export function parseDollarsToMicros(text: string, where: string): bigint {
  const m = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(text);
  if (m === null) {
    throw new InputError(
      `${where}: expected a price in $/MWh such as 45.5 (digits, at most 6 decimals, not negative), got "${text}"`,
    );
  }
  return BigInt(m[1]!) * MICROS_PER_USD + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/**
 * Parses one `--step WH@PRICE` value.
 * @example parseStep('2000@45.5', 1) // { energyWh: 2000n, priceMicrosPerMWh: 45_500_000n }
 */
export function parseStep(text: string, index: number): StepInput {
  const where = `--step ${index} ("${text}")`;
  const at = text.split('@');
  if (at.length !== 2) {
    throw new InputError(`${where}: expected WH@PRICE, energy in Wh @ price in $/MWh, e.g. 2000@45.5`);
  }
  const [wh, price] = at as [string, string];
  if (!/^\d{1,13}$/.test(wh) || BigInt(wh) === 0n || BigInt(wh) > MAX_STEP_WH) {
    throw new InputError(
      `${where}: expected the energy as a whole number of Wh in 1..${MAX_STEP_WH}, got "${wh}"`,
    );
  }
  return { energyWh: BigInt(wh), priceMicrosPerMWh: parseDollarsToMicros(price, where) };
}

/** Parses every --step value (at least one). */
export function parseSteps(values: readonly string[] | undefined): StepInput[] {
  if (values === undefined || values.length === 0) {
    throw new InputError(
      'give at least one --step WH@PRICE (energy in Wh @ price in $/MWh), e.g. --step 2000@45.5',
    );
  }
  return values.map((v, i) => parseStep(v, i + 1));
}

/**
 * A non-negative integer flag (Wh, a meter id, a bus).
 * @throws InputError naming the flag.
 */
export function parseUintFlag(text: string, flag: string, max = 2n ** 64n - 1n): bigint {
  if (!/^\d{1,20}$/.test(text) || BigInt(text) > max) {
    throw new InputError(`${flag}: expected a whole number in 0..${max}, got "${text}"`);
  }
  return BigInt(text);
}

/** A step as the CLI prints it: `2000 Wh @ 45.5 $/MWh`. */
export function formatStep(s: { energyWh: bigint | string; priceMicrosPerMWh: bigint | string }): string {
  const price = formatMicros(s.priceMicrosPerMWh).replace(/\.?0+$/, '');
  return `${s.energyWh} Wh @ ${price}`;
}
