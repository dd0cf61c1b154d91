import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initNetwork, loadHome } from './home.ts';

const root = mkdtempSync(join(tmpdir(), 'gl-home-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('home folders', () => {
  it('init writes genesis and N homes with the port plan, keys at 0600, and every other node as a peer', () => {
    const out = join(root, 'net');
    const r = initNetwork({ validators: 3, outDir: out, chainId: 'c-1', basePort: 31000 });
    expect(r.homes.map((h) => [h.p2pPort, h.rpcPort])).toEqual([
      [31000, 31001],
      [31002, 31003],
      [31004, 31005],
    ]);
    const home = loadHome(join(out, 'node1'));
    expect(home.config.chainId).toBe('c-1');
    expect(home.config.p2p.persistentPeers).toEqual([
      `${r.homes[0]!.publicKey.slice(2)}@127.0.0.1:31000`,
      `${r.homes[2]!.publicKey.slice(2)}@127.0.0.1:31004`,
    ]);
    expect(home.genesis.validators.map((v) => v.publicKey)).toEqual(r.homes.map((h) => h.publicKey));
    expect(statSync(join(out, 'node1', 'node_key.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(r.genesisPath, 'utf8'))).toEqual(home.genesis);
    expect(() => initNetwork({ validators: 1, outDir: out })).toThrow(/not empty/);
  });
  it('names the file and field of a bad home', () => {
    const out = join(root, 'bad');
    initNetwork({ validators: 1, outDir: out });
    const cfg = join(out, 'node0', 'config.json');
    const c = JSON.parse(readFileSync(cfg, 'utf8'));
    c.p2p.port = 'x';
    writeFileSync(cfg, JSON.stringify(c));
    expect(() => loadHome(join(out, 'node0'))).toThrow(/config\.json: p2p\.port:/);
    c.p2p.port = 1;
    c.p2p.persistentPeers = ['0x12@127.0.0.1:5'];
    writeFileSync(cfg, JSON.stringify(c));
    expect(() => loadHome(join(out, 'node0'))).toThrow(
      /persistentPeers\.0: expected "host:port" or "pubkey@host:port"/,
    );
    expect(() => loadHome(join(root, 'nowhere'))).toThrow(/not a node home/);
    c.p2p.persistentPeers = [];
    c.p2p.keepaliveIntervalMs = 6000; // the default timeout (10 s) is less than two such intervals
    writeFileSync(cfg, JSON.stringify(c));
    expect(() => loadHome(join(out, 'node0'))).toThrow(/p2p\.keepaliveTimeoutMs: must be at least twice/);
    c.p2p.keepaliveTimeoutMs = 12_000;
    writeFileSync(cfg, JSON.stringify(c));
    expect(loadHome(join(out, 'node0')).config.p2p.keepaliveTimeoutMs).toBe(12_000);
  });
});
