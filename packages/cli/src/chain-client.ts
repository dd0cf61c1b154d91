// Chain access for the market commands (order, meter, interval): the shared --rpc and key flags, the
// signing key from --key, --key-file or --account with --dev-accounts, a JSON-RPC connection
// (@gridledger/client, typed by @gridledger/rpc's wire types) that says
// clearly when the node cannot be reached or does not run the energy market, the market's view
// (gl_marketConfig), and sending one module call with viem: estimated first (a call the chain would
// reject is refused with its revert reason and nothing is sent), then signed, sent and awaited, its
// receipt's revert reason decoded when it failed in the block. With --contracts (an EVM deployment's
// addresses.json) the same commands run against the market's Solidity contracts on any EVM node: the
// gl_* market views come from the contracts (EvmMarketViews through MarketRpcClient), calls go to the
// deployment's market contract, and fees are the chain's.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GridledgerError, InputError } from '@gridledger/base';
import {
  EvmMarketViews,
  gridledgerChain,
  MarketRpcClient,
  type ParametersOf,
  publicClientOf,
  type ResultOf,
  RpcCallError,
  RpcClient,
  walletClientOf,
} from '@gridledger/client';
import { MARKET_ADDRESS } from '@gridledger/energy';
import type { EvmAddresses } from '@gridledger/evm';
import type { GlMarketConfigReturnType, GridledgerRpcMethod } from '@gridledger/rpc';
import type { Command } from 'commander';
import {
  type Abi,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  decodeErrorResult,
  encodeFunctionData,
  type Hex,
  type Log,
  type PublicClient,
  parseAbi,
} from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { UsageError } from './output.ts';

/** Where `gridledger start` serves node0's JSON-RPC. */
export const DEFAULT_RPC_URL = 'http://127.0.0.1:26601';
/** Where `gridledger start` writes the development keys (relative to the working folder). */
const DEFAULT_DEV_ACCOUNTS = '.gridledger/testnet/dev-accounts.json';
/** How long one JSON-RPC request may take before the command gives up. */
const RPC_TIMEOUT_MS = 15_000;
/** How long to wait for a sent transaction's receipt. */
const RECEIPT_TIMEOUT_MS = 120_000;

/** The flags every market command takes. */
export interface ChainFlags {
  rpc: string;
  format: string;
  key?: string;
  keyFile?: string;
  account?: string;
  devAccounts?: string;
  /** An EVM deployment's addresses.json: the market is its contracts (commands that take --contracts). */
  contracts?: string;
}

/** The contracts of an addresses.json that `gridledger deploy` (or `start --chain anvil`) writes. */
export const EVM_ADDRESS_KEYS = [
  'registry',
  'cash',
  'promises',
  'credits',
  'meters',
  'engine',
  'market',
  'verifier',
  'realtimeBook',
  'realtimeVerifier',
] as const satisfies readonly (keyof EvmAddresses)[];

/**
 * Reads an EVM deployment's addresses.json.
 * @throws InputError when it is missing, not JSON or lacks one of the addresses, saying what to do.
 */
export function readEvmAddresses(file: string): EvmAddresses {
  const path = resolve(file);
  if (!existsSync(path))
    throw new InputError(`--contracts ${path} does not exist: run gridledger deploy first`);
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new InputError(`--contracts ${path} is not JSON`);
  }
  for (const k of EVM_ADDRESS_KEYS)
    if (typeof j[k] !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(j[k] as string))
      throw new InputError(
        `--contracts ${path}: expected "${k}" as a 0x address, as gridledger deploy writes it`,
      );
  return j as unknown as EvmAddresses;
}

/** Adds --contracts (an EVM deployment instead of gridledger's own market modules) to a command. */
export function addContractsOption(cmd: Command): Command {
  return cmd.option(
    '--contracts <file>',
    "on an EVM chain: the deployment's addresses.json (gridledger deploy, start --chain anvil writes <dir>/evm/addresses.json); --rpc is then that chain's endpoint",
  );
}

/** Adds --rpc and --format, and with `signer` the key flags, to a command. */
export function addChainOptions(cmd: Command, signer: boolean): Command {
  cmd
    .option('--rpc <url>', 'JSON-RPC endpoint of a node', DEFAULT_RPC_URL)
    .option('--format <format>', 'table or json', 'table');
  if (signer) addKeyOptions(cmd);
  return cmd;
}

/** Adds the three ways to name a signing key. */
export function addKeyOptions(cmd: Command): Command {
  return cmd
    .option(
      '--key <hex>',
      'secp256k1 private key, 32 bytes hex (visible to other users in ps: prefer --key-file)',
    )
    .option('--key-file <file>', 'file holding the private key as hex')
    .option(
      '--account <name>',
      'a development account by name (admin, grid-operator, meter-1, participant-1, ...)',
    )
    .option('--dev-accounts <file>', `dev-accounts.json for --account (default ${DEFAULT_DEV_ACCOUNTS})`);
}

/** One development account as written to dev-accounts.json. */
interface DevAccountEntry {
  name: string;
  address: string;
  privateKey: string;
}

function loadDevAccounts(file: string | undefined): { path: string; accounts: DevAccountEntry[] } {
  const path = resolve(file ?? DEFAULT_DEV_ACCOUNTS);
  if (!existsSync(path)) {
    throw new InputError(`dev accounts file ${path} does not exist`, {
      details:
        'pass --dev-accounts DIR/dev-accounts.json (written by `gridledger init --dev` or `gridledger start`)',
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const accounts = (json as { accounts?: unknown }).accounts;
  if (!Array.isArray(accounts) || !accounts.every((a) => typeof a?.name === 'string')) {
    throw new InputError(
      `${path}: expected {"accounts":[{"name","address","privateKey"}]} as init --dev writes it`,
    );
  }
  return { path, accounts: accounts as DevAccountEntry[] };
}

function parsePrivateKey(text: string, where: string): PrivateKeyAccount {
  const t = text.trim();
  const hex = t.startsWith('0x') || t.startsWith('0X') ? t.slice(2) : t;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new InputError(`${where}: expected a private key of 32 bytes as 64 hex digits (0x optional)`);
  }
  try {
    return privateKeyToAccount(`0x${hex.toLowerCase()}`);
  } catch {
    throw new InputError(`${where}: not a valid secp256k1 private key (zero or above the curve order)`);
  }
}

/**
 * The signing key named by exactly one of --key, --key-file or --account.
 * @throws UsageError when none or several are given; InputError for a bad key, file or account name.
 */
export function resolveSigner(flags: ChainFlags, command: string): PrivateKeyAccount {
  const given = [flags.key, flags.keyFile, flags.account].filter((x) => x !== undefined);
  if (given.length === 0) {
    throw new UsageError(
      `${command} needs a signing key: --key HEX, --key-file FILE, or --account NAME (with --dev-accounts FILE)`,
    );
  }
  if (given.length > 1) throw new UsageError(`${command}: give only one of --key, --key-file and --account`);
  if (flags.key !== undefined) return parsePrivateKey(flags.key, '--key');
  if (flags.keyFile !== undefined) {
    const path = resolve(flags.keyFile);
    if (!existsSync(path)) throw new InputError(`--key-file ${path} does not exist`);
    return parsePrivateKey(readFileSync(path, 'utf8'), `--key-file ${path}`);
  }
  const dev = loadDevAccounts(flags.devAccounts);
  const a = dev.accounts.find((x) => x.name === flags.account);
  if (a === undefined) {
    throw new InputError(`unknown account "${flags.account}" in ${dev.path}`, {
      details: `known accounts: ${dev.accounts.map((x) => x.name).join(', ')}`,
    });
  }
  return parsePrivateKey(a.privateKey, `${dev.path} account ${a.name}`);
}

/**
 * An address flag: a 0x address, or a development account's name from --dev-accounts (or the default file).
 * @throws InputError saying what was expected.
 */
export function resolveAddress(value: string, flag: string, devAccounts: string | undefined): Hex {
  if (/^0x[0-9a-fA-F]{40}$/.test(value)) return value.toLowerCase() as Hex;
  if (/^0x/i.test(value) || /^[0-9a-fA-F]{40}$/.test(value)) {
    throw new InputError(`${flag}: expected an address of 20 bytes as 0x and 40 hex digits, got "${value}"`);
  }
  const path = resolve(devAccounts ?? DEFAULT_DEV_ACCOUNTS);
  const a = existsSync(path) ? loadDevAccounts(path).accounts.find((x) => x.name === value) : undefined;
  if (a === undefined) {
    throw new InputError(
      `${flag}: expected a 0x address (40 hex digits) or a development account name, got "${value}"`,
      { details: existsSync(path) ? `no account "${value}" in ${path}` : `no dev accounts file at ${path}` },
    );
  }
  return a.address.toLowerCase() as Hex;
}

/** A connection to one node's JSON-RPC: the typed client, and viem's public client for contract calls. */
export class ChainConnection {
  readonly client: PublicClient;
  readonly rpc: RpcClient;
  readonly url: string;
  readonly chainId: number;
  readonly chain: Chain;
  /** The EVM deployment (--contracts), or undefined on gridledger's own chain. */
  readonly evm: EvmAddresses | undefined;
  /** Where orders go: the market module, or the deployment's market contract. */
  readonly marketAddress: Hex;
  private constructor(url: string, chainId: number, chain: Chain, evm: EvmAddresses | undefined) {
    this.url = url;
    this.chainId = chainId;
    this.chain = chain;
    this.evm = evm;
    this.marketAddress = evm === undefined ? MARKET_ADDRESS : evm.market;
    this.client = publicClientOf(chain, url, RPC_TIMEOUT_MS);
    this.rpc =
      evm === undefined
        ? rpcClientOf(url)
        : new MarketRpcClient(url, { timeoutMs: RPC_TIMEOUT_MS, attempts: 1 }, new EvmMarketViews(url, evm));
  }

  /**
   * Connects to `url` and reads its chain id; with `contracts` (an addresses.json) the market is that EVM
   * deployment's contracts.
   * @throws InputError saying the node cannot be reached, or the deployment is not there, and what to do.
   */
  static async open(url: string, contracts?: string): Promise<ChainConnection> {
    if (!/^https?:\/\/[^\s/]+/.test(url)) {
      throw new InputError(`--rpc: expected an http:// or https:// URL, got "${url}"`);
    }
    const evm = contracts === undefined ? undefined : readEvmAddresses(contracts);
    const id = await rpcRequest(url, 'eth_chainId', []);
    const chainId = Number(BigInt(id));
    if (evm !== undefined) {
      const code = await rpcRequest(url, 'eth_getCode', [evm.market, 'latest']);
      if (code === '0x')
        throw new InputError(
          `--contracts: no market contract at ${evm.market} on ${url} (chain ${chainId})`,
          {
            details:
              'is --rpc the chain the deployment is on? `gridledger deploy` writes addresses.json there',
          },
        );
    }
    return new ChainConnection(url, chainId, gridledgerChain(url, chainId), evm);
  }

  /** One JSON-RPC call; a node error becomes an {@link RpcCallError}, an unreachable node an InputError. */
  async request<M extends GridledgerRpcMethod>(method: M, params: ParametersOf<M>): Promise<ResultOf<M>> {
    try {
      return await this.rpc.request(method, params);
    } catch (err) {
      throw cliErrorOf(err, this.url);
    }
  }

  /**
   * The market's configuration and clock (gl_marketConfig).
   * @throws InputError when the node does not run the energy market.
   */
  async market(): Promise<GlMarketConfigReturnType> {
    try {
      return await this.request('gl_marketConfig', []);
    } catch (err) {
      if (err instanceof RpcCallError && err.rpcCode === -32601) {
        throw new InputError(`the node at ${this.url} does not run the energy market (no gl_marketConfig)`, {
          details: 'start a chain whose genesis has the market: `gridledger init --dev` / `gridledger start`',
        });
      }
      throw err;
    }
  }

  /** The interval an {@link IntervalSpec} names, reading the market's clock for `next` and `last`. */
  async resolveInterval(spec: IntervalSpec, flag: string): Promise<bigint> {
    if (typeof spec === 'bigint') return spec;
    const m = await this.market();
    if (spec === 'next') return BigInt(m.openInterval ?? m.config.firstInterval);
    const next = BigInt(m.clearNext);
    if (next === 0n) throw new InputError(`${flag} last: no interval has been cleared yet`);
    return next - 1n;
  }
}

/** An interval as given at the command line: a number, `next` or `last`. */
export type IntervalSpec = bigint | 'next' | 'last';

/**
 * Parses an interval flag: a non-negative integer, `next` (the first interval whose gate is still open)
 * or `last` (the latest interval the market has cleared, or tried to).
 * @throws InputError naming the flag.
 */
export function parseIntervalFlag(value: string, flag: string): IntervalSpec {
  if (/^\d{1,19}$/.test(value)) return BigInt(value);
  if (value === 'next' || value === 'last') return value;
  throw new InputError(`${flag}: expected an interval number, "next" or "last", got "${value}"`);
}

/** One node's typed client as the CLI uses it: 15 s per request, no retry (the user runs it again). */
const rpcClientOf = (url: string) => new RpcClient(url, { timeoutMs: RPC_TIMEOUT_MS, attempts: 1 });

/** A client failure as the error the CLI prints: an unreachable node or a non-JSON-RPC answer says what to do. */
function cliErrorOf(err: unknown, url: string): unknown {
  if (!(err instanceof RpcCallError) || err.rpcCode !== undefined) return err;
  if (err.transport) {
    const cause = err.cause as { message?: string; cause?: { code?: string; message?: string } } | undefined;
    const why = cause?.cause?.code ?? cause?.cause?.message ?? cause?.message ?? err.message;
    return new InputError(`cannot reach the JSON-RPC endpoint ${url} (${why})`, {
      details: 'is a node running there? Start one with `gridledger start`, or pass --rpc URL',
    });
  }
  return new InputError(`${url} did not answer JSON-RPC: ${err.message}`, {
    details: 'check the --rpc URL: it should be a gridledger node (node0 of `gridledger start` is on :26601)',
  });
}

/**
 * One JSON-RPC call to `url`, typed by the wire contract, with a clear error for an unreachable node.
 * @throws InputError when the node cannot be reached or does not speak JSON-RPC; RpcCallError with the node's error.
 */
async function rpcRequest<M extends GridledgerRpcMethod>(
  url: string,
  method: M,
  params: ParametersOf<M>,
): Promise<ResultOf<M>> {
  try {
    return await rpcClientOf(url).request(method, params);
  } catch (err) {
    throw cliErrorOf(err, url);
  }
}

const ERROR_STRING = parseAbi(['error Error(string)']);

/** The Error(string) reason of revert data, or a short description of other data. */
export function decodeRevertReason(data: string | undefined): string {
  if (data === undefined || data === '0x' || data === '') return 'reverted without a reason';
  try {
    return decodeErrorResult({ abi: ERROR_STRING, data: data as Hex }).args[0] as string;
  } catch {
    return `reverted with data ${data.slice(0, 74)}`;
  }
}

/** What became of one module call. */
export type CallOutcome =
  | { ok: true; hash: Hex; blockNumber: bigint; gasUsed: bigint; logs: Log[] }
  /** `stage` estimate: refused before sending (nothing sent); block: included and reverted. */
  | { ok: false; stage: 'estimate' | 'block'; reason: string; hash?: Hex; blockNumber?: bigint };

/** The revert reason inside a viem error, if it is a revert. */
function revertOf(err: unknown): string | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const r = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (r instanceof ContractFunctionRevertedError) return r.reason ?? r.shortMessage;
  const raw = err.walk((e) => typeof (e as { data?: unknown }).data === 'string');
  const data = (raw as { data?: string } | null)?.data;
  if (typeof data === 'string' && data.startsWith('0x08c379a0')) return decodeRevertReason(data);
  return undefined;
}

/**
 * Estimates, signs, sends and awaits one call of a built-in module.
 * A revert (at estimation or in the block) is a value with its reason; transport failures throw.
 */
export async function sendCall(
  conn: ChainConnection,
  account: PrivateKeyAccount,
  call: { to: Hex; abi: Abi; functionName: string; args: readonly unknown[] },
): Promise<CallOutcome> {
  const request = {
    account,
    address: call.to,
    abi: call.abi,
    functionName: call.functionName,
    args: call.args,
  };
  let gas: bigint;
  try {
    gas = await conn.client.estimateContractGas(
      request as Parameters<PublicClient['estimateContractGas']>[0],
    );
  } catch (err) {
    const reason = revertOf(err);
    if (reason !== undefined) return { ok: false, stage: 'estimate', reason };
    throw asChainError(err, conn.url);
  }
  const wallet = walletClientOf(account, conn.chain, conn.url, RPC_TIMEOUT_MS);
  let hash: Hex;
  try {
    // gridledger's chain charges no fees; another EVM chain's fees come from its latest block.
    const fees =
      conn.evm === undefined
        ? { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }
        : await conn.client.estimateFeesPerGas();
    hash = await wallet.sendTransaction({
      to: call.to,
      data: encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args }),
      // State may change before the block (a first write costs more than an update): leave headroom.
      gas: gas + gas / 2n + 21_000n,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
  } catch (err) {
    throw asChainError(err, conn.url);
  }
  let receipt: Awaited<ReturnType<PublicClient['waitForTransactionReceipt']>>;
  try {
    receipt = await conn.client.waitForTransactionReceipt({
      hash,
      timeout: RECEIPT_TIMEOUT_MS,
      pollingInterval: 250,
    });
  } catch (err) {
    throw new GridledgerError('E_RECEIPT', `transaction ${hash} was sent but no receipt arrived`, {
      details: `it may still be included: look it up with eth_getTransactionReceipt on ${conn.url}`,
      cause: err,
    });
  }
  if (receipt.status === 'success') {
    return { ok: true, hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, logs: receipt.logs };
  }
  const raw = await conn.request('eth_getTransactionReceipt', [hash]);
  return {
    ok: false,
    stage: 'block',
    reason:
      raw?.revertReason !== undefined && raw.revertReason !== '0x'
        ? decodeRevertReason(raw.revertReason)
        : (raw?.error ?? 'reverted'),
    hash,
    blockNumber: receipt.blockNumber,
  };
}

/** A viem failure that is not a revert, as an error the CLI prints without a stack trace. */
function asChainError(err: unknown, url: string): GridledgerError {
  if (err instanceof GridledgerError) return err;
  const msg = err instanceof BaseError ? err.shortMessage : (err as Error).message;
  const details = err instanceof BaseError ? err.details : undefined;
  if (/fetch failed|ECONNREFUSED|HTTP request failed/i.test(`${msg} ${details ?? ''}`)) {
    return new InputError(`cannot reach the JSON-RPC endpoint ${url} (${details ?? msg})`, {
      details: 'is a node running there? Start one with `gridledger start`, or pass --rpc URL',
    });
  }
  return new GridledgerError('E_CHAIN', `the node refused the transaction: ${msg}`, {
    ...(details ? { details } : {}),
    cause: err,
  });
}

/** A module call that the chain rejected, as the error the CLI prints (exit code 1). */
export function rejected(what: string, outcome: Extract<CallOutcome, { ok: false }>): GridledgerError {
  const where =
    outcome.stage === 'estimate'
      ? 'nothing was sent'
      : `transaction ${outcome.hash} reverted in block ${outcome.blockNumber}`;
  return new GridledgerError('E_REVERTED', `${what} rejected: ${outcome.reason}`, { details: `(${where})` });
}
