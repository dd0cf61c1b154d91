// Multi-process test harness: a local network of `gridledger node` child processes on 127.0.0.1 with
// test-chosen free ports and short timeouts, a small JSON-RPC client, and waiting helpers. Every process
// started here is tracked and killed by `stopAll()` (call it in afterAll).
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConsensusTimeouts, initNetwork } from '../src/index.ts';

/** The CLI entry the nodes are spawned from. */
export const BIN = fileURLToPath(new URL('../../cli/bin/gridledger.mjs', import.meta.url));

/** What one run of the CLI printed, and its exit code. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `gridledger ARGS` as its own process (in `cwd`) and resolves with its exit code and output; a run
 * that takes longer than `timeoutMs` is killed and rejects with what it printed on stderr.
 */
export function runCli(
  args: readonly string[],
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`gridledger ${args.join(' ')} timed out: ${stderr}`));
    }, opts.timeoutMs ?? 120_000);
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Short timeouts for tests: blocks every ~250 ms when all is well, rounds of about a second when not. */
export const TEST_TIMEOUTS: ConsensusTimeouts = {
  proposeMs: 800,
  proposeDeltaMs: 300,
  prevoteMs: 300,
  prevoteDeltaMs: 150,
  precommitMs: 300,
  precommitDeltaMs: 150,
  commitMs: 200,
};

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port P such that P .. P+count-1 are free now. */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below Linux's ephemeral range (32768..60999), so an outgoing connection cannot take a port
    // between this check and the node binding it.
    const base = 20000 + Math.floor(Math.random() * (32000 - count - 20000));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('no free port range found');
}

/** One spawned node. */
export interface RunningNode {
  k: number;
  home: string;
  proc: ChildProcess;
  logPath: string;
  exited: Promise<number | null>;
}

/** A local test network. */
export class TestNet {
  readonly dir: string;
  readonly n: number;
  basePort = 0;
  /** How long `start` waits for a node to print where it listens (long fault runs on a loaded machine raise it). */
  startTimeoutMs = 60_000;
  readonly running = new Map<number, RunningNode>();

  constructor(n: number) {
    this.n = n;
    this.dir = mkdtempSync(join(tmpdir(), 'gl-net-'));
  }

  /** Writes genesis and homes (test timeouts unless given). */
  async init(chainId = 'test-chain', timeouts: ConsensusTimeouts = TEST_TIMEOUTS): Promise<void> {
    this.basePort = await freePortRange(2 * this.n);
    initNetwork({
      validators: this.n,
      outDir: this.dir,
      chainId,
      basePort: this.basePort,
      timeouts,
      logLevel: (process.env.GL_TEST_LOG_LEVEL as 'debug' | undefined) ?? 'info',
    });
  }

  home(k: number): string {
    return join(this.dir, `node${k}`);
  }

  rpcUrl(k: number): string {
    return `http://127.0.0.1:${this.basePort + 2 * k + 1}`;
  }

  p2pPort(k: number): number {
    return this.basePort + 2 * k;
  }

  /** Spawns `gridledger node --home nodeK`; resolves once it printed where it listens. */
  async start(k: number): Promise<RunningNode> {
    if (this.running.has(k)) throw new Error(`node${k} already running`);
    const home = this.home(k);
    const logPath = join(home, 'node.log');
    const fd = openSync(logPath, 'a');
    const extraNodeArgs = process.env.GL_NODE_ARGS ? process.env.GL_NODE_ARGS.split(' ') : [];
    const proc = spawn(process.execPath, [...extraNodeArgs, BIN, 'node', '--home', home], {
      stdio: ['ignore', 'pipe', fd],
    });
    closeSync(fd);
    const exited = new Promise<number | null>((r) =>
      proc.once('exit', (code, sig) => r(code ?? (sig ? 128 : null))),
    );
    const rn: RunningNode = { k, home, proc, logPath, exited };
    this.running.set(k, rn);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const t = setTimeout(
        () => reject(new Error(`node${k} did not start within ${this.startTimeoutMs / 1000} s: ${out}`)),
        this.startTimeoutMs,
      );
      proc.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('listening')) {
          clearTimeout(t);
          resolve();
        }
      });
      void exited.then((code) => {
        clearTimeout(t);
        reject(new Error(`node${k} exited with ${code} before listening; log:\n${this.log(k).slice(-2000)}`));
      });
    });
    return rn;
  }

  /** SIGTERM (clean stop) or SIGKILL; resolves when the process is gone. */
  async stop(k: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<number | null> {
    const rn = this.running.get(k);
    if (!rn) return null;
    rn.proc.kill(signal);
    const killer = setTimeout(() => rn.proc.kill('SIGKILL'), 15_000);
    const code = await rn.exited;
    clearTimeout(killer);
    this.running.delete(k);
    return code;
  }

  /** Stops every running node (SIGKILL after a grace period). */
  async stopAll(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    await Promise.all([...this.running.keys()].map((k) => this.stop(k, signal)));
  }

  /** Stops everything and deletes the folder. */
  async destroy(): Promise<void> {
    await this.stopAll('SIGKILL');
    if (process.env.GL_KEEP_TESTNET) process.stderr.write(`kept test network in ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }

  log(k: number): string {
    try {
      return readFileSync(join(this.home(k), 'node.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * Waits until node k's log, from character `from` on, matches `re` (the node's logger writes its file
   * asynchronously, so a line logged before the node printed "listening" may reach the file after).
   */
  async waitLog(k: number, re: RegExp, from = 0, timeoutMs = 30_000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      const text = this.log(k).slice(from);
      if (re.test(text)) return;
      if (Date.now() - t0 > timeoutMs)
        throw new Error(
          `node${k}'s log did not match ${re} within ${timeoutMs} ms; its end:\n${text.slice(-3000)}`,
        );
      await sleep(150);
    }
  }

  /** One JSON-RPC call to node k; returns the whole response object (untyped JSON, as tests read it). */
  // biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary JSON-RPC responses
  async rpcRaw(k: number, body: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(this.rpcUrl(k), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }

  /** A JSON-RPC call that must succeed; returns `result`. */
  // biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary JSON-RPC results
  async rpc(k: number, method: string, params: unknown[] = []): Promise<any> {
    const { json } = await this.rpcRaw(k, { jsonrpc: '2.0', id: 1, method, params });
    if (json.error) throw new Error(`${method} on node${k}: ${json.error.message}`);
    return json.result;
  }

  async height(k: number): Promise<bigint> {
    return BigInt((await this.rpc(k, 'gl_status')).height);
  }

  /** Waits until every node in `ks` is at height >= h. */
  async waitHeight(ks: number[], h: bigint, timeoutMs = 60_000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      const hs = await Promise.all(ks.map((k) => this.height(k).catch(() => -1n)));
      if (hs.every((x) => x >= h)) return;
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`timeout waiting for height ${h} on nodes ${ks}: at ${hs}`);
      await sleep(150);
    }
  }

  /** Submits a key=value transaction through node k's JSON-RPC; returns the tx hash. */
  async sendTx(k: number, tx: string): Promise<string> {
    return (await this.rpc(k, 'gl_sendTx', [`0x${Buffer.from(tx).toString('hex')}`])).hash;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
