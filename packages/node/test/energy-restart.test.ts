// Durability: the energy state is committed through the node store like any module state. A node that
// stops after the clearing block and restarts from its store reaches the same app hash, and settles the
// interval to the same state as a node that never stopped. Here, above both the energy modules and the
// store (moved from packages/energy/test: the execution layer does not import the store).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import {
  energyExtension,
  MARKET_ABI,
  MARKET_ADDRESS,
  METERS_ABI,
  METERS_ADDRESS,
  READING_TYPES,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  readingDomain,
} from '@gridledger/energy';
import { CREDITS_ADDRESS, ExecutionApp } from '@gridledger/execution';
import { NodeStore } from '@gridledger/store';
import { encodeFunctionData, hexToBytes } from 'viem';
import { afterEach, describe, expect, it } from 'vitest';
import {
  account,
  buildGenesis,
  CHAIN_ID,
  line,
  type TestAccount,
  testMarketConfig,
} from '../../energy/test/harness.ts';

const HOUR = 3_600_000n;
const K = 3n;
const admin = account('d admin');
const operator = account('d operator');
const seller = account('d seller');
const buyer = account('d buyer');
const meter = account('d meter');
const config = testMarketConfig(operator.addr, {
  firstInterval: K,
  upstream: { importPriceMicrosPerMWh: 90_000_000n },
  imbalance: { shortfallPriceMicrosPerMWh: 100_000_000n, surplusPriceMicrosPerMWh: 5_000_000n },
});
const genesis = buildGenesis(admin, [
  { who: operator, roles: ['GRID_OPERATOR_ROLE'], cash: 10n ** 9n },
  { who: seller, roles: ['PARTICIPANT_ROLE'], cash: 10n ** 10n },
  { who: buyer, roles: ['PARTICIPANT_ROLE'], cash: 10n ** 10n },
]);
const NET = {
  name: 'two',
  baseMVA: 100,
  buses: [
    { id: 1, type: 3 },
    { id: 2, type: 1 },
  ],
  branches: [line(1, 1, 2, 0.1, 0)],
};

const nonces = new Map<string, number>();
async function tx(
  who: TestAccount,
  to: `0x${string}`,
  abi: Parameters<typeof encodeFunctionData>[0]['abi'],
  functionName: string,
  args: unknown[],
) {
  const nonce = nonces.get(who.addr) ?? 0;
  nonces.set(who.addr, nonce + 1);
  const data = encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0]);
  return hexToBytes(
    await who.signTransaction({
      type: 'eip1559',
      chainId: Number(CHAIN_ID),
      nonce,
      gas: 3_000_000n,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
      to,
      data,
    }),
  );
}

async function run(app: ExecutionApp, height: bigint, timeMs: bigint, txs: Uint8Array[], store?: NodeStore) {
  const r = await app.finalizeBlock({ height, timeMs, proposer: new Uint8Array(32), txs });
  if (store !== undefined) {
    await store.saveBlock(
      {
        height,
        hash: sha256(new Uint8Array([Number(height)])),
        block: new Uint8Array([1]),
        cert: new Uint8Array([2]),
      },
      app.pendingCommit(height),
    );
  }
  await app.commit(height);
  return toHex(r.appHash);
}

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('energy state across a restart', () => {
  it('restarts after clearing with the same root and settles like a node that never stopped', async () => {
    const reading = { meter: 7n, interval: K, importedWh: 0n, exportedWh: 4_000_000n };
    const blocks: [bigint, Uint8Array[]][] = [
      [
        1_000n,
        [
          await tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(NET)]),
          await tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
            7n,
            meter.addr,
            2n,
            seller.addr,
            100_000_000_000n,
          ]),
          await tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [seller.addr, [2n]]),
          await tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [buyer.addr, [1n]]),
        ],
      ],
      [
        2_000n,
        [
          await tx(seller, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
            K,
            2n,
            1,
            [{ energyWh: 5_000_000n, priceMicrosPerMWh: 10_000_000n }],
          ]),
          await tx(buyer, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
            K,
            1n,
            0,
            [{ energyWh: 8_000_000n, priceMicrosPerMWh: 95_000_000n }],
          ]),
        ],
      ],
      [K * HOUR, []],
      [
        (K + 1n) * HOUR,
        [
          await tx(buyer, METERS_ADDRESS, METERS_ABI, 'submitReadings', [
            [reading],
            [
              await meter.signTypedData({
                domain: readingDomain(CHAIN_ID),
                types: READING_TYPES,
                primaryType: 'Reading',
                message: reading,
              }),
            ],
          ]),
        ],
      ],
      [(K + 1n) * HOUR + 1n, []],
    ];
    // Reference node, in memory, never stops.
    const ref = await ExecutionApp.load({
      chainId: CHAIN_ID,
      genesis,
      extensions: [energyExtension(config)],
    });
    const refHashes: string[] = [];
    for (const [i, [t, txs]] of blocks.entries()) refHashes.push(await run(ref, BigInt(i + 1), t, txs));

    dir = mkdtempSync(join(tmpdir(), 'gl-energy-'));
    let store = await NodeStore.open(dir, { sync: false });
    let app = await ExecutionApp.load({
      chainId: CHAIN_ID,
      genesis,
      storage: store,
      extensions: [energyExtension(config)],
    });
    for (let i = 0; i < 3; i++)
      expect(await run(app, BigInt(i + 1), blocks[i]![0], blocks[i]![1], store)).toBe(refHashes[i]);
    await store.close();
    store = await NodeStore.open(dir);
    app = await ExecutionApp.load({
      chainId: CHAIN_ID,
      genesis,
      storage: store,
      extensions: [energyExtension(config)],
    });
    expect(toHex((await app.info()).appHash)).toBe(refHashes[2]);
    for (let i = 3; i < blocks.length; i++)
      expect(await run(app, BigInt(i + 1), blocks[i]![0], blocks[i]![1], store)).toBe(refHashes[i]);
    // The interval is settled (status 3) on both.
    const data = hexToBytes(
      encodeFunctionData({ abi: MARKET_ABI, functionName: 'intervalState', args: [K] }),
    );
    const out = app.staticCall({ to: MARKET_ADDRESS, data });
    expect(BigInt(out.returnData.slice(0, 66))).toBe(3n);
    // Credits for the metered 4 of the 5 MWh sold.
    expect(app.stateValue(`${CREDITS_ADDRESS}:supply`)).toBe(4_000_000n);
    await store.close();
  });
});
