// `gridledger start` (what `npm start` runs) as a user runs it: a local chain with dev accounts comes up,
// SIGTERM stops every validator, a second start resumes the same chain, and --reset starts a new one.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, freePortRange, sleep } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'gl-start-'));
const running: ChildProcess[] = [];

afterAll(() => {
  for (const p of running) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

/** Starts the platform, waits until node0 has committed `minHeight` blocks, returns it and a stopper. */
async function start(base: number, minHeight: number, extra: string[] = []) {
  const proc = spawn(process.execPath, [BIN, 'start', '--dir', dir, '--base-port', String(base), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(proc);
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${base + 1}`;
  const deadline = Date.now() + 90_000;
  let height = 0;
  while (Date.now() < deadline) {
    try {
      height = Number(await rpc(url, 'eth_blockNumber'));
      if (height >= minHeight) break;
    } catch {
      // not up yet
    }
    await sleep(300);
  }
  expect(height, `start did not reach height ${minHeight}; stderr:\n${err}`).toBeGreaterThanOrEqual(
    minHeight,
  );
  return {
    url,
    stderr: () => err,
    stop: async () => {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

describe('gridledger start', () => {
  it('runs a dev chain, stops cleanly, resumes it, and --reset starts a fresh one', async () => {
    const base = await freePortRange(8);
    const first = await start(base, 3);
    expect(first.stderr()).toMatch(/not built yet: the device simulator and the dashboard/);
    expect(existsSync(join(dir, 'testnet', 'dev-accounts.json'))).toBe(true);
    expect(Number(await rpc(first.url, 'eth_chainId'))).toBeGreaterThan(0);
    const block2 = (await rpc(first.url, 'eth_getBlockByNumber', ['0x2', false])) as { hash: string };
    expect(await first.stop()).toBe(0);

    const again = await start(base, 4);
    const resumed = (await rpc(again.url, 'eth_getBlockByNumber', ['0x2', false])) as { hash: string };
    expect(resumed.hash).toBe(block2.hash);
    expect(await again.stop()).toBe(0);

    const fresh = await start(base, 2, ['--reset']);
    expect(fresh.stderr()).toMatch(/--reset: removed/);
    const newBlock2 = (await rpc(fresh.url, 'eth_getBlockByNumber', ['0x2', false])) as {
      hash: string;
    } | null;
    expect(newBlock2?.hash).not.toBe(block2.hash);
    expect(await fresh.stop()).toBe(0);
  }, 300_000);
});
