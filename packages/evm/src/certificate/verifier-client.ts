// The clearing verifier from TypeScript: deploying it for a market (the integer network registered in
// chunks, checked against the registry and locked; the market then names it), and submitting one
// clearing as begin → submitOrders (chunks) → finish → applyChunk (the same chunks), with the gas of each
// transaction; chunks are cut to fit the chain's block gas limit, and a submission interrupted part-way
// resumes from the verifier's stored progress (docs/evm.md "Chunked clearing").
import { InputError } from '@gridledger/base';
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  encodeAbiParameters,
  type Hex,
  keccak256,
  type PublicClient,
  parseAbiParameters,
  type Transport,
  type WalletClient,
} from 'viem';
import { ClearingVerifierAbi, ClearingVerifierBytecode } from '../generated/ClearingVerifier.ts';
import type { CertificateTolerances, ClearingBook, IntegerNetwork } from './format.ts';
import type { ProducedCertificate } from './produce.ts';
import {
  type AppliedOrderArgs,
  appliedChunks,
  chunkEnds,
  clearingArgs,
  networkPartArgs,
  orderChunks,
} from './submission.ts';

const abi = ClearingVerifierAbi as Abi;

/** Clients for one endpoint and one signing account (the shape of deploy.ts's EvmClients). */
export interface VerifierClients {
  public: PublicClient<Transport, Chain>;
  wallet: WalletClient<Transport, Chain, Account>;
}

async function deploy(c: VerifierClients, bytecode: Hex, args: readonly unknown[]) {
  const hash = await c.wallet.deployContract({ abi, bytecode, args } as Parameters<
    typeof c.wallet.deployContract
  >[0]);
  const r = await c.public.waitForTransactionReceipt({ hash });
  if (r.status !== 'success' || r.contractAddress == null) {
    throw new InputError(`the ClearingVerifier deployment (${hash}) reverted`);
  }
  return { address: r.contractAddress, gasUsed: r.gasUsed };
}

/** Branches per `addBranches` transaction when registering a network. */
const BRANCHES_PER_TX = 100;

/** Options of {@link deployVerifier}. */
export interface DeployVerifierOptions {
  market: Address;
  /** The registry's network version the integer network was built from. */
  networkVersion: bigint;
  network: IntegerNetwork;
  intervalMinutes: number;
  tolerances: CertificateTolerances;
}

/**
 * Deploys the ClearingVerifier for `market` and registers and locks its integer network (checked against
 * the registry's). The market's deployer names it afterwards. Returns its address and the gas used.
 * @example const { address } = await deployVerifier(clients, { market, networkVersion: 1n, network, intervalMinutes: 5, tolerances: DEFAULT_TOLERANCES });
 */
export async function deployVerifier(
  c: VerifierClients,
  o: DeployVerifierOptions,
): Promise<{ address: Address; gasUsed: bigint }> {
  const d = await deploy(c, ClearingVerifierBytecode, [o.market, BigInt(o.intervalMinutes), o.tolerances]);
  let gas = d.gasUsed;
  gas += await send(c, d.address, 'setNetwork', [o.networkVersion, o.network.busIds]);
  for (let k = 0; k < o.network.branches.length; k += BRANCHES_PER_TX) {
    const chunk = o.network.branches.slice(k, k + BRANCHES_PER_TX).map((b) => ({
      from: b.from,
      to: b.to,
      inService: b.inService,
      limitW: b.limitW,
      susceptanceWPerRad: b.susceptanceWPerRad,
      shiftPrad: b.shiftPrad,
    }));
    gas += await send(c, d.address, 'addBranches', [chunk]);
  }
  gas += await send(c, d.address, 'lockNetwork', []);
  return { address: d.address, gasUsed: gas };
}

/** Gas of one submitted clearing, per transaction kind (0 / empty for a step done by an earlier run). */
export interface SubmissionGas {
  begin: bigint;
  /** `submitOrders`, per chunk (verification). */
  chunks: bigint[];
  finish: bigint;
  /** `applyChunk`, per chunk (the market applies the verified orders). */
  apply: bigint[];
  total: bigint;
}

/** Sends one call and waits for its receipt; a revert becomes an InputError naming the contract's error. */
async function send(
  c: VerifierClients,
  verifier: Address,
  functionName: string,
  args: readonly unknown[],
): Promise<bigint> {
  try {
    const { request } = await c.public.simulateContract({
      address: verifier,
      abi,
      functionName,
      args,
      account: c.wallet.account,
    } as Parameters<typeof c.public.simulateContract>[0]);
    const hash = await c.wallet.writeContract(request as Parameters<typeof c.wallet.writeContract>[0]);
    const r = await c.public.waitForTransactionReceipt({ hash });
    if (r.status !== 'success')
      throw new InputError(`verifier ${functionName}: transaction ${hash} reverted`);
    return r.gasUsed;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`verifier ${functionName} rejected: ${revertName(e)}`);
  }
}

/** The contract error's name and arguments in a viem error (`ReducedCostViolated(3, 0)`), or its message. */
export function revertName(e: unknown): string {
  let cur = e as
    | { data?: { errorName?: string; args?: readonly unknown[] }; cause?: unknown; shortMessage?: string }
    | undefined;
  const first = cur;
  while (cur) {
    if (cur.data?.errorName) return `${cur.data.errorName}(${(cur.data.args ?? []).map(String).join(', ')})`;
    cur = cur.cause as typeof cur;
  }
  return first?.shortMessage ?? String(e);
}

/** The verifier's running commitment over applied orders (its `submitOrders` / `applyChunk` chain). */
function resultChain(orders: readonly AppliedOrderArgs[]): Hex {
  let chain: Hex = `0x${'00'.repeat(32)}`;
  for (const o of orders) {
    chain = keccak256(encodeAbiParameters(CHAIN_STEP, [chain, o.id, o.clearedWh, o.trades]));
  }
  return chain;
}

const CHAIN_STEP = parseAbiParameters(
  'bytes32 chain, uint256 id, uint64 clearedWh, (uint256 sellerOrder, uint256 buyerOrder, uint64 energyWh)[] trades',
);

/** Options of {@link submitClearing}. */
export interface SubmitOptions {
  /** At most this many orders per chunk (default: no cap besides gas). */
  maxOrders?: number;
  /** Modelled gas per chunk (default: 80 % of the latest block's gas limit). */
  gasBudget?: bigint;
}

/** The gas budget of one chunk: 80 % of the chain's block gas limit (the latest block's). */
export async function chunkGasBudget(c: Pick<VerifierClients, 'public'>): Promise<bigint> {
  const block = await c.public.getBlock({ blockTag: 'latest' });
  return (block.gasLimit * 8n) / 10n;
}

async function view<T>(
  c: VerifierClients,
  verifier: Address,
  functionName: string,
  args: readonly unknown[],
) {
  return (await c.public.readContract({ address: verifier, abi, functionName, args } as Parameters<
    typeof c.public.readContract
  >[0])) as T;
}

/**
 * Submits a produced certificate to the verifier: begin, the book in chunks (verified, nothing applied),
 * finish (the whole clearing checked; the market starts applying), then the same chunks to apply. Each
 * chunk's modelled gas fits the budget. When the verifier already holds progress for this interval — a
 * clearing being applied, or this account's session part-way — it continues from there.
 * @throws InputError naming the verifier's error when a transaction is rejected (a rejected verification
 *   step applies nothing; see docs/evm.md for what a rejected apply step means).
 * @example await submitClearing(clients, verifier, net, book, produced, 5, { maxOrders: 100 })
 */
export async function submitClearing(
  c: VerifierClients,
  verifier: Address,
  net: IntegerNetwork,
  book: ClearingBook,
  produced: ProducedCertificate,
  intervalMinutes: number,
  options: SubmitOptions = {},
): Promise<SubmissionGas> {
  const cert = produced.certificate;
  const k = book.interval;
  const clearing = clearingArgs(net, book, produced, intervalMinutes);
  const budget = options.gasBudget ?? (await chunkGasBudget(c));
  const sized = book.orders.map((o, i) => ({ steps: o.steps, trades: clearing.orders[i]!.trades }));
  const gas: SubmissionGas = { begin: 0n, chunks: [], finish: 0n, apply: [], total: 0n };
  const [applying, nextApply, appliedEnds] = await view<[boolean, bigint, readonly number[]]>(
    c,
    verifier,
    'applyingOf',
    [k],
  );
  let ends: number[];
  let firstApply = 0;
  let verified = 0;
  if (applying) {
    ends = [...appliedEnds];
    firstApply = Number(nextApply);
  } else {
    const [open, nextOrder, doneEnds, chain] = await view<[boolean, bigint, readonly number[], Hex]>(
      c,
      verifier,
      'sessionOf',
      [k, c.wallet.account.address],
    );
    const done = Number(nextOrder);
    // Resume an earlier run's session only when what it verified is this clearing's first orders.
    if (
      open &&
      done > 0 &&
      done <= book.orders.length &&
      resultChain(clearing.orders.slice(0, done)) === chain
    ) {
      ends = [...doneEnds, ...chunkEnds(sized.slice(done), budget, options.maxOrders).map((e) => e + done)];
      verified = doneEnds.length;
    } else {
      gas.begin = await send(c, verifier, 'begin', [k, networkPartArgs(cert)]);
      ends = chunkEnds(sized, budget, options.maxOrders);
    }
    const chunks = orderChunks(book, cert, clearing, ends);
    for (let i = verified; i < chunks.length; i++) {
      gas.chunks.push(await send(c, verifier, 'submitOrders', [k, chunks[i]!.first, chunks[i]!.orders]));
    }
    gas.finish = await send(c, verifier, 'finish', [clearing.header]);
  }
  const apply = appliedChunks(clearing, ends);
  for (let i = firstApply; i < apply.length; i++) {
    gas.apply.push(await send(c, verifier, 'applyChunk', [k, BigInt(i), apply[i]!]));
  }
  const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
  gas.total = gas.begin + sum(gas.chunks) + gas.finish + sum(gas.apply);
  return gas;
}
