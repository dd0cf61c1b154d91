// The ExecutionApp and its CommittedState persisted through the node store, the way the node runs them:
// disk and memory instances agree on every root and receipt, a restart resumes, and the commitment
// reloads to the same root. Moved from packages/execution/src/app.test.ts and commitment.test.ts: the
// execution layer does not import the store (protocol layer); the node, above both, composes them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import {
  ACCOUNTS_ABI,
  ACCOUNTS_ADDRESS,
  CASH_ADDRESS,
  CommittedState,
  ERC20_ABI,
  ERC20_ISSUER_ABI,
  ExecutionApp,
  verifySmtProof,
} from '@gridledger/execution';
import { NodeStore } from '@gridledger/store';
import { encodeFunctionData } from 'viem';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admin, alice, bob, genesis, issuer, mallory, signCall } from '../../execution/test/fixtures.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gl-exec-app-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const proposer = new Uint8Array(32);
const transfer = (to: `0x${string}`, v: bigint) =>
  encodeFunctionData({ abi: ERC20_ABI, functionName: 'transfer', args: [to, v] });

async function runBlock(app: ExecutionApp, height: bigint, txs: Uint8Array[], store?: NodeStore) {
  const res = await app.finalizeBlock({ height, timeMs: 1000n * height, proposer, txs });
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
  return res;
}

/** A fixed script of blocks: transfers, a revert, an out-of-gas call, admin and issuer actions. */
async function scriptBlocks(): Promise<Uint8Array[][]> {
  return [
    [
      await signCall(alice, CASH_ADDRESS, transfer(bob.addr, 100n), 0),
      await signCall(alice, CASH_ADDRESS, transfer(mallory.addr, 7n), 1),
      await signCall(bob, CASH_ADDRESS, transfer(alice.addr, 10_000n), 0),
    ],
    [
      await signCall(
        admin,
        ACCOUNTS_ADDRESS,
        encodeFunctionData({ abi: ACCOUNTS_ABI, functionName: 'register', args: [mallory.addr] }),
        0,
      ),
      await signCall(
        issuer,
        CASH_ADDRESS,
        encodeFunctionData({ abi: ERC20_ISSUER_ABI, functionName: 'mint', args: [mallory.addr, 5n] }),
        0,
        { legacy: true },
      ),
      await signCall(alice, CASH_ADDRESS, transfer(bob.addr, 1n), 2, { gas: 30_000n }),
    ],
    [await signCall(mallory, CASH_ADDRESS, transfer(bob.addr, 12n), 0)],
  ];
}

describe('ExecutionApp with the node store', () => {
  it('is deterministic and durable: disk and memory instances agree on every root and receipt, and a restart resumes', async () => {
    let store = await NodeStore.open(dir, { sync: false });
    let disk = await ExecutionApp.load({ chainId: 1337n, genesis, storage: store });
    const mem = await ExecutionApp.load({ chainId: 1337n, genesis });
    expect(await disk.info()).toEqual(await mem.info());
    const blocks = await scriptBlocks();
    const hashes: `0x${string}`[] = [];
    for (const [i, txs] of blocks.entries()) {
      const h = BigInt(i + 1);
      const a = await runBlock(disk, h, txs, store);
      const b = await runBlock(mem, h, txs);
      expect(toHex(a.appHash)).toBe(toHex(b.appHash));
      expect(a.txResults).toEqual(b.txResults);
      for (const tx of txs) {
        const d = disk.decode(tx);
        if (d.ok) hashes.push(d.tx.hash);
      }
    }
    for (const hash of hashes) expect(await disk.loadReceipt(hash)).toEqual(await mem.loadReceipt(hash));
    expect(await disk.loadBlock(3n)).toEqual(await mem.loadBlock(3n));
    // Mallory was registered and funded in block 2, so her block-3 transfer succeeded.
    expect((await mem.loadReceipt(hashes.at(-1)!))!.status).toBe(1);
    const info = await disk.info();
    await store.close();
    store = await NodeStore.open(dir);
    disk = await ExecutionApp.load({ chainId: 1337n, genesis, storage: store });
    expect(await disk.info()).toEqual(info);
    expect(disk.lastTimeMs).toBe(3000n);
    expect(await disk.loadReceipt(hashes[0]!)).toEqual(await mem.loadReceipt(hashes[0]!));
    const key = `${CASH_ADDRESS}:bal:${bob.addr}`;
    const { proof, root } = disk.prove(key);
    expect(proof.value).toBe(mem.stateValue(key));
    expect(verifySmtProof(root, proof)).toBe(true);
    expect(toHex(root)).toBe(toHex(info.appHash));
    await store.close();
  });
});

describe('CommittedState with the node store', () => {
  it('persists each block through the store batch and reloads to the same root', async () => {
    let store = await NodeStore.open(dir, { sync: false });
    let cs = await CommittedState.load(store.state);
    const roots: Uint8Array[] = [];
    for (let h = 1n; h <= 3n; h++) {
      for (let i = 0n; i < 20n; i++) cs.state.set(`m:bal:${(i * h) % 17n}`, i * h);
      cs.state.set('m:gone', h === 3n ? 0n : h);
      const { root, writes } = cs.finalize();
      await store.saveBlock(
        {
          height: h,
          hash: sha256(new Uint8Array([Number(h)])),
          block: new Uint8Array([1]),
          cert: new Uint8Array([2]),
        },
        { writes, appHash: root },
      );
      cs.commit();
      roots.push(root);
    }
    expect(new Set(roots.map((r) => Buffer.from(r).toString('hex'))).size).toBe(3);
    const before = cs.state.entries();
    await store.close();
    store = await NodeStore.open(dir);
    cs = await CommittedState.load(store.state);
    expect(cs.root()).toEqual(roots[2]);
    expect(cs.state.entries()).toEqual(before);
    expect(cs.state.get('m:gone')).toBe(0n);
    const p = cs.prove('m:bal:4');
    expect(p.value).toBe(cs.state.get('m:bal:4'));
    expect(verifySmtProof(roots[2]!, p)).toBe(true);
    await store.close();
  });
});
