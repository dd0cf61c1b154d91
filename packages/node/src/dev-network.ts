// `gridledger init --dev`: a local network that runs the execution app with development accounts and the
// energy market. Writes what initNetwork writes, with `"app": "execution"` and the dev accounts' genesis
// in genesis.json (plus `energy`, the market configuration), DIR/dev-accounts.json (private keys from a
// public seed: development only) and DIR/addresses.json (module addresses by name, energy modules
// included). Each participant also holds one energy promise from genesis (token id k for participant-k)
// to try ERC-721 tools on. Callers (the simulator, tests) may add accounts and choose the market
// configuration; the grid network, meters and participants' buses are registered by transactions.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@gridledger/base';
import {
  checkMarketConfig,
  ENERGY_ADDRESSES,
  encodeMarketConfigJson,
  type MarketConfig,
  marketTimeMs,
} from '@gridledger/energy';
import {
  type Address,
  buildDevAccounts,
  encodeGenesisJson,
  type RoleName,
  writeDevAccounts,
} from '@gridledger/execution';
import {
  chooseEthChainId,
  DEFAULT_CHAIN_ID,
  type InitOptions,
  type InitResult,
  initNetwork,
} from './home.ts';

/** An account added to the dev genesis beside the dev accounts. */
export interface ExtraAccount {
  address: Address;
  roles: RoleName[];
  /** Cash at genesis, micro-units (default 0). */
  cash?: bigint;
}

/** Options of {@link initDevNetwork}. */
export interface DevInitOptions extends Omit<InitOptions, 'app' | 'appState'> {
  /** Number of funded participant accounts (default 4). */
  participants?: number;
  /**
   * The energy market: a configuration, `false` for none, or omitted for {@link defaultDevMarketConfig}
   * (the grid operator is the dev grid-operator). A given configuration's chain id is the network's
   * Ethereum chain id (it must equal `ethChainId` when that is given too).
   */
  energy?: MarketConfig | false;
  /** More accounts registered (and funded) at genesis, e.g. a simulation's devices. */
  extraAccounts?: ExtraAccount[];
}

/** What {@link initDevNetwork} wrote. */
export interface DevInitResult extends InitResult {
  devAccountsPath: string;
  addressesPath: string;
  /** The market configuration in genesis, if any. */
  energy: MarketConfig | undefined;
}

/**
 * The development market: 5-minute intervals on block time starting with the first after genesis, gate 1 minute before the interval, readings
 * until 10 minutes after it, upstream at bus 1 selling at 100 $/MWh and buying at 20 $/MWh (10 MWh per
 * interval), real-time prices within [0, 200] $/MWh with a 5 $/MWh penalty band, 1 $ per missing reading,
 * true-up for 10 minutes, damages 20 $/MWh, 8 orders per account and interval, 16 steps per order, steps
 * of at least 1 kWh, sealed bids (reveal window 30 s after the gate, 10 % of an unrevealed deposit forfeited).
 * @example defaultDevMarketConfig(1337n, gridOperator)
 */
export function defaultDevMarketConfig(
  ethChainId: bigint,
  gridOperator: Address,
  genesisTimeMs: bigint,
): MarketConfig {
  const usd = (d: number) => BigInt(d) * 1_000_000n;
  return checkMarketConfig({
    chainId: ethChainId,
    gridOperator,
    intervalMs: 300_000n,
    gateLeadMs: 60_000n,
    settlementDelayMs: 600_000n,
    firstInterval: genesisTimeMs / 300_000n + 1n,
    upstream: {
      bus: 1,
      account: gridOperator,
      importPriceMicrosPerMWh: usd(100),
      exportPriceMicrosPerMWh: usd(20),
      capacityWh: 10_000_000n,
    },
    imbalance: {
      penaltyMicrosPerMWh: usd(5),
      priceCapMicrosPerMWh: usd(200),
      priceFloorMicrosPerMWh: 0n,
      nonReportingPenaltyMicros: usd(1),
      trueUpDelayMs: 600_000n,
      liquidatedDamagesMicrosPerMWh: usd(20),
      balanceToleranceWh: 1_000n,
    },
    maxOrdersPerAccount: 8,
    maxStepsPerOrder: 16,
    minStepWh: 1_000n,
    ordersCappedByMeters: true,
    sealed: { revealWindowMs: 30_000n, forfeitBps: 1_000n },
  });
}

/**
 * Initialises a dev network: execution app, dev accounts registered and funded at genesis, the energy market.
 * @example initDevNetwork({ validators: 4, outDir: 'net' }); // net/dev-accounts.json, net/addresses.json
 */
export function initDevNetwork(opts: DevInitOptions): DevInitResult {
  const devOptions = opts.participants === undefined ? {} : { participants: opts.participants };
  const { accounts, genesis } = buildDevAccounts(devOptions);
  // One energy promise (ERC-721) per participant, token id k for participant-k, to try ERC-721 tools on.
  genesis.promises = accounts
    .filter((a) => a.role === 'participant')
    .map((a, i) => ({ to: a.address, tokenId: BigInt(i + 1) }));
  for (const x of opts.extraAccounts ?? []) {
    const address = x.address.toLowerCase() as Address;
    genesis.accounts.push({ address, roles: x.roles });
    if (x.cash !== undefined && x.cash > 0n) genesis.cash.push({ address, amount: x.cash });
  }
  const gridOperator = accounts.find((a) => a.role === 'grid-operator')!.address;
  const genesisTime = opts.genesisTime ?? new Date();
  const genesisMs = BigInt(genesisTime.getTime());
  // The Ethereum chain id: given, or the given market's, or chosen as initNetwork would (random by default).
  const given = opts.ethChainId ?? (opts.energy ? opts.energy.chainId : undefined);
  if (opts.energy && opts.ethChainId !== undefined && opts.energy.chainId !== opts.ethChainId) {
    throw new InputError(
      `energy.chainId ${opts.energy.chainId} differs from ethChainId ${opts.ethChainId}: the market's EIP-712 domain must name the network's chain id`,
    );
  }
  const ethChainId = chooseEthChainId(opts.chainId ?? DEFAULT_CHAIN_ID, given);
  const energy =
    opts.energy === false
      ? undefined
      : (opts.energy ?? defaultDevMarketConfig(ethChainId, gridOperator, genesisMs));
  if (energy) {
    // The first block clears every interval from firstInterval up to its market time, one by one.
    const atGenesis = marketTimeMs(energy, genesisMs) / energy.intervalMs;
    if (energy.firstInterval + 10n < atGenesis) {
      throw new InputError(
        `energy.firstInterval ${energy.firstInterval} is ${atGenesis - energy.firstInterval} intervals before the market time at genesis (interval ${atGenesis}): set it to at least ${atGenesis} (the first block would clear every interval in between)`,
      );
    }
  }
  const { participants: _p, energy: _e, extraAccounts: _x, ...init } = opts;
  const appState: Record<string, unknown> = {
    ...encodeGenesisJson(genesis),
    ...(energy ? { energy: encodeMarketConfigJson(energy) } : {}),
  };
  const r = initNetwork({ ...init, ethChainId, genesisTime, app: 'execution', appState });
  const dir = join(r.genesisPath, '..');
  const written = writeDevAccounts(dir, devOptions);
  if (energy) {
    // addresses.json lists the energy modules too.
    const addresses = JSON.parse(readFileSync(written.files.addresses, 'utf8')) as Record<string, string>;
    writeFileSync(
      written.files.addresses,
      `${JSON.stringify({ ...addresses, ...ENERGY_ADDRESSES }, null, 2)}\n`,
    );
  }
  return {
    ...r,
    devAccountsPath: written.files.devAccounts,
    addressesPath: written.files.addresses,
    energy,
  };
}
