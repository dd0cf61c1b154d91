// `gridledger start` (what `npm start` runs) as a user runs it: the platform comes up (4 validator
// processes with the scenario's market, the simulator registering the feeder and its devices, the
// dashboard answering on its port and printing its URL), SIGTERM stops everything, a second start resumes
// the same chain and scenario, a mismatched --devices on resume is refused, and --reset starts fresh.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, freePortRange, sleep } from '../../node/test/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'gl-start-'));
const running: ChildProcess[] = [];

afterAll(() => {
  for (const p of running) if (p.exitCode === null) p.kill('SIGKILL');
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

/** Polls until `ok` or the deadline; returns whether it held. */
async function until(ok: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if (await ok()) return true;
    } catch {
      // not up yet
    }
    await sleep(500);
  }
  return false;
}

/** Starts the platform and waits until the simulator has registered the network and the dashboard answers. */
async function start(base: number, port: number, extra: string[] = []) {
  const proc = spawn(
    process.execPath,
    [
      BIN,
      'start',
      '--dir',
      dir,
      '--base-port',
      String(base),
      '--port',
      String(port),
      '--devices',
      '12',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  proc.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${base + 1}`;
  const registered = await until(async () => {
    const grid = (await rpc(url, 'gl_gridState')) as { buses: unknown[] } | null;
    return grid !== null && grid.buses.length === 33 && /setup done/.test(err);
  }, 150_000);
  expect(registered, `the simulator did not register the feeder; stderr:\n${err}`).toBe(true);
  const page = await fetch(`http://127.0.0.1:${port}/`);
  expect(page.status).toBe(200);
  expect(out).toMatch(new RegExp(`dashboard +http://127\\.0\\.0\\.1:${port}/`));
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
  it('runs the platform, stops cleanly, resumes it, refuses a changed scenario, and --reset starts fresh', async () => {
    const base = await freePortRange(8);
    const port = await freePortRange(1);
    const first = await start(base, port);
    expect(first.stderr()).toMatch(/new chain for "community feeder/);
    expect(existsSync(join(dir, 'testnet', 'scenario.json'))).toBe(true);
    const cfg = (await rpc(first.url, 'gl_marketConfig')) as { config: { clock: { scale: string } } };
    expect(cfg.config.clock.scale).toBe('30');
    const block2 = (await rpc(first.url, 'eth_getBlockByNumber', ['0x2', false])) as { hash: string };
    expect(await first.stop()).toBe(0);
    expect(first.stderr()).toMatch(/start: stopped/);

    const again = await start(base, port);
    expect(again.stderr()).toMatch(/resuming "community feeder/);
    const resumed = (await rpc(again.url, 'eth_getBlockByNumber', ['0x2', false])) as { hash: string };
    expect(resumed.hash).toBe(block2.hash);
    expect(await again.stop()).toBe(0);

    const changed = spawnSync(process.execPath, [BIN, 'start', '--dir', dir, '--devices', '40'], {
      encoding: 'utf8',
    });
    expect(changed.status).not.toBe(0);
    expect(changed.stderr).toMatch(/was made for 12 devices: add --reset/);

    const fresh = await start(base, port, ['--reset']);
    expect(fresh.stderr()).toMatch(/--reset: removed/);
    const newBlock2 = (await rpc(fresh.url, 'eth_getBlockByNumber', ['0x2', false])) as {
      hash: string;
    } | null;
    expect(newBlock2?.hash).not.toBe(block2.hash);
    expect(await fresh.stop()).toBe(0);
  }, 600_000);
});
