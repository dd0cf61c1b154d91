// A node killed at any moment restarts at its last committed height with the same state root: the kv
// commit pipeline runs in a child process that is SIGKILLed mid-run, then the app is reloaded from the
// store (which re-derives and checks the root) and compared with an in-memory replay of the same blocks.
// Here, above both the app and the store (moved from packages/kvapp/test).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHex, utf8 } from '@gridledger/base';
import { KvApp } from '@gridledger/kvapp';
import { NodeStore } from '@gridledger/store';
import { afterAll, describe, expect, it } from 'vitest';
import { blockTxs } from './kv-crash-blocks.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'gl-kvcrash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runAndKill(minHeights: number, delayMs: number): Promise<bigint> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'kv-crash-writer.ts'), dir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    let err = '';
    let seen = 0;
    let last = 0n;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        last = BigInt(l);
        if (++seen === minHeights) setTimeout(() => child.kill('SIGKILL'), delayMs);
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

describe('kv app crash safety (SIGKILL mid-run)', () => {
  it('restarts at the last committed height with the root a replay of the same blocks gives', async () => {
    const replay = await KvApp.load();
    let replayed = 0n;
    for (const [minHeights, delayMs] of [
      [8, 1],
      [6, 4],
    ] as const) {
      const printed = await runAndKill(minHeights, delayMs);
      const store = await NodeStore.open(dir);
      const app = await KvApp.load(store); // throws if the stored state does not hash to its recorded root
      const info = await app.info();
      expect(info.height).toBe(store.latestHeight());
      expect(info.height).toBeGreaterThanOrEqual(printed);
      while (replayed < info.height) {
        replayed++;
        await replay.finalizeBlock({
          height: replayed,
          timeMs: replayed,
          proposer: new Uint8Array(32),
          txs: blockTxs(replayed),
        });
        await replay.commit(replayed);
      }
      expect(toHex(info.appHash)).toBe(toHex((await replay.info()).appHash));
      expect(app.query(utf8('count'))).toEqual(utf8(String(info.height)));
      await store.close();
    }
  });
});
