// Profit of each strategic participant and of its truthful twin, measured the same way for both: the
// change in money of every account the participant controls (cash + collateral − debts) from before its
// first order to after the last interval settled, plus the net energy its device really consumed (what
// it metered, before any strategy changed the report) valued at each interval's upstream import price.
// gainUsd = strategic profit − twin profit; the run's invariant noStrategyGains holds when no gain > 0.
// Money is read over RPC through MONEY_PARTS, so what the chain adds (collateral, debts) plugs in there.
import { MICROS_PER_USD, microsToDollars, WH_PER_MWH } from '@gridledger/base';
import { type Address, CASH_ADDRESS, ERC20_ABI } from '@gridledger/execution';
import type { Call, ChainClient } from './chain.ts';
import type { Metered } from './devices.ts';
import type { SimDevice } from './population.ts';
import { stashOf } from './strategies.ts';
import type { StrategyKind } from './strategy-schema.ts';

/** One strategy's result, in $. */
export interface StrategyResult {
  kind: StrategyKind;
  name: string;
  /** The strategic participant's (trading) account. */
  account: Address;
  bus: number;
  profitUsd: number;
  truthfulProfitUsd: number;
  gainUsd: number;
}

/**
 * The parts of an account's money, each a view read per account: a sign and a call. Cash today; the
 * collateral an account has posted (+) and the debts it owes (−) join here when the chain records them.
 */
const MONEY_PARTS: { sign: 1n | -1n; call: (a: Address) => Call }[] = [
  {
    sign: 1n,
    call: (a) => ({ to: CASH_ADDRESS, abi: ERC20_ABI, functionName: 'balanceOf', args: [a] }),
  },
];

/** Money of each account (µ$): Σ sign · part over MONEY_PARTS. */
async function moneyOf(chain: ChainClient, accounts: readonly Address[]): Promise<bigint[]> {
  const calls = accounts.flatMap((a) => MONEY_PARTS.map((p) => p.call(a)));
  const values = await chain.views<bigint>(calls);
  return accounts.map((_, i) =>
    MONEY_PARTS.reduce((sum, p, j) => sum + p.sign * (values[i * MONEY_PARTS.length + j] ?? 0n), 0n),
  );
}

/** Tracks the strategic participants' and twins' money and energy over a run. */
export class ProfitTracker {
  readonly chain: ChainClient;
  /** Indices of the strategy devices (strategic and twin) in the run's device list. */
  readonly members: number[];
  readonly devices: readonly SimDevice[];
  /** The accounts each member controls. */
  readonly accounts = new Map<number, Address[]>();
  readonly startMoney = new Map<number, bigint>();
  /** Σ net consumed Wh × import price / 10^6 per member, µ$. */
  readonly energyValue = new Map<number, bigint>();
  /** The upstream import price of interval k, µ$/MWh. */
  readonly importPriceAt: (k: bigint) => bigint;

  constructor(
    chain: ChainClient,
    devices: readonly SimDevice[],
    seed: string,
    importPriceAt: (k: bigint) => bigint,
  ) {
    this.chain = chain;
    this.devices = devices;
    this.importPriceAt = importPriceAt;
    this.members = devices.flatMap((d, i) => (d.strategy === undefined ? [] : [i]));
    for (const i of this.members) {
      const d = devices[i]!;
      const stash = stashOf(seed, d);
      this.accounts.set(i, stash === undefined ? [d.account.address] : [d.account.address, stash.address]);
      this.energyValue.set(i, 0n);
    }
  }

  async #money(): Promise<Map<number, bigint>> {
    const flat = this.members.flatMap((i) => this.accounts.get(i)!);
    const values = await moneyOf(this.chain, flat);
    const out = new Map<number, bigint>();
    let j = 0;
    for (const i of this.members) {
      let sum = 0n;
      for (const _ of this.accounts.get(i)!) sum += values[j++]!;
      out.set(i, sum);
    }
    return out;
  }

  /** Records the starting money (call before the first order). */
  async start(): Promise<void> {
    if (this.members.length === 0) return;
    for (const [i, m] of await this.#money()) this.startMoney.set(i, m);
  }

  /** Records what device i really metered in interval k (before its strategy changes the report). */
  recordEnergy(i: number, k: bigint, metered: Metered): void {
    const v = this.energyValue.get(i);
    if (v === undefined) return;
    const netWh = metered.importedWh - metered.exportedWh;
    this.energyValue.set(i, v + (netWh * this.importPriceAt(k)) / WH_PER_MWH);
  }

  /** Each strategy's profit, its twin's and the gain (call when every interval is settled). */
  async finish(): Promise<StrategyResult[]> {
    if (this.members.length === 0) return [];
    const end = await this.#money();
    const profit = (i: number) => end.get(i)! - this.startMoney.get(i)! + this.energyValue.get(i)!;
    const out: StrategyResult[] = [];
    for (const i of this.members) {
      const d = this.devices[i]!;
      if (d.strategy?.role !== 'strategic') continue;
      const twin = this.members.find(
        (j) =>
          this.devices[j]!.strategy?.spec === d.strategy!.spec &&
          this.devices[j]!.strategy?.role === 'truthful',
      )!;
      const mine = profit(i);
      const theirs = profit(twin);
      out.push({
        kind: d.strategy.spec.kind,
        name: d.strategy.spec.name,
        account: d.account.address,
        bus: d.spec.bus,
        profitUsd: microsToDollars(mine),
        truthfulProfitUsd: microsToDollars(theirs),
        gainUsd: microsToDollars(mine - theirs),
      });
    }
    return out;
  }
}

/** True when no strategy gained (every gain ≤ 0, compared in µ$ before rounding to $). */
export const noGains = (results: readonly StrategyResult[]) =>
  results.every((r) => Math.round(r.gainUsd * Number(MICROS_PER_USD)) <= 0);
