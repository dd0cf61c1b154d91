import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = new URL('../bin/gridledger.mjs', import.meta.url).pathname;
const launcher = new URL('../bin/gridledger', import.meta.url).pathname;
const linked = new URL('../../../node_modules/.bin/gridledger', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gl-launcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

describe('gridledger init: the Ethereum chain id', () => {
  const genesisOf = (out: string) => JSON.parse(readFileSync(join(out, 'genesis.json'), 'utf8'));
  it('writes a given --eth-chain-id into genesis, a random one by default, and refuses a bad one', () => {
    const given = join(dir, 'net-given');
    const r = spawnSync(
      'node',
      [bin, 'init', '--validators', '1', '--out', given, '--eth-chain-id', '424242'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Ethereum chain id: 424242/);
    expect(genesisOf(given).ethChainId).toBe('424242');
    // --dev: the market's EIP-712 chain id is genesis' (random) one.
    const dev = join(dir, 'net-dev');
    expect(spawnSync('node', [bin, 'init', '--validators', '1', '--out', dev, '--dev']).status).toBe(0);
    expect(genesisOf(dev).ethChainId).toMatch(/^[1-9][0-9]{6,9}$/);
    expect(genesisOf(dev).appState.energy.chainId).toBe(genesisOf(dev).ethChainId);
    const bad = spawnSync(
      'node',
      [bin, 'init', '--validators', '1', '--out', join(dir, 'net-bad'), '--eth-chain-id', '0x1'],
      {
        encoding: 'utf8',
      },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--eth-chain-id must be an integer/);
  });
});

describe('the gridledger launcher (bin/gridledger)', () => {
  it('runs through the npm bin link and prints the same help as gridledger.mjs', () => {
    const viaLink = spawnSync(linked, ['--help'], { encoding: 'utf8' });
    expect(viaLink.status, viaLink.stderr).toBe(0);
    expect(viaLink.stdout).toBe(execFileSync('node', [bin, '--help'], { encoding: 'utf8' }));
  });
  it('hands gridledger.mjs and every argument unchanged to the Node named by GRIDLEDGER_NODE', () => {
    const fake = join(dir, 'fake-node');
    writeFileSync(fake, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\nexit 7\n');
    chmodSync(fake, 0o755);
    const r = spawnSync(launcher, ['opf', 'my case.m', '--format', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, GRIDLEDGER_NODE: fake },
    });
    expect(r.status).toBe(7);
    expect(r.stdout.split('\n')).toEqual([bin, 'opf', 'my case.m', '--format', 'json', '']);
  });
});
