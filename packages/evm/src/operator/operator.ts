// The clearing operator: a pure function of the on-chain book. For each interval whose gate (with sealed
// bids: reveal window) has closed and that is still open, it reads the book from the contracts (the
// market's open orders, which are the revealed ones with sealed bids; the upstream's offer and bid as the
// verifier computes them, the registry's network with its line-limit overrides),
// clears it with the engine (@gridledger/market's clearNetwork, as the native market does), builds the
// integer certificate and submits it to the ClearingVerifier in chunks. Anyone may run one; two
// operators with the same chain state submit the same clearing, and the first to finish wins.
import { InputError } from '@gridledger/base';
import { checkNetworkJson, networkFromJson } from '@gridledger/energy';
import type { Network } from '@gridledger/grid';
import { type Abi, type Address, BaseError, ContractFunctionRevertedError, parseAbi } from 'viem';
import { type ClearingBook, type IntegerNetwork, integerNetwork } from '../certificate/format.ts';
import { produceDcCertificate } from '../certificate/produce.ts';
import {
  type VerifierClients as EvmClients,
  type SubmissionGas,
  submitClearing,
} from '../certificate/verifier-client.ts';
import {
  ClearingVerifierAbi,
  IMarketClearingViewAbi,
  IRegistryNetworkViewAbi,
} from '../generated/ClearingVerifier.ts';
import { IMarketBookAbi } from '../generated/IClearingSink.ts';

/** The contracts an operator talks to (from `addresses.json`; the registry is the market's). */
export interface OperatorContracts {
  market: Address;
  verifier: Address;
}

/** What clearing one interval did. */
export interface IntervalClearing {
  interval: bigint;
  orders: number;
  /** Cleared Wh of the orders (sum over buyers and sellers) and the upstream's exchange. */
  clearedWh: bigint;
  upstreamImportWh: bigint;
  upstreamExportWh: bigint;
  /** Price range over the buses, µ$/MWh. */
  minLmpMicrosPerMWh: bigint;
  maxLmpMicrosPerMWh: bigint;
  gas: SubmissionGas;
  transactions: number;
}

// The market through the interfaces the verifier uses (contracts/interfaces, contracts/clearing): any
// contract serving them (the Market, the BookCommitment of the tests) can be cleared.
const marketAbi = [...IMarketBookAbi, ...IMarketClearingViewAbi] as Abi;
const registryAbi = IRegistryNetworkViewAbi as Abi;
const verifierAbi = ClearingVerifierAbi as Abi;
/** The one sealed-bid view the operator needs (the Market's; docs/market-rules.md §6b). */
const sealedAbi = parseAbi([
  'function revealWindow(uint64 interval) view returns (uint256 opensMs, uint256 closesMs)',
]) as Abi;

/** Orders per bookPage read. */
const BOOK_PAGE = 200n;

type ReadFn = <T>(address: Address, abi: Abi, functionName: string, args?: readonly unknown[]) => Promise<T>;

function reader(c: EvmClients): ReadFn {
  return async <T>(address: Address, abi: Abi, functionName: string, args: readonly unknown[] = []) =>
    (await c.public.readContract({ address, abi, functionName, args })) as T;
}

/** The interval length of the market, minutes. */
export async function marketIntervalMinutes(c: EvmClients, market: Address): Promise<number> {
  const cfg = await reader(c)<{ intervalMs: bigint }>(market, marketAbi, 'config');
  const minutes = Number(cfg.intervalMs) / 60_000;
  if (!Number.isSafeInteger(minutes)) {
    throw new InputError(`the market's interval of ${cfg.intervalMs} ms is not a whole number of minutes`);
  }
  return minutes;
}

/**
 * The registry's network with its line-limit overrides, as the engine takes it, and its version.
 * @throws InputError when no network is registered or its JSON is malformed.
 */
export async function readNetwork(
  c: EvmClients,
  registry: Address,
): Promise<{ network: Network; version: bigint }> {
  const read = reader(c);
  const version = await read<bigint>(registry, registryAbi, 'networkVersion');
  if (version === 0n) throw new InputError('no network is registered in the registry: register one first');
  const text = await read<string>(registry, registryAbi, 'networkJson');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError("the registry's network is not valid JSON");
  }
  const checked = checkNetworkJson(parsed);
  if (!checked.ok) throw new InputError(`the registry's network is malformed: ${checked.reason}`);
  const limits = new Map<number, number>();
  for (const br of checked.network.branches) {
    const [overridden, limitW] = await read<[boolean, bigint]>(registry, registryAbi, 'lineLimit', [
      BigInt(br.index),
    ]);
    if (overridden) limits.set(br.index, Number(limitW) / 1e6);
  }
  return { network: networkFromJson(checked.network, limits), version };
}

/** The book of interval `k` as the contracts hold it now. */
export async function readBook(
  c: EvmClients,
  contracts: OperatorContracts,
  k: bigint,
): Promise<ClearingBook> {
  const read = reader(c);
  type Row = {
    id: bigint;
    owner: Address;
    bus: bigint;
    side: number;
    steps: readonly { energyWh: bigint; priceMicrosPerMWh: bigint }[];
  };
  // Page by page (bookPage), so that a large book's read stays within a node's eth_call gas cap.
  const open: Row[] = [];
  for (let cursor = 0n; ; ) {
    const [page, , next] = await read<[readonly Row[], readonly bigint[], bigint]>(
      contracts.market,
      marketAbi,
      'bookPage',
      [k, cursor, BOOK_PAGE],
    );
    open.push(...page);
    if (page.length < BOOK_PAGE || next === cursor) break;
    cursor = next;
  }
  const [bus, sell, buy] = await read<
    [bigint, { energyWh: bigint; priceMicrosPerMWh: bigint }, { energyWh: bigint; priceMicrosPerMWh: bigint }]
  >(contracts.verifier, verifierAbi, 'upstreamBook', [k]);
  return {
    interval: k,
    orders: open.map((o) => ({
      id: o.id,
      owner: o.owner,
      bus: o.bus,
      side: o.side === 1 ? ('sell' as const) : ('buy' as const),
      steps: o.steps.map((s) => ({ energyWh: s.energyWh, priceMicrosPerMWh: s.priceMicrosPerMWh })),
    })),
    upstream: {
      bus,
      sell: { energyWh: sell.energyWh, priceMicrosPerMWh: sell.priceMicrosPerMWh },
      buy: { energyWh: buy.energyWh, priceMicrosPerMWh: buy.priceMicrosPerMWh },
    },
  };
}

/** Integer network of the verifier (as deployed) for the engine's network. */
export async function verifierNetwork(
  c: EvmClients,
  verifier: Address,
  network: Network,
  minutes: number,
): Promise<IntegerNetwork> {
  const net = integerNetwork(network, minutes);
  const ids = await reader(c)<readonly bigint[]>(verifier, verifierAbi, 'busIds');
  if (ids.length !== net.busIds.length || ids.some((id, i) => id !== net.busIds[i])) {
    throw new InputError(
      "the verifier's buses differ from the registry's network: redeploy the verifier for this network",
    );
  }
  return net;
}

/**
 * Clears interval `k`: reads its book, solves, certifies and submits. Returns undefined when the
 * interval has no open orders (nothing to clear).
 * @throws InputError when the verifier rejects the clearing (its error's name in the message).
 */
export async function clearIntervalOnChain(
  c: EvmClients,
  contracts: OperatorContracts,
  k: bigint,
  chunkOrders?: number,
): Promise<IntervalClearing | undefined> {
  const minutes = await marketIntervalMinutes(c, contracts.market);
  const book = await readBook(c, contracts, k);
  if (book.orders.length === 0) return undefined;
  const registry = await reader(c)<Address>(contracts.market, marketAbi, 'registry');
  const { network } = await readNetwork(c, registry);
  const net = await verifierNetwork(c, contracts.verifier, network, minutes);
  const produced = await produceDcCertificate(network, net, book, minutes);
  const gas = await submitClearing(c, contracts.verifier, net, book, produced, minutes, {
    ...(chunkOrders === undefined ? {} : { maxOrders: chunkOrders }),
  });
  const cert = produced.certificate;
  const lmps = cert.lmpMicrosPerMWh;
  return {
    interval: k,
    orders: book.orders.length,
    clearedWh: cert.clearedWh.flat().reduce((a, b) => a + b, 0n),
    upstreamImportWh: cert.upstreamSoldWh,
    upstreamExportWh: cert.upstreamBoughtWh,
    minLmpMicrosPerMWh: [...lmps].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0]!,
    maxLmpMicrosPerMWh: [...lmps].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))[0]!,
    gas,
    transactions: (gas.begin > 0n ? 1 : 0) + gas.chunks.length + (gas.finish > 0n ? 1 : 0) + gas.apply.length,
  };
}

/**
 * Whether the market takes sealed bids (docs/market-rules.md §6b): its `revealWindow` view answers. A
 * market without them (or a book contract without the view) reverts, and its book is complete at the gate.
 */
async function hasSealedBids(c: EvmClients, market: Address, k: bigint): Promise<boolean> {
  try {
    await reader(c)(market, sealedAbi, 'revealWindow', [k]);
    return true;
  } catch (e) {
    if (e instanceof BaseError && e.walk((x) => x instanceof ContractFunctionRevertedError)) return false;
    throw e;
  }
}

/**
 * The intervals due for clearing now: from `from` on, those whose gate (with sealed bids: the end of the
 * reveal window) has passed and that are still open (status 0), up to the first still ahead (`next`,
 * where to look the next time). The book then holds the revealed orders only: an unrevealed commitment is
 * no order (the market forfeits it when the clearing is applied).
 */
export async function dueIntervals(
  c: EvmClients,
  market: Address,
  from: bigint,
  max = 64,
): Promise<{ due: bigint[]; next: bigint }> {
  const read = reader(c);
  const now = await read<bigint>(market, marketAbi, 'marketTimeMs');
  const sealed = await hasSealedBids(c, market, from);
  const due: bigint[] = [];
  let k = from;
  for (; due.length < max; k++) {
    const [gateMs] = await read<[bigint, bigint, bigint, bigint]>(market, marketAbi, 'clock', [k]);
    // With sealed bids the book is complete (every reveal in) only when the reveal window closes.
    const clearsMs = sealed
      ? (await read<[bigint, bigint]>(market, sealedAbi, 'revealWindow', [k]))[1]
      : gateMs;
    if (clearsMs > now) break;
    const [status] = await read<[number, bigint, bigint, bigint]>(market, marketAbi, 'intervalState', [k]);
    if (status === 0) due.push(k);
  }
  return { due, next: k };
}

/**
 * Where an operator starts looking: the first interval whose settlement deadline has not passed (an
 * older one can only expire), and not before the market's first interval.
 */
export async function startInterval(c: EvmClients, market: Address): Promise<bigint> {
  const read = reader(c);
  const cfg = await read<{ firstInterval: bigint; intervalMs: bigint; settlementDelayMs: bigint }>(
    market,
    marketAbi,
    'config',
  );
  const now = await read<bigint>(market, marketAbi, 'marketTimeMs');
  const past = now > cfg.settlementDelayMs ? (now - cfg.settlementDelayMs) / cfg.intervalMs : 0n;
  const k = past > 0n ? past - 1n : 0n;
  return k > cfg.firstInterval ? k : cfg.firstInterval;
}
