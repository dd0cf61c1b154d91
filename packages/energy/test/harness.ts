// Test harness: an in-process ExecutionApp with the energy extension, deterministic viem accounts, signed
// transactions with per-account nonces, blocks at chosen timestamps, views through staticCall, revert
// reasons from receipts, and the energy invariants checked after every block.
import {
  type Address,
  CASH_ADDRESS,
  ExecutionApp,
  type ExecutionGenesis,
  type JournaledState,
  type RoleName,
} from '@gridledger/execution';
import {
  type Abi,
  decodeErrorResult,
  decodeFunctionResult,
  encodeFunctionData,
  type Hex,
  hexToBytes,
  keccak256,
  parseAbi,
  toHex,
} from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import {
  checkEnergyInvariants,
  energyExtension,
  type MarketConfig,
  type NetworkJson,
  type NetworkJsonBranch,
  READING_TYPES,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  type Reading,
  readingDomain,
} from '../src/index.ts';

export const CHAIN_ID = 1337n;

export type TestAccount = PrivateKeyAccount & { addr: Address };

/** A deterministic account named `name`. */
export function account(name: string): TestAccount {
  const a = privateKeyToAccount(keccak256(toHex(`gridledger energy test ${name}`)));
  return Object.assign(a, { addr: a.address.toLowerCase() as Address });
}

const ERROR_ABI = parseAbi(['error Error(string)']);

/** A chain driver. */
export class Chain {
  readonly nonces = new Map<Address, number>();
  state!: JournaledState;
  height = 0n;
  invariantFailures: string[] = [];
  cashSupply: bigint | undefined;
  /** Gas used by each executed transaction, by function selector. */
  readonly gasBySelector = new Map<string, bigint[]>();

  /** A second app fed the same blocks: every block's app hash must match (determinism). */
  mirror: ExecutionApp | undefined;

  readonly app: ExecutionApp;
  readonly config: MarketConfig;

  private constructor(app: ExecutionApp, config: MarketConfig) {
    this.app = app;
    this.config = config;
  }

  static async start(genesis: ExecutionGenesis, config: MarketConfig): Promise<Chain> {
    const ext = energyExtension(config);
    let captured: JournaledState | undefined;
    const wrapped = {
      ...ext,
      genesis: (state: JournaledState, modules: Parameters<NonNullable<typeof ext.genesis>>[1]) => {
        captured = state;
        ext.genesis?.(state, modules);
      },
    };
    const app = await ExecutionApp.load({ chainId: CHAIN_ID, genesis, extensions: [wrapped] });
    const c = new Chain(app, config);
    c.state = captured!;
    c.mirror = await ExecutionApp.load({ chainId: CHAIN_ID, genesis, extensions: [energyExtension(config)] });
    return c;
  }

  /** Signs a call from `who` with its next nonce. */
  async tx(
    who: TestAccount,
    to: Address,
    abi: Abi,
    functionName: string,
    args: readonly unknown[],
    gas = 5_000_000n,
  ) {
    const nonce = this.nonces.get(who.addr) ?? 0;
    this.nonces.set(who.addr, nonce + 1);
    const data = encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0]);
    const signed = await who.signTransaction({
      type: 'eip1559',
      chainId: Number(CHAIN_ID),
      nonce,
      gas,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
      to,
      data,
    });
    return hexToBytes(signed);
  }

  /**
   * The registration of a test grid as signed transactions, in this order: the network (`registerNetwork`
   * by the grid operator), each participant at its buses (`registerParticipant` by the admin), each meter
   * (`registerMeter` by the grid operator: id, signing key, bus, owner, capacity in W).
   */
  async registrationTxs(
    operator: TestAccount,
    admin: TestAccount,
    network: NetworkJson,
    participants: readonly (readonly [TestAccount, bigint[]])[],
    meters: readonly {
      id: bigint;
      key: TestAccount;
      bus: bigint;
      owner: TestAccount;
      capacityW: bigint;
    }[] = [],
  ): Promise<Uint8Array[]> {
    const txs = [
      await this.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(network)]),
    ];
    for (const [who, buses] of participants)
      txs.push(
        await this.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [who.addr, buses]),
      );
    for (const m of meters)
      txs.push(
        await this.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
          m.id,
          m.key.addr,
          m.bus,
          m.owner.addr,
          m.capacityW,
        ]),
      );
    return txs;
  }

  /** Executes and commits a block; checks the invariants; returns each tx's outcome with its revert reason. */
  async block(timeMs: bigint, txs: Uint8Array[] = []) {
    this.height++;
    const res = await this.app.finalizeBlock({
      height: this.height,
      timeMs,
      proposer: new Uint8Array(32),
      txs,
    });
    await this.app.commit(this.height);
    if (this.mirror !== undefined) {
      const req = { height: this.height, timeMs, proposer: new Uint8Array(32), txs };
      const m = await this.mirror.finalizeBlock(req);
      await this.mirror.commit(this.height);
      if (toHex(m.appHash) !== toHex(res.appHash)) {
        this.invariantFailures.push(`block ${this.height}: app hash differs between two apps`);
      }
    }
    const outcomes = [];
    for (const raw of txs) {
      const d = this.app.decode(raw);
      if (!d.ok) throw new Error(d.reason);
      const r = await this.app.loadReceipt(d.tx.hash);
      let reason: string | undefined;
      if (r?.revertData?.startsWith('0x08c379a0')) {
        reason = decodeErrorResult({ abi: ERROR_ABI, data: r.revertData }).args[0] as string;
      }
      if (r !== undefined) {
        const sel = r.raw === undefined ? '' : d.tx.data.length >= 4 ? toHex(d.tx.data.subarray(0, 4)) : '0x';
        this.gasBySelector.set(sel, [...(this.gasBySelector.get(sel) ?? []), r.gasUsed]);
      }
      outcomes.push({ ok: r?.status === 1, reason, error: r?.error, revertData: r?.revertData });
    }
    const failures = checkEnergyInvariants(this.state, { firstInterval: this.config.firstInterval });
    // No issuer acts in these scenarios: the cash supply never changes.
    const supply = this.state.get(`${CASH_ADDRESS}:supply`);
    this.cashSupply ??= supply;
    if (supply !== this.cashSupply) failures.push(`cash supply changed from ${this.cashSupply} to ${supply}`);
    if (failures.length > 0) this.invariantFailures.push(`block ${this.height}: ${failures.join('; ')}`);
    return { outcomes, txResults: res.txResults, record: await this.app.loadBlock(this.height) };
  }

  /** A view call. */
  view<T = unknown>(to: Address, abi: Abi, functionName: string, args: readonly unknown[] = []): T {
    const data = encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0]);
    const out = this.app.staticCall({ to, data: hexToBytes(data) });
    if (!out.ok) throw new Error(`view ${functionName} reverted ${out.revertData}`);
    return decodeFunctionResult({ abi, functionName, data: out.returnData as Hex } as Parameters<
      typeof decodeFunctionResult
    >[0]) as T;
  }

  /** Every state entry except account nonces (what a rejected transaction must leave unchanged). */
  snapshotExceptNonces(): string {
    return JSON.stringify(
      this.state.entries().filter(([k]) => !k.includes(':nonce:')),
      (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
    );
  }
}

/** A genesis with roles and cash. */
export function buildGenesis(
  admin: TestAccount,
  accounts: { who: TestAccount; roles: RoleName[]; cash?: bigint }[],
): ExecutionGenesis {
  return {
    admin: admin.addr,
    accounts: accounts.map((a) => ({ address: a.who.addr, roles: a.roles })),
    cash: accounts.filter((a) => (a.cash ?? 0n) > 0n).map((a) => ({ address: a.who.addr, amount: a.cash! })),
  };
}

/** One hour, ms: the interval length of most energy tests. */
export const HOUR = 3_600_000n;
/** The connection capacity the tests register meters with, W (100 GW: no test reading comes near it). */
export const TEST_METER_CAPACITY_W = 100_000_000_000n;

/**
 * A test market configuration: hour intervals, no gate lead, readings for an hour, upstream at bus 1
 * run by the grid operator (100 / 1 $/MWh, 1 GWh), real-time prices within [0, 200] $/MWh with δ = 5,
 * a 1 $ non-reporting penalty, true-up for an hour, no damages or buy margin, 2 orders of 2 steps;
 * `over` replaces any field (`upstream` and `imbalance` field by field).
 */
export function testMarketConfig(
  operator: Address,
  over: Omit<Partial<MarketConfig>, 'upstream' | 'imbalance'> & {
    upstream?: Partial<MarketConfig['upstream']>;
    imbalance?: Partial<MarketConfig['imbalance']>;
  } = {},
): MarketConfig {
  const usd = 1_000_000n;
  const { upstream, imbalance, ...rest } = over;
  return {
    chainId: CHAIN_ID,
    gridOperator: operator,
    intervalMs: HOUR,
    gateLeadMs: 0n,
    settlementDelayMs: HOUR,
    firstInterval: 0n,
    maxOrdersPerAccount: 2,
    maxStepsPerOrder: 2,
    ...rest,
    upstream: {
      bus: 1,
      account: operator,
      importPriceMicrosPerMWh: 100n * usd,
      exportPriceMicrosPerMWh: 1n * usd,
      capacityWh: 10n ** 9n,
      ...upstream,
    },
    imbalance: {
      penaltyMicrosPerMWh: 5n * usd,
      priceCapMicrosPerMWh: 200n * usd,
      priceFloorMicrosPerMWh: 0n,
      nonReportingPenaltyMicros: 1n * usd,
      trueUpDelayMs: HOUR,
      liquidatedDamagesMicrosPerMWh: 0n,
      balanceToleranceWh: 1_000n,
      ...imbalance,
    },
  };
}

/** An in-service lossless line of reactance xPu (p.u.) and limit rateAMw (MW, 0 = unlimited), as registry JSON. */
export function line(index: number, from: number, to: number, xPu: number, rateAMw = 0): NetworkJsonBranch {
  return { index, from, to, xPu, rateAMw, tap: 0, shiftDeg: 0, status: 1, angminDeg: -360, angmaxDeg: 360 };
}

/**
 * Two buses (1 the reference, 2 a load bus) joined by one in-service line of reactance 0.1 p.u. and no
 * limit, as registry JSON (`registerNetwork` takes its JSON.stringify); `over`: another base, or a
 * resistance on the line (AC pricing). Shared by the energy, CLI and fault tests that need a small grid.
 */
export function twoBusNetwork(name: string, over: { baseMVA?: number; rPu?: number } = {}): NetworkJson {
  const { index, from, to, xPu, ...rest } = line(1, 1, 2, 0.1);
  return {
    name,
    baseMVA: over.baseMVA ?? 100,
    buses: [
      { id: 1, type: 3 },
      { id: 2, type: 1 },
    ],
    branches: [{ index, from, to, xPu, ...(over.rPu === undefined ? {} : { rPu: over.rPu }), ...rest }],
  };
}

/** A meter key's EIP-712 signature of a reading, in the reading domain of chain `chainId`. */
export function signReading(key: PrivateKeyAccount, reading: Reading, chainId = CHAIN_ID): Promise<Hex> {
  return key.signTypedData({
    domain: readingDomain(chainId),
    types: READING_TYPES,
    primaryType: 'Reading',
    message: reading,
  });
}
