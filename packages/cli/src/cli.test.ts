import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const bin = new URL('../bin/gridledger.mjs', import.meta.url).pathname;

describe('gridledger CLI', () => {
  it('prints help with the commands', () => {
    const out = execFileSync('node', [bin, '--help'], { encoding: 'utf8' });
    expect(out).toMatch(/Usage: gridledger/);
    expect(out).toMatch(/start/);
  });
  it('rejects an unknown command with exit code 2', () => {
    const r = spawnSync('node', [bin, 'frobnicate'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });
});
