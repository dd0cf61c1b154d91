// The clearing verifier from TypeScript: deploying it for a market (the integer network registered in
// chunks, checked against the registry and locked; the market then names it), and submitting one
// clearing as begin → submitOrders (chunks) → finish, with the gas of each transaction.
import { InputError } from '@gridledger/base';
import type { Abi, Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem';
import { ClearingVerifierAbi, ClearingVerifierBytecode } from '../generated/ClearingVerifier.ts';
import type { CertificateTolerances, ClearingBook, IntegerNetwork } from './format.ts';
import type { ProducedCertificate } from './produce.ts';
import { clearingArgs, networkPartArgs, orderChunks } from './submission.ts';

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

/** Gas of one submitted clearing, per transaction kind. */
export interface SubmissionGas {
  begin: bigint;
  chunks: bigint[];
  finish: bigint;
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

/**
 * Submits a produced certificate to the verifier: begin, the book in chunks of `chunkOrders`, finish.
 * @throws InputError naming the verifier's error when a transaction is rejected (nothing is applied).
 * @example await submitClearing(clients, verifier, net, book, produced, 5, 100)
 */
export async function submitClearing(
  c: VerifierClients,
  verifier: Address,
  net: IntegerNetwork,
  book: ClearingBook,
  produced: ProducedCertificate,
  intervalMinutes: number,
  chunkOrders = 100,
): Promise<SubmissionGas> {
  const cert = produced.certificate;
  const begin = await send(c, verifier, 'begin', [book.interval, networkPartArgs(cert)]);
  const chunks: bigint[] = [];
  for (const ch of orderChunks(book, cert, chunkOrders)) {
    chunks.push(await send(c, verifier, 'submitOrders', [book.interval, ch.first, ch.orders]));
  }
  const finish = await send(c, verifier, 'finish', [clearingArgs(net, book, produced, intervalMinutes)]);
  return { begin, chunks, finish, total: begin + chunks.reduce((a, b) => a + b, 0n) + finish };
}
