// The second settlement in chunks (docs/evm.md "Settlement in chunks"): drives MarketRealtime's
// beginSettle and settleChunk until the interval is settled, each chunk sized so that its modelled gas
// stays within 80 % of the block gas limit (as the clearing's chunks), and shrunk further when the node's
// gas estimate says it would not fit. The party passes send the interval's party keys in ascending
// (owner, bus) order, as the contract requires (it checks the order and that every party comes once).

import { InputError } from '@gridledger/base';
import {
  type Abi,
  type Address,
  type Chain,
  decodeEventLog,
  encodeFunctionData,
  type Hex,
  type PublicClient,
  type Transport,
} from 'viem';
import { MarketAbi } from '../generated/Market.ts';

/**
 * Gas of one settlement chunk: a base per transaction and a bound per item, by phase (`npm run bench:evm`
 * measured a base of about 112,000 and per item: meter 71,000, missing reading 33,000, party 5,000 in the
 * credits pass and 28,000 in the deviations pass, a one-promise chunk 84,000; with margins). A seller's
 * credits item grows with its promises: the node's estimate shrinks a chunk the model lets through.
 */
export const SETTLE_GAS = {
  base: 120_000n,
  perMeter: 75_000n,
  perPenalty: 60_000n,
  perCreditParty: 60_000n,
  perPromise: 60_000n,
  perDeviationParty: 90_000n,
} as const;

/** Phases of MarketRealtime's settlement (settlingOf). */
const SETTLE_PHASES = [
  'none',
  'meters',
  'penalties',
  'credits',
  'promises',
  'deviations',
  'settled',
] as const;

const PER_ITEM: Record<number, bigint> = {
  1: SETTLE_GAS.perMeter,
  2: SETTLE_GAS.perPenalty,
  3: SETTLE_GAS.perCreditParty,
  4: SETTLE_GAS.perPromise,
  5: SETTLE_GAS.perDeviationParty,
};

/** One market call to send and its receipt (status and logs). */
export type SettleSend = (tx: { data: Hex; gas: bigint }) => Promise<{
  status: 'success' | 'reverted';
  logs: readonly { address: Address; data: Hex; topics: readonly Hex[] }[];
  gasUsed?: bigint;
}>;

export interface SettleInChunksOptions {
  /** Gas per chunk; default 80 % of the latest block's gas limit. */
  gasBudget?: bigint;
  /** At most this many items (meters, penalties, parties, promises) per chunk. */
  maxItems?: number;
}

/** What {@link settleInChunks} did: settled (credits of IntervalSettled), or why not yet. */
export type SettleOutcome =
  | { status: 'settled'; creditsWh: bigint; transactions: number; gasUsed: bigint; chunks: ChunkGas[] }
  | { status: 'waiting'; reason: string };

/** One chunk sent: its phase, items and gas used (when the sender reports it). */
export interface ChunkGas {
  phase: (typeof SETTLE_PHASES)[number];
  items: number;
  gasUsed: bigint;
}

type Progress = [number, bigint, bigint, bigint, bigint];

const data = (functionName: string, args: readonly unknown[]) =>
  encodeFunctionData({ abi: MarketAbi as Abi, functionName, args } as Parameters<
    typeof encodeFunctionData
  >[0]);

/** The reason a call would revert (the node's message), or undefined when it would pass; its gas. */
async function estimate(
  pub: PublicClient<Transport, Chain | undefined>,
  from: Address,
  market: Address,
  d: Hex,
): Promise<{ gas?: bigint; reason?: string }> {
  try {
    return { gas: await pub.estimateGas({ account: from, to: market, data: d }) };
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    return { reason: /reverted with reason string '([^']*)'/.exec(m)?.[1] ?? m.split('\n')[0]! };
  }
}

/**
 * Settles interval `k` of the market at `market` in chunks from `from`'s account (through `send`), starting
 * or continuing its settlement (another sender's progress included). Returns `waiting` with the market's
 * reason when it cannot begin yet (readings awaited, no real-time prices).
 * @throws InputError when a chunk the node accepted in its estimate reverts, or one item alone exceeds the block.
 * @example await settleInChunks(pub, market, account.address, k, (tx) => sendAndWait(tx))
 */
export async function settleInChunks(
  pub: PublicClient<Transport, Chain | undefined>,
  market: Address,
  from: Address,
  k: bigint,
  send: SettleSend,
  o: SettleInChunksOptions = {},
): Promise<SettleOutcome> {
  const view = async <T>(functionName: string, args: readonly unknown[]) =>
    (await pub.readContract({ address: market, abi: MarketAbi as Abi, functionName, args } as Parameters<
      typeof pub.readContract
    >[0])) as T;
  const block = await pub.getBlock({ blockTag: 'latest' });
  const budget = o.gasBudget ?? (block.gasLimit * 8n) / 10n;
  const out = { creditsWh: 0n, transactions: 0, gasUsed: 0n, chunks: [] as ChunkGas[] };
  const submit = async (d: Hex, gas: bigint, phase: number, items: number) => {
    // a fifth on top of the estimate, within the block
    const limit = (gas * 6n) / 5n < block.gasLimit ? (gas * 6n) / 5n : block.gasLimit;
    const r = await send({ data: d, gas: limit });
    out.transactions++;
    if (r.status !== 'success') {
      throw new InputError(`settle interval ${k}: a ${SETTLE_PHASES[phase]} chunk of ${items} reverted`);
    }
    out.gasUsed += r.gasUsed ?? 0n;
    out.chunks.push({ phase: SETTLE_PHASES[phase]!, items, gasUsed: r.gasUsed ?? 0n });
    for (const l of r.logs) {
      if (l.address.toLowerCase() !== market.toLowerCase()) continue;
      try {
        const ev = decodeEventLog({
          abi: MarketAbi as Abi,
          data: l.data,
          topics: l.topics as [Hex, ...Hex[]],
        });
        if (ev.eventName === 'IntervalSettled')
          out.creditsWh = (ev.args as unknown as { creditsWh: bigint }).creditsWh;
      } catch {
        // another event
      }
    }
  };

  let [phase] = await view<Progress>('settlingOf', [k]);
  if (phase === 0) {
    const d = data('beginSettle', [k]);
    const e = await estimate(pub, from, market, d);
    if (e.gas === undefined) return { status: 'waiting', reason: e.reason! };
    await submit(d, e.gas, 0, 0);
  }
  let keys: bigint[] | undefined;
  for (;;) {
    const [ph, done, total, , parties] = await view<Progress>('settlingOf', [k]);
    phase = ph;
    if (phase === 0 || phase >= 6) break;
    const left = Number(total - done);
    let n = Number((budget - SETTLE_GAS.base) / PER_ITEM[phase]!);
    if (o.maxItems !== undefined) n = Math.min(n, o.maxItems);
    n = Math.max(1, Math.min(n, left));
    const party = phase === 3 || phase === 5;
    if (party && keys === undefined) keys = await partyKeys(view, k, Number(parties));
    for (;;) {
      const args = party ? [k, 0n, keys!.slice(Number(done), Number(done) + n)] : [k, BigInt(n), []];
      const d = data('settleChunk', args);
      const e = await estimate(pub, from, market, d);
      if (e.gas !== undefined && e.gas <= budget) {
        await submit(d, e.gas, phase, n);
        break;
      }
      if (n === 1) {
        throw new InputError(
          `settle interval ${k}: one ${SETTLE_PHASES[phase]} item does not fit ${budget} gas (${e.reason ?? `estimate ${e.gas}`})`,
        );
      }
      n = Math.ceil(n / 2);
    }
  }
  if (phase !== 6) return { status: 'waiting', reason: `interval ${k} is in settlement phase ${phase}` };
  return { status: 'settled', ...out };
}

/** Every party key of interval k (owner << 96 | bus), ascending: the order the party passes take. */
async function partyKeys(
  view: <T>(functionName: string, args: readonly unknown[]) => Promise<T>,
  k: bigint,
  count: number,
): Promise<bigint[]> {
  const page = 500;
  const keys: bigint[] = [];
  for (let from = 0; from < count; from += page) {
    keys.push(...(await view<readonly bigint[]>('settlementParties', [k, BigInt(from), BigInt(page)])));
  }
  return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
