// The node's home folder: `config.json` (chain id, moniker, listen ports, peers, timeouts), `node_key.json`
// (the ed25519 validator key, file mode 0600), `genesis.json` (a copy of the network's genesis) and
// `data/` (the classic-level database). Owns writing a new network (`gridledger init`) and loading a
// home with errors that name the file and the field that is wrong.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fromHex, InputError, toHex } from '@gridledger/base';
import {
  DEFAULT_TIMEOUTS as CONSENSUS_DEFAULT_TIMEOUTS,
  DEFAULT_MAX_FUTURE_BLOCK_TIME_MS,
  DEFAULT_MAX_PAST_BLOCK_TIME_MS,
} from '@gridledger/consensus';
import { type Ed25519KeyPair, ed25519KeyPair } from '@gridledger/crypto';
import { parseEthChainId, randomEthChainId } from '@gridledger/execution';
import { parsePeerAddress } from '@gridledger/p2p';
import { z } from 'zod';

/** Default first port: node k listens for peers on base + 2k and serves JSON-RPC on base + 2k + 1. */
export const DEFAULT_BASE_PORT = 26600;
/** Default chain id of `gridledger init`. */
export const DEFAULT_CHAIN_ID = 'gridledger-local';

const hex = (bytes: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `expected 0x and ${bytes * 2} hex digits`);
const port = z.number().int().min(0).max(65535);
const peerAddress = z.string().refine((s) => {
  try {
    parsePeerAddress(s);
    return true;
  } catch {
    return false;
  }
}, 'expected "host:port" or "pubkey@host:port" (pubkey: the peer\'s validator key, 64 hex digits)');

const genesisSchema = z.object({
  chainId: z.string().min(1).max(64),
  /**
   * The Ethereum chain id (EIP-155, eth_chainId, the meters' EIP-712 domain) as a decimal string, chosen
   * at `gridledger init` (random unless given). Genesis files from before it existed: re-create the network.
   */
  ethChainId: z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? 'missing: the Ethereum chain id (a network made before it was in genesis: re-create it with "gridledger init")'
          : 'expected a decimal string',
    })
    .regex(/^[1-9][0-9]{0,15}$/, 'expected a decimal integer in 1..2^53-1')
    .refine((v) => BigInt(v) <= 9_007_199_254_740_991n, 'expected a decimal integer in 1..2^53-1'),
  genesisTime: z.string().datetime({ message: 'expected an ISO 8601 time' }),
  validators: z
    .array(
      z.object({
        name: z.string(),
        publicKey: hex(32),
        power: z.string().regex(/^[1-9][0-9]{0,17}$/, 'expected a positive integer as a decimal string'),
      }),
    )
    .min(1),
  /** The application: "kv" (default) or "execution" (appState is then the execution genesis). */
  app: z.enum(['kv', 'execution']).optional(),
  appState: z.record(z.string(), z.unknown()),
});

const ms = z.number().int().nonnegative();
const timeoutsSchema = z.object({
  /** Wait for a proposal in round 0; grows by proposeDeltaMs per round. */
  proposeMs: ms,
  proposeDeltaMs: ms,
  prevoteMs: ms,
  prevoteDeltaMs: ms,
  precommitMs: ms,
  precommitDeltaMs: ms,
  /** Wait after a commit before starting the next height: sets the block interval. */
  commitMs: ms,
});

const configSchema = z.object({
  chainId: z.string().min(1).max(64),
  moniker: z.string().min(1),
  p2p: z
    .object({
      host: z.string().min(1),
      port,
      /** "pubkey@host:port" (the peer must authenticate with that key) or "host:port". */
      persistentPeers: z.array(peerAddress),
      maxFrameBytes: z.number().int().positive().optional(),
      /** Per-peer limits after the handshake (default DEFAULT_PEER_LIMITS of @gridledger/p2p). */
      peerLimits: z
        .object({
          messagesPerSecond: z.number().positive(),
          messageBurst: z.number().positive(),
          bytesPerSecond: z.number().positive(),
          byteBurst: z.number().positive(),
        })
        .partial()
        .optional(),
      /** How long a peer beyond its limits is refused, ms (default 60,000). */
      peerBanMs: z.number().int().positive().optional(),
      /** Keepalive: a quiet connection is pinged every keepaliveIntervalMs (default 2,000). */
      keepaliveIntervalMs: z.number().int().positive().optional(),
      /** A connection that received nothing for keepaliveTimeoutMs is closed (default 10,000; ≥ 2 intervals). */
      keepaliveTimeoutMs: z.number().int().positive().optional(),
    })
    .refine(
      // The defaults are P2pNetwork's.
      (p) => (p.keepaliveTimeoutMs ?? 10_000) >= 2 * (p.keepaliveIntervalMs ?? 2_000),
      {
        path: ['keepaliveTimeoutMs'],
        message:
          'must be at least twice keepaliveIntervalMs (defaults: 10,000 and 2,000 ms): a live peer gets time to answer a ping',
      },
    ),
  rpc: z.object({ host: z.string().min(1), port }),
  /** Prometheus metrics at GET /metrics (off when absent; port 0: any free port). */
  metrics: z.object({ host: z.string().min(1), port }).optional(),
  consensus: timeoutsSchema,
  /**
   * Block-time bounds: a new proposal whose time is more than maxFutureMs ahead of, or maxPastMs behind,
   * this validator's clock gets a nil prevote (default 5,000 ms each; docs/node-and-p2p.md "Block time").
   */
  blockTime: z
    .object({ maxFutureMs: z.number().int().min(100), maxPastMs: z.number().int().min(100) })
    .optional(),
  mempool: z.object({
    maxTxs: z.number().int().positive(),
    maxBytes: z.number().int().positive(),
    maxTxBytes: z.number().int().positive(),
  }),
  /** Largest total bytes of transactions in one block. */
  maxBlockTxBytes: z.number().int().positive(),
  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    file: z.string().optional(),
  }),
});

/** The genesis document shared by every node of a network. */
export type Genesis = z.infer<typeof genesisSchema>;
/** A node's `config.json`. */
export type NodeConfig = z.infer<typeof configSchema>;
/** Consensus timeouts in milliseconds. */
export type ConsensusTimeouts = z.infer<typeof timeoutsSchema>;

/** Default timeouts (the consensus package's): a block about every second, a few seconds per failed round. */
export const DEFAULT_TIMEOUTS: ConsensusTimeouts = { ...CONSENSUS_DEFAULT_TIMEOUTS };

/** A loaded home folder. */
export interface Home {
  dir: string;
  config: NodeConfig;
  genesis: Genesis;
  nodeKey: Ed25519KeyPair;
  /** The database folder. */
  dataDir: string;
}

/** Options of {@link initNetwork}. */
export interface InitOptions {
  validators: number;
  outDir: string;
  chainId?: string;
  /**
   * The Ethereum chain id (EIP-155). Default: the chain id when that is a decimal integer, otherwise a
   * random one ({@link randomEthChainId}), so that no two networks share it by default.
   */
  ethChainId?: bigint;
  basePort?: number;
  host?: string;
  timeouts?: Partial<ConsensusTimeouts>;
  /** Genesis time (default now). */
  genesisTime?: Date;
  logLevel?: NodeConfig['log']['level'];
  /** The application named in genesis (default kv) and its genesis state (default {}). */
  app?: 'kv' | 'execution';
  appState?: Record<string, unknown>;
  /** Mempool limits (default 10,000 transactions, 32 MiB, 64 KiB per transaction). */
  mempool?: Partial<NodeConfig['mempool']>;
}

/** Paths written by {@link initNetwork}. */
export interface InitResult {
  genesisPath: string;
  /** The chain id and the Ethereum chain id (decimal) written into genesis. */
  chainId: string;
  ethChainId: string;
  homes: { dir: string; moniker: string; p2pPort: number; rpcPort: number; publicKey: string }[];
}

/** True when `dir` does not exist or is empty. */
export function isEmptyDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

/**
 * Writes `outDir/genesis.json` and one home per validator, `outDir/node0..node{N-1}`; node k listens
 * on base + 2k (p2p) and base + 2k + 1 (JSON-RPC), and lists every other node as a persistent peer
 * `pubkey@host:port` (the peer must authenticate with that key).
 * Refuses a non-empty folder so that no key is ever overwritten.
 */
export function initNetwork(opts: InitOptions): InitResult {
  const n = opts.validators;
  if (!Number.isInteger(n) || n < 1 || n > 100)
    throw new InputError(`--validators: expected 1..100, got ${n}`);
  const base = opts.basePort ?? DEFAULT_BASE_PORT;
  if (!Number.isInteger(base) || base < 1 || base + 2 * n > 65535) {
    throw new InputError(`--base-port: expected a port such that base + ${2 * n} <= 65535, got ${base}`);
  }
  const chainId = opts.chainId ?? DEFAULT_CHAIN_ID;
  if (chainId.length === 0 || Buffer.byteLength(chainId) > 64 || !/^[\x21-\x7e]+$/.test(chainId)) {
    throw new InputError(
      `--chain-id: expected 1..64 printable ASCII characters without spaces, got "${chainId}"`,
    );
  }
  const ethChainId = chooseEthChainId(chainId, opts.ethChainId);
  const out = resolve(opts.outDir);
  if (!isEmptyDir(out))
    throw new InputError(`${out} is not empty: refusing to overwrite an existing network`);
  const host = opts.host ?? '127.0.0.1';
  const keys = Array.from({ length: n }, () => ed25519KeyPair());
  const genesis: Genesis = {
    chainId,
    ethChainId: ethChainId.toString(),
    genesisTime: (opts.genesisTime ?? new Date()).toISOString(),
    validators: keys.map((k, i) => ({ name: `node${i}`, publicKey: toHex(k.publicKey), power: '10' })),
    ...(opts.app ? { app: opts.app } : {}),
    appState: opts.appState ?? {},
  };
  mkdirSync(out, { recursive: true });
  const genesisPath = join(out, 'genesis.json');
  writeJson(genesisPath, genesis);
  const homes: InitResult['homes'] = [];
  for (let k = 0; k < n; k++) {
    const dir = join(out, `node${k}`);
    mkdirSync(join(dir, 'data'), { recursive: true });
    const config: NodeConfig = {
      chainId,
      moniker: `node${k}`,
      p2p: {
        host,
        port: base + 2 * k,
        persistentPeers: Array.from({ length: n }, (_, j) => j)
          .filter((j) => j !== k)
          .map((j) => `${toHex(keys[j]!.publicKey).slice(2)}@${host}:${base + 2 * j}`),
      },
      rpc: { host, port: base + 2 * k + 1 },
      consensus: { ...DEFAULT_TIMEOUTS, ...opts.timeouts },
      blockTime: { maxFutureMs: DEFAULT_MAX_FUTURE_BLOCK_TIME_MS, maxPastMs: DEFAULT_MAX_PAST_BLOCK_TIME_MS },
      mempool: { maxTxs: 10_000, maxBytes: 32 * 1024 * 1024, maxTxBytes: 64 * 1024, ...opts.mempool },
      maxBlockTxBytes: 1024 * 1024,
      log: { level: opts.logLevel ?? 'info' },
    };
    writeJson(join(dir, 'config.json'), config);
    writeJson(join(dir, 'genesis.json'), genesis);
    saveNodeKey(dir, keys[k]!);
    homes.push({
      dir,
      moniker: config.moniker,
      p2pPort: config.p2p.port,
      rpcPort: config.rpc.port,
      publicKey: toHex(keys[k]!.publicKey),
    });
  }
  return { genesisPath, chainId, ethChainId: genesis.ethChainId, homes };
}

/**
 * The Ethereum chain id of a new network: `ethChainId` when given; otherwise the chain id when it is a
 * decimal integer (`gridledger init --chain-id 7777`); otherwise a random one. Throws an
 * {@link InputError} when both are numbers and differ, or `ethChainId` is out of range.
 * @example chooseEthChainId('7777', undefined) // 7777n
 */
export function chooseEthChainId(chainId: string, ethChainId: bigint | undefined): bigint {
  const fromName = /^[0-9]{1,16}$/.test(chainId) ? parseEthChainId(chainId, '--chain-id') : undefined;
  if (ethChainId === undefined) return fromName ?? randomEthChainId();
  const id = parseEthChainId(ethChainId, '--eth-chain-id');
  if (fromName !== undefined && fromName !== id)
    throw new InputError(
      `--eth-chain-id ${id} differs from the numeric --chain-id ${chainId}: give one of them`,
    );
  return id;
}

/** Writes `node_key.json` readable by the owner only (0600). */
export function saveNodeKey(dir: string, key: Ed25519KeyPair): void {
  const path = join(dir, 'node_key.json');
  writeFileSync(
    path,
    `${JSON.stringify({ type: 'ed25519', publicKey: toHex(key.publicKey), secretKey: toHex(key.secretKey) }, null, 2)}\n`,
    {
      mode: 0o600,
    },
  );
  chmodSync(path, 0o600);
}

/** Loads and validates a home folder; throws {@link InputError} naming the file and field on any problem. */
export function loadHome(dir: string): Home {
  const home = resolve(dir);
  if (!existsSync(join(home, 'config.json'))) {
    throw new InputError(
      `${home} is not a node home: config.json is missing (create one with "gridledger init")`,
    );
  }
  const config = parseFile(join(home, 'config.json'), configSchema);
  const genesis = parseFile(join(home, 'genesis.json'), genesisSchema);
  const keyFile = parseFile(
    join(home, 'node_key.json'),
    z.object({ type: z.literal('ed25519'), publicKey: hex(32), secretKey: hex(32) }),
  );
  const nodeKey = ed25519KeyPair(fromHex(keyFile.secretKey));
  if (toHex(nodeKey.publicKey) !== keyFile.publicKey.toLowerCase()) {
    throw new InputError(`${join(home, 'node_key.json')}: publicKey does not match secretKey`);
  }
  if (config.chainId !== genesis.chainId) {
    throw new InputError(
      `${join(home, 'config.json')}: chainId "${config.chainId}" differs from genesis "${genesis.chainId}"`,
    );
  }
  const keys = new Set<string>();
  for (const v of genesis.validators) {
    const k = v.publicKey.toLowerCase();
    if (keys.has(k))
      throw new InputError(`${join(home, 'genesis.json')}: validator ${v.publicKey} listed twice`);
    keys.add(k);
  }
  const logFile = config.log.file === undefined ? undefined : resolve(home, config.log.file);
  return {
    dir: home,
    config: { ...config, log: { ...config.log, ...(logFile ? { file: logFile } : {}) } },
    genesis,
    nodeKey,
    dataDir: join(home, 'data'),
  };
}

/** Loads only the genesis document of a network (for tools that need no key). */
export function loadGenesis(path: string): Genesis {
  return parseFile(path, genesisSchema);
}

function parseFile<T>(path: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new InputError(
      e.code === 'ENOENT' ? `${path} is missing` : `${path}: not valid JSON (${e.message})`,
    );
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InputError(`${path}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return r.data;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
