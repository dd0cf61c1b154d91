// The Ethereum chain id is chosen when a network is created and read from genesis afterwards: two
// networks made with the defaults do not share it (it used to be 4 bytes of sha256 of the chain name,
// the same for every "gridledger-local" network), and every consumer (the execution app's EIP-155
// check, eth_chainId, the market's EIP-712 domain) takes genesis' number.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDevAccounts } from '@gridledger/execution';
import { NodeStore } from '@gridledger/store';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNodeApp } from './app-select.ts';
import { defaultDevMarketConfig, initDevNetwork } from './dev-network.ts';
import { genesisEthChainId } from './genesis.ts';
import { initNetwork, loadGenesis, loadHome } from './home.ts';
import { nodeRpcBackend } from './rpc-backend.ts';

const root = mkdtempSync(join(tmpdir(), 'gl-chainid-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let k = 0;
const fresh = () => join(root, `net${k++}`);

describe('Ethereum chain id chosen at init', () => {
  it('two networks made with the default chain name get different chain ids, written into genesis', () => {
    const a = initNetwork({ validators: 1, outDir: fresh() });
    const b = initNetwork({ validators: 1, outDir: fresh() });
    const ga = loadGenesis(a.genesisPath);
    const gb = loadGenesis(b.genesisPath);
    expect(ga.chainId).toBe(gb.chainId);
    expect(ga.ethChainId).not.toBe(gb.ethChainId);
    expect(BigInt(ga.ethChainId)).toBeGreaterThanOrEqual(1_000_000n);
    expect(BigInt(ga.ethChainId)).toBeLessThan(2n ** 31n);
    expect(a.ethChainId).toBe(ga.ethChainId);
  });

  it('takes a given chain id, or a numeric chain name, and refuses conflicting or bad ones', () => {
    expect(
      loadGenesis(initNetwork({ validators: 1, outDir: fresh(), ethChainId: 777n }).genesisPath).ethChainId,
    ).toBe('777');
    expect(
      loadGenesis(initNetwork({ validators: 1, outDir: fresh(), chainId: '31337' }).genesisPath).ethChainId,
    ).toBe('31337');
    const out = fresh();
    expect(() => initNetwork({ validators: 1, outDir: out, chainId: '5', ethChainId: 6n })).toThrow(
      /differs from the numeric --chain-id 5/,
    );
    expect(() => initNetwork({ validators: 1, outDir: out, ethChainId: 0n })).toThrow(
      /--eth-chain-id: expected an integer chain id in 1\.\./,
    );
    expect(() => initNetwork({ validators: 1, outDir: out, ethChainId: 2n ** 53n })).toThrow(
      /--eth-chain-id/,
    );
    expect(() => loadGenesis(join(out, 'genesis.json'))).toThrow(/missing/); // nothing was written
  });

  it('refuses a genesis without ethChainId (made before it existed) with what to do', () => {
    const r = initNetwork({ validators: 1, outDir: fresh() });
    const path = join(r.homes[0]!.dir, 'genesis.json');
    const { ethChainId: _, ...old } = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify(old));
    expect(() => loadHome(r.homes[0]!.dir)).toThrow(/genesis\.json: ethChainId: missing.*gridledger init/);
    writeFileSync(path, JSON.stringify({ ...old, ethChainId: '0x10' }));
    expect(() => loadHome(r.homes[0]!.dir)).toThrow(/genesis\.json: ethChainId: expected a decimal integer/);
  });

  it("a dev network signs the market domain, EIP-155 checks and eth_chainId with genesis' number", async () => {
    const r = initDevNetwork({ validators: 1, outDir: fresh(), participants: 1 });
    const home = loadHome(r.homes[0]!.dir);
    const id = genesisEthChainId(home.genesis);
    expect(r.energy!.chainId).toBe(id);
    const store = await NodeStore.open(join(home.dataDir, 'db'));
    try {
      const loaded = await loadNodeApp(home, store);
      try {
        expect(loaded.execution!.chainId).toBe(id);
        expect(loaded.energy!.chainId).toBe(id);
        const backend = nodeRpcBackend({ home, store, execution: loaded.execution } as never);
        expect(backend.ethChainId).toBe(id);
      } finally {
        await loaded.close();
      }
    } finally {
      await store.close();
    }
  });

  it("refuses a market whose chain id is not the network's", async () => {
    const operator = buildDevAccounts().accounts.find((a) => a.role === 'grid-operator')!.address;
    const energy = defaultDevMarketConfig(9n, operator, BigInt(Date.now()));
    expect(() => initDevNetwork({ validators: 1, outDir: fresh(), energy, ethChainId: 10n })).toThrow(
      /energy\.chainId 9 differs from ethChainId 10/,
    );
    const r = initDevNetwork({ validators: 1, outDir: fresh(), energy });
    expect(loadGenesis(r.genesisPath).ethChainId).toBe('9');
    // A genesis edited by hand so that the two disagree does not load.
    const path = join(r.homes[0]!.dir, 'genesis.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), ethChainId: '10' }));
    const home = loadHome(r.homes[0]!.dir);
    const store = await NodeStore.open(join(home.dataDir, 'db'));
    try {
      await expect(loadNodeApp(home, store)).rejects.toThrow(
        /appState\.energy\.chainId 9 differs from ethChainId 10/,
      );
    } finally {
      await store.close();
    }
  });
});
