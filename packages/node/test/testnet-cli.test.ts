// The `gridledger testnet` and `init` commands as a user runs them: init on an empty folder, N child
// node processes, JSON-RPC reachable, and SIGTERM stopping every child before the command exits.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, freePortRange, sleep } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'gl-testnet-'));
let proc: ChildProcess | undefined;
const childPids: number[] = [];

afterAll(() => {
  proc?.kill('SIGKILL');
  for (const pid of childPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('gridledger testnet', () => {
  it('init refuses bad flags with exit code 2 and a reason', () => {
    const r = spawnSync(process.execPath, [BIN, 'init', '--validators', '0', '--out', join(dir, 'x')], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--validators must be an integer in 1\.\.100, got "0"/);
  });

  it('initialises an empty folder, runs 4 nodes that commit blocks, and SIGTERM stops them all', async () => {
    const base = await freePortRange(8);
    const net = join(dir, 'net');
    proc = spawn(
      process.execPath,
      [BIN, 'testnet', '--validators', '4', '--dir', net, '--base-port', String(base), '--format', 'json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((r) => proc!.once('exit', (code) => r(code)));
    const info = await new Promise<{ nodes: { name: string; pid: number; rpc: string }[] }>(
      (resolve, reject) => {
        let out = '';
        const t = setTimeout(() => reject(new Error(`no output from testnet: ${out}`)), 60_000);
        proc!.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          const line = out.split('\n').find((l) => l.startsWith('{'));
          if (line) {
            clearTimeout(t);
            resolve(JSON.parse(line));
          }
        });
      },
    );
    expect(info.nodes.map((n) => n.rpc)).toEqual(
      [0, 1, 2, 3].map((k) => `http://127.0.0.1:${base + 2 * k + 1}`),
    );
    childPids.push(...info.nodes.map((n) => n.pid));
    // every node answers JSON-RPC and the chain reaches height 3
    const t0 = Date.now();
    for (;;) {
      const heights = await Promise.all(
        info.nodes.map((n) =>
          fetch(n.rpc, {
            method: 'POST',
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
          })
            .then((r) => r.json() as Promise<{ result: string }>)
            .then((j) => Number(j.result))
            .catch(() => -1),
        ),
      );
      if (heights.every((h) => h >= 3)) break;
      if (Date.now() - t0 > 90_000) throw new Error(`testnet did not reach height 3: ${heights}`);
      await sleep(250);
    }
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of childPids) expect(alive(pid)).toBe(false);
  }, 180_000);
});
