// Bad input against running validator processes: garbage and malformed frames on the p2p port, a
// malformed proposal and votes signed by non-validators from an authenticated peer, oversized and
// malformed transactions, invalid JSON-RPC requests. Each is rejected with a clear error, nothing is
// stored, and the nodes keep committing blocks.
import { connect } from 'node:net';
import { join } from 'node:path';
import { toHex } from '@gridledger/base';
import { decodeBlock, encodeMessage, signEd25519, type Vote, voteSignBytes } from '@gridledger/consensus';
import { ed25519KeyPair } from '@gridledger/crypto';
import { P2pNetwork } from '@gridledger/p2p';
import { NodeStore } from '@gridledger/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHome } from '../src/index.ts';
import { sleep, TestNet } from './harness.ts';

const net = new TestNet(4);
const LIVE = [0, 1, 2]; // node3 stays down: its key is used by the test as an authenticated peer
const T = 120_000;

beforeAll(async () => {
  await net.init();
  await Promise.all(LIVE.map((k) => net.start(k)));
  await net.waitHeight(LIVE, 3n);
}, T);

afterAll(async () => {
  await net.destroy();
});

async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('bad input', () => {
  it(
    'garbage and oversized frames on the p2p port close that connection only',
    async () => {
      for (const bytes of [
        Buffer.from('GET / HTTP/1.1\r\n\r\n'),
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 1]),
        Buffer.from([0, 0, 0, 3, 0x99, 1, 2]),
      ]) {
        const s = connect({ host: '127.0.0.1', port: net.p2pPort(0) });
        s.on('error', () => {});
        s.resume();
        let closed = false;
        s.on('close', () => {
          closed = true;
        });
        s.write(bytes);
        await until(() => closed, 'connection closed by the node');
      }
      const status = await net.rpc(0, 'gl_status');
      expect(status.peers).toBe(2);
    },
    T,
  );

  it(
    'a malformed proposal and votes signed by non-validators are rejected and the sender dropped',
    async () => {
      const home3 = loadHome(net.home(3));
      const validators = new Set(home3.genesis.validators.map((v) => v.publicKey.toLowerCase()));
      const peer = new P2pNetwork({
        chainId: home3.genesis.chainId,
        nodeKey: home3.nodeKey,
        isAllowedPeer: (pk) => validators.has(toHex(pk)),
        port: 0,
        persistentPeers: [`127.0.0.1:${net.p2pPort(0)}`],
        backoffInitialMs: 50,
        backoffMaxMs: 200,
      });
      const node0 = home3.genesis.validators[0]!.publicKey.toLowerCase();
      let disconnects = 0;
      peer.onPeer((_id, ev) => {
        if (ev === 'disconnected') disconnects++;
      });
      await peer.start();
      try {
        const connected = () => peer.peers().some((p) => p.id === node0);
        await until(connected, 'authenticated to node0');
        const height = BigInt((await net.rpc(0, 'gl_status')).height) + 1n;

        /**
         * Sends `msg` until node0 drops us for the `n`th time. Sent again every 2 s: right after a reconnect
         * our side may count the channel up before node0's side has it, and a frame sent then is lost.
         */
        const sendUntilDropped = async (msg: Parameters<typeof peer.send>[1], n: number, what: string) => {
          const t0 = Date.now();
          while (disconnects < n) {
            if (Date.now() - t0 > 30_000) throw new Error(`timed out waiting for ${what}`);
            if (connected()) peer.send(node0, msg);
            const t1 = Date.now();
            while (disconnects < n && Date.now() - t1 < 2_000) await sleep(50);
          }
        };

        // 1. bytes that are not a consensus message
        await sendUntilDropped(
          { kind: 'proposal', data: new Uint8Array([1, 2, 3, 4, 5]) },
          1,
          'dropped for a malformed proposal',
        );
        await until(connected, 'reconnected');

        // 2. a vote claiming to be validator 1's, signed by a key outside the set
        const outsider = ed25519KeyPair(new Uint8Array(32).fill(77));
        const mkVote = (validatorIndex: number, secret: Uint8Array): Vote => {
          const base = { type: 'prevote' as const, height, round: 0, blockHash: new Uint8Array(32).fill(9) };
          return {
            ...base,
            validatorIndex,
            signature: signEd25519(voteSignBytes(home3.genesis.chainId, base), secret),
          };
        };
        await sendUntilDropped(
          { kind: 'vote', data: encodeMessage({ kind: 'vote', vote: mkVote(1, outsider.secretKey) }) },
          2,
          'dropped for a forged vote',
        );
        await until(connected, 'reconnected again');

        // 3. a vote from validator index 9 of a set of 4
        await sendUntilDropped(
          { kind: 'vote', data: encodeMessage({ kind: 'vote', vote: mkVote(9, outsider.secretKey) }) },
          3,
          'dropped for a vote from a non-validator index',
        );
      } finally {
        await peer.stop();
      }
      const log = net.log(0);
      expect(log).toMatch(/malformed proposal/);
      expect(log).toMatch(/invalid prevote signature of validator 1/);
      expect(log).toMatch(/validator index 9/);
    },
    T,
  );

  it(
    'oversized and malformed transactions are refused with a reason; nothing enters the mempool',
    async () => {
      const big = `k=${'x'.repeat(70 * 1024)}`;
      const r1 = await net.rpcRaw(0, {
        jsonrpc: '2.0',
        id: 1,
        method: 'gl_sendTx',
        params: [`0x${Buffer.from(big).toString('hex')}`],
      });
      expect(r1.json.error.code).toBe(-32000);
      expect(r1.json.error.message).toMatch(/too large/);
      const r2 = await net.rpcRaw(0, {
        jsonrpc: '2.0',
        id: 2,
        method: 'gl_sendTx',
        params: ['0x6e6f2d657175616c73'],
      }); // "no-equals"
      expect(r2.json.error.code).toBe(-32000);
      expect(r2.json.error.message).toMatch(/expected key=value/);
      const r3 = await net.rpcRaw(0, { jsonrpc: '2.0', id: 3, method: 'gl_sendTx', params: ['0xzz'] });
      expect(r3.json.error.code).toBe(-32602);
    },
    T,
  );

  it(
    'invalid JSON-RPC requests get JSON-RPC errors and the server keeps serving',
    async () => {
      expect((await net.rpcRaw(1, '{not json')).json.error.code).toBe(-32700);
      expect(
        (await net.rpcRaw(1, { jsonrpc: '2.0', id: 1, method: 'no_such_method', params: [] })).json.error
          .code,
      ).toBe(-32601);
      expect(
        (await net.rpcRaw(1, { jsonrpc: '2.0', id: 1, method: 'gl_commit', params: ['yesterday'] })).json
          .error.code,
      ).toBe(-32602);
      expect((await net.rpcRaw(1, { id: 1, method: 42 })).json.error.code).toBe(-32600);
      expect((await net.rpcRaw(1, [])).json.error.code).toBe(-32600);
      expect(await net.rpc(1, 'eth_chainId')).toMatch(/^0x[0-9a-f]+$/);
    },
    T,
  );

  it(
    'after all of it the nodes keep committing and stored nothing from the bad input',
    async () => {
      const h = await net.height(0);
      await net.waitHeight(LIVE, h + 3n);
      await net.stopAll();
      const store = await NodeStore.open(join(net.home(0), 'data'));
      try {
        expect(await store.listEvidence()).toEqual([]);
        for (let k = 1n; k <= store.latestHeight(); k++) {
          const b = decodeBlock((await store.loadBlock(k))!.block);
          for (const tx of b.txs) expect(new TextDecoder().decode(tx)).toMatch(/=/);
        }
      } finally {
        await store.close();
      }
    },
    T,
  );
});
