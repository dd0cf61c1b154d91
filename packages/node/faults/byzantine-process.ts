// The test side of byzantine-peer.ts: starts it as a child process holding validator `byzantine`'s key of a
// TestNet, connected to the honest validators, keeps its JSON answers (one per stdout line; its stderr goes
// to byzantine.log in the net's folder), sends it commands and stops it. Used by the evidence-and-jailing
// test (test/evidence-jail.test.ts) and the Byzantine fault test (byzantine.faults.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestNet } from '../test/harness.ts';

const SCRIPT = fileURLToPath(new URL('./byzantine-peer.ts', import.meta.url));

/** A running byzantine-peer process and the JSON lines it has answered so far. */
export class ByzantineProcess {
  readonly lines: Record<string, unknown>[] = [];
  readonly exited: Promise<unknown>;
  readonly #proc: ChildProcess;

  constructor(net: TestNet, byzantine: number, honest: readonly number[]) {
    this.#proc = spawn(
      process.execPath,
      ['--import', 'tsx', SCRIPT, net.home(byzantine), ...honest.map((k) => String(net.p2pPort(k)))],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.#proc.stderr!.on('data', (c: Buffer) => appendFileSync(join(net.dir, 'byzantine.log'), c));
    this.exited = new Promise((r) => this.#proc.once('exit', r));
    let buf = '';
    this.#proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        this.lines.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
    });
  }

  /** Waits for the first answer named `cmd` after the first `from` lines. */
  async #answer(
    cmd: string,
    from: number,
    timeoutMs: number,
    what: string,
  ): Promise<Record<string, unknown>> {
    const t0 = Date.now();
    for (;;) {
      const hit = this.lines.slice(from).find((l) => l.cmd === cmd);
      if (hit) return hit;
      if (Date.now() - t0 > timeoutMs) throw new Error(`byzantine-peer: ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits until it has shaken hands with the honest validators (its `ready` line). */
  ready(timeoutMs: number): Promise<Record<string, unknown>> {
    return this.#answer('ready', 0, timeoutMs, 'did not connect');
  }

  /** Sends one command line and waits for its JSON answer. */
  command(line: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const seen = this.lines.length;
    this.#proc.stdin!.write(`${line}\n`);
    return this.#answer(line.split(' ')[0]!, seen, timeoutMs, `no answer to "${line}"`);
  }

  /** Closes its stdin (it exits when its commands are done) and waits for the exit. */
  async end(): Promise<void> {
    this.#proc.stdin!.end();
    await this.exited;
  }

  /** Kills it if it still runs (the tests' clean-up). */
  async kill(): Promise<void> {
    if (this.#proc.exitCode !== null) return;
    this.#proc.kill('SIGKILL');
    await this.exited;
  }
}
