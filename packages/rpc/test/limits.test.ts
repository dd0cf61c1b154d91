// RPC limits (issue 17): requests per second per client address (HTTP 429 / -32005), connections per
// address, and the gas cap of eth_call / eth_estimateGas (a huge `gas` would run unbounded work on the
// validator's event loop).
import { connect, type Socket } from 'node:net';
import { ExecutionApp } from '@gridledger/execution';
import { encodeFunctionData, erc20Abi } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genesis } from '../../execution/test/fixtures.ts';
import { RpcServer } from '../src/index.ts';
import { ethCallMethods, RPC_GAS_CAP } from '../src/methods/eth-call.ts';
import type { RpcExecutionApp } from '../src/port.ts';
import { type Chain, openChain } from './chain-fixture.ts';

let chain: Chain;
beforeAll(async () => {
  chain = await openChain();
});
afterAll(async () => {
  await chain?.close();
});

const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' });

describe('RPC limits', () => {
  it('refuses requests over the per-address rate with 429 and -32005, then serves again', async () => {
    const server = await RpcServer.start({ backend: chain.backend, maxRequestsPerSecondPerIp: 5 });
    try {
      const statuses: number[] = [];
      let refusal: unknown;
      for (let i = 0; i < 20; i++) {
        const res = await fetch(server.url, { method: 'POST', body });
        statuses.push(res.status);
        const json = await res.json();
        if (res.status === 429) refusal = json;
      }
      // A burst of twice the rate passes; the rest of a fast loop is refused.
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
      expect(refusal).toMatchObject({
        error: { code: -32005, message: /at most 5 requests per second per client address/ },
      });
      await new Promise((r) => setTimeout(r, 400));
      expect((await fetch(server.url, { method: 'POST', body })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('closes connections beyond the per-address cap at once', async () => {
    const server = await RpcServer.start({ backend: chain.backend, maxConnectionsPerIp: 2 });
    const sockets: Socket[] = [];
    try {
      const closed: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        const s = connect(server.port, '127.0.0.1');
        sockets.push(s);
        closed.push(false);
        s.on('close', () => {
          closed[i] = true;
        });
        s.on('error', () => {});
        await new Promise<void>((r) => s.once('connect', () => r()));
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(closed).toEqual([false, false, true]);
    } finally {
      for (const s of sockets) s.destroy();
      await server.close();
    }
  });

  it('caps the gas of eth_call and eth_estimateGas', async () => {
    const app = await ExecutionApp.load({ chainId: 1337n, genesis });
    const seen: (bigint | undefined)[] = [];
    const observed = {
      get height() {
        return app.height;
      },
      staticCall: (req: Parameters<ExecutionApp['staticCall']>[0]) => {
        seen.push(req.gas);
        return app.staticCall(req);
      },
    } as unknown as RpcExecutionApp;
    const methods = ethCallMethods(observed);
    const data = encodeFunctionData({ abi: erc20Abi, functionName: 'totalSupply' });
    const call = { to: '0x0000000000000000000000000000000000001001', data, gas: '0xffffffffffffffff' };
    await methods.get('eth_call')!([call, 'latest'], {});
    await methods.get('eth_estimateGas')!([call], {});
    await methods.get('eth_call')!([{ ...call, gas: '0x30d40' }, 'latest'], {});
    expect(seen).toEqual([RPC_GAS_CAP, RPC_GAS_CAP, 200_000n]);
  });
});
