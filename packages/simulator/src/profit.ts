// Profit of each strategic participant and of its truthful twin, measured the same way for both: the
// change in money of every account the participant controls from before its first order to after the
// last interval settled, plus the net energy its device really consumed (what it metered, before any
// strategy changed the report) valued at each interval's upstream import price (the tariff in force,
// tariffAt). Money is what gl_account reports: cash + escrow and collateral the market holds for it +
// what others owe it − its debts. gainUsd = strategic profit − twin profit; the run's invariant
// noStrategyGains holds when no gain > 0 (failGains, at the end of a done run). The same on both chains:
// on an EVM chain gl_account comes from the contracts (MarketRpcClient over EvmMarketViews: the cash
// token's balanceOf, the orders' escrow, the market's debtOf) and tariffAt from the market
// (evmInvariantTargets(c).tariffs).
import { GridledgerError, MICROS_PER_USD, microsToDollars, WH_PER_MWH } from '@gridledger/base';
import { TARIFFS_ABI, TARIFFS_ADDRESS } from '@gridledger/energy';
import type { Address } from '@gridledger/execution';
import type { ChainClient } from './chain.ts';
import type { Metered } from './devices.ts';
import type { InvariantTargets, InvariantTracker } from './invariants.ts';
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

/** Money of each account (µ$): cash + escrow + collateral + dues − debt, from gl_account. */
async function moneyOf(chain: ChainClient, accounts: readonly Address[]): Promise<bigint[]> {
  const res = await chain.main.batch(accounts.map((a) => ({ method: 'gl_account' as const, params: [a] })));
  return res.map((r, i) => {
    if (!r.ok) throw new GridledgerError('E_RPC', `gl_account ${accounts[i]}: ${r.error.message}`);
    // Every field optional: gridops' gl_account has escrowMicros beside collateralMicros, settle's counts
    // buy escrow inside collateralMicros; whichever the merged chain serves, each µ$ is counted once.
    const x = r.result as unknown as Partial<Record<string, unknown>>;
    const v = (f: string) => (typeof x[f] === 'string' ? BigInt(x[f] as string) : 0n);
    return v('cashMicros') + v('escrowMicros') + v('collateralMicros') + v('dueMicros') - v('debtMicros');
  });
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
  /** Net Wh each member really consumed, by interval. */
  readonly consumedWh = new Map<number, Map<bigint, bigint>>();

  /** Where `tariffAt(k)` is read: the tariff module natively, the market on an EVM chain. */
  readonly tariffs: InvariantTargets['tariffs'];

  constructor(
    chain: ChainClient,
    devices: readonly SimDevice[],
    seed: string,
    tariffs: InvariantTargets['tariffs'] = { address: TARIFFS_ADDRESS, abi: TARIFFS_ABI },
  ) {
    this.chain = chain;
    this.tariffs = tariffs;
    this.devices = devices;
    this.members = devices.flatMap((d, i) => (d.strategy === undefined ? [] : [i]));
    for (const i of this.members) {
      const d = devices[i]!;
      const stash = stashOf(seed, d);
      this.accounts.set(i, stash === undefined ? [d.account.address] : [d.account.address, stash.address]);
      this.consumedWh.set(i, new Map());
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
    this.consumedWh.get(i)?.set(k, metered.importedWh - metered.exportedWh);
  }

  /** Each strategy's profit, its twin's and the gain (call when every interval is settled). */
  async finish(): Promise<StrategyResult[]> {
    if (this.members.length === 0) return [];
    const end = await this.#money();
    const ks = [...new Set([...this.consumedWh.values()].flatMap((m) => [...m.keys()]))];
    const tariffs = await this.chain.views<readonly [bigint, bigint]>(
      ks.map((k) => ({
        to: this.tariffs.address,
        abi: this.tariffs.abi,
        functionName: 'tariffAt',
        args: [k],
      })),
    );
    const importPrice = new Map(ks.map((k, j) => [k, tariffs[j]![0]]));
    // Σ net Wh × import price / 10^6 (exact per member: the division comes after the sum).
    const energyValue = (i: number) =>
      [...this.consumedWh.get(i)!].reduce((a, [k, wh]) => a + wh * importPrice.get(k)!, 0n) / WH_PER_MWH;
    const profit = (i: number) => end.get(i)! - this.startMoney.get(i)! + energyValue(i);
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
const noGains = (results: readonly StrategyResult[]) =>
  results.every((r) => Math.round(r.gainUsd * Number(MICROS_PER_USD)) <= 0);

/**
 * Fails `noStrategyGains` on `invariants` once for each strategy that gained (both drivers call it with
 * ProfitTracker.finish's results when their intervals are done).
 */
export function failGains(
  results: readonly StrategyResult[],
  invariants: Pick<InvariantTracker, 'fail'>,
): void {
  for (const s of results.filter((x) => !noGains([x])))
    invariants.fail(
      'noStrategyGains',
      `${s.name} (${s.kind}, bus ${s.bus}) gained ${s.gainUsd} $ over its truthful twin (profit ${s.profitUsd} $ vs ${s.truthfulProfitUsd} $)`,
    );
}
