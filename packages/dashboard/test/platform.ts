// The running platform the dashboard's browser test and benchmark look at: `gridledger start --reset`
// as a user runs it (4 validator processes, the simulator on the default scenario or a given one, the
// dashboard), in a
// temporary folder with the given ports. stop() sends SIGTERM (start stops the simulator, the dashboard
// and the validators), SIGKILL after a grace period, and removes the folder.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../cli/bin/gridledger.mjs', import.meta.url));

/** A running `gridledger start`. */
export interface Platform {
  dir: string;
  /** The dashboard, as start printed it. */
  url: string;
  rpcUrls: string[];
  /** start's stderr so far (simulator setup, interval lines, warnings). */
  log(): string;
  stop(): Promise<void>;
}

/** Options of {@link startPlatform}. */
export interface PlatformOptions {
  /** Node k: p2p basePort+2k, JSON-RPC basePort+2k+1. */
  basePort: number;
  /** Dashboard port. */
  port: number;
  /** Scale the scenario's prosumers. */
  devices?: number;
  /** A scenario file (default: the built-in one). */
  scenario?: string;
  /** How long start may take to print the dashboard URL, ms (default 3 minutes). */
  startTimeoutMs?: number;
}

/**
 * Runs `gridledger start --reset` and resolves once it printed the dashboard URL.
 * @throws Error with start's output when it exits or prints nothing within 3 minutes.
 */
export async function startPlatform(o: PlatformOptions): Promise<Platform> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-dash-'));
  const args = [
    'start',
    '--reset',
    '--dir',
    dir,
    '--port',
    String(o.port),
    '--base-port',
    String(o.basePort),
  ];
  if (o.devices !== undefined) args.push('--devices', String(o.devices));
  if (o.scenario !== undefined) args.push('--scenario', o.scenario);
  const proc: ChildProcess = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  proc.stderr!.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-200_000);
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
      if (process.env.GL_KEEP_TESTNET) process.stderr.write(`kept ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    })());
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`gridledger start printed no dashboard URL in ${(o.startTimeoutMs ?? 180_000) / 1000} s`),
        ),
      o.startTimeoutMs ?? 180_000,
    );
    const check = () => {
      const m = /dashboard\s+(http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gridledger start exited with ${code}:\n${out}\n${err.slice(-3000)}`));
    });
  }).catch(async (e: Error) => {
    await stop();
    throw e;
  });
  return {
    dir,
    url,
    rpcUrls: [0, 1, 2, 3].map((k) => `http://127.0.0.1:${o.basePort + 2 * k + 1}`),
    log: () => err,
    stop,
  };
}

/** The default scenario's file (packages/simulator/scenarios/default.yaml). */
const DEFAULT_SCENARIO = fileURLToPath(new URL('../../simulator/scenarios/default.yaml', import.meta.url));

/**
 * Writes the default scenario with AC prices (`pricing: ac`) and optionally another start hour into
 * `dir`; returns the file's path. Text edits of the YAML keep its comments and every other field.
 */
export function writeAcScenario(dir: string, o: { hour?: number } = {}): string {
  let text = readFileSync(DEFAULT_SCENARIO, 'utf8');
  text = /^pricing:.*$/m.test(text)
    ? text.replace(/^pricing:.*$/m, 'pricing: ac')
    : `${text.trimEnd()}\npricing: ac\n`;
  if (o.hour !== undefined) {
    if (!/^start: \{.*hour: \d+/m.test(text))
      throw new Error(`no start hour to replace in ${DEFAULT_SCENARIO}`);
    text = text.replace(/^(start: \{.*hour: )\d+/m, `$1${o.hour}`);
  }
  const path = join(dir, 'ac-feeder.yaml');
  writeFileSync(path, text);
  return path;
}
