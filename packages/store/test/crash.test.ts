// Crash safety: a writer process killed with SIGKILL at arbitrary moments must reopen at a committed
// height whose block, certificate, state and state root all belong to exactly that height.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bigintToBytes, toHex, utf8 } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeStore } from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'gl-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the writer until it has printed `minHeights` new heights, then SIGKILLs it after `delayMs`; or,
 * with `self`, lets the writer SIGKILL itself while its `minHeights`-th block is being written.
 */
function runAndKill(minHeights: number, delayMs: number | 'now', self = false): Promise<bigint> {
  return new Promise((resolve, reject) => {
    const args = self ? [String(minHeights), String(delayMs)] : [];
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'crash-writer.ts'), dir, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let seen = 0;
    let last = 0n;
    let killing = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const l of lines) {
        if (l.startsWith('open')) continue;
        last = BigInt(l);
        seen++;
      }
      if (!self && seen >= minHeights && !killing) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs === 'now' ? 0 : delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`writer exited with ${code}: ${err}`));
    });
  });
}

describe('crash safety (SIGKILL mid-write-loop)', () => {
  it('reopens at a consistent committed height after each of several kills', async () => {
    let previous = 0n;
    for (const [minHeights, delayMs, self] of [
      [15, 0, false],
      [10, 3, false],
      [10, 'now', true],
      [10, 0, true],
      [10, 1, true],
      [10, 2, true],
    ] as const) {
      const lastPrinted = await runAndKill(minHeights, delayMs, self);
      const store = await NodeStore.open(dir);
      const h = store.latestHeight();
      // Everything the writer reported as committed survived, and the writer made progress.
      expect(h).toBeGreaterThanOrEqual(lastPrinted);
      expect(h).toBeGreaterThanOrEqual(previous + BigInt(self ? minHeights - 1 : minHeights));
      // The block, certificate, state and root of height h, and nothing of h + 1.
      expect(toHex((await store.loadBlock(h))!.hash)).toBe(toHex(sha256(utf8(`block ${h}`))));
      expect(await store.loadBlock(h + 1n)).toBeUndefined();
      expect(await store.loadBlockByHash(sha256(utf8(`block ${h + 1n}`)))).toBeUndefined();
      for (let k = 1n; k <= h; k++) expect(await store.loadCert(k)).toEqual(utf8(`cert ${k}`));
      expect(await store.state.get(utf8('count'))).toEqual(bigintToBytes(h, 8));
      expect(store.loadAppInfo()).toEqual({ height: h, appHash: sha256(utf8(`state ${h}`)) });
      expect(await store.state.get(utf8(`k${h}`))).toEqual(new Uint8Array(1024).fill(Number(h % 256n)));
      expect(await store.state.get(utf8(`k${h + 1n}`))).toBeUndefined();
      if (h > 2n) expect(await store.state.get(utf8(`k${h - 2n}`))).toBeUndefined();
      await store.close();
      previous = h;
    }
  });
});
