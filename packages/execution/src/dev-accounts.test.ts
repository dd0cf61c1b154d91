import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFunctionData, hexToBytes } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CASH_ADDRESS } from './addresses.ts';
import { ExecutionApp } from './app.ts';
import { decodeGenesisJson, encodeGenesisJson, writeDevAccounts } from './dev-accounts.ts';
import { applyGenesis, createPlatformModules } from './genesis.ts';
import { accountsView } from './modules/accounts.ts';
import { ERC20_ABI, Erc20Module } from './modules/erc20.ts';
import { JournaledState } from './state.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gl-exec-dev-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('dev accounts', () => {
  it('writes dev-accounts.json and addresses.json and a genesis that registers and funds everyone', async () => {
    const { genesis, files } = writeDevAccounts(dir, { participants: 3 });
    const dev = JSON.parse(readFileSync(files.devAccounts, 'utf8')) as {
      warning: string;
      accounts: { name: string; role: string; address: `0x${string}`; privateKey: `0x${string}` }[];
    };
    expect(dev.warning).toMatch(/DEVELOPMENT ONLY/);
    expect(statSync(files.devAccounts).mode & 0o777).toBe(0o600);
    expect(dev.accounts.map((a) => a.role)).toEqual([
      'admin',
      'cash-issuer',
      'grid-operator',
      'meter',
      'participant',
      'participant',
      'participant',
    ]);
    for (const a of dev.accounts)
      expect(privateKeyToAccount(a.privateKey).address.toLowerCase()).toBe(a.address);
    expect(JSON.parse(readFileSync(files.addresses, 'utf8'))).toEqual({
      accounts: '0x0000000000000000000000000000000000001000',
      cash: '0x0000000000000000000000000000000000001001',
      credits: '0x0000000000000000000000000000000000001002',
      promises: '0x0000000000000000000000000000000000001003',
    });
    const round = decodeGenesisJson(JSON.parse(JSON.stringify(encodeGenesisJson(genesis))));
    expect(round).toEqual(genesis);
    const state = new JournaledState();
    const modules = createPlatformModules();
    applyGenesis(state, modules, round);
    const cash = modules.require(CASH_ADDRESS, Erc20Module);
    for (const a of dev.accounts) {
      expect(accountsView.isRegistered(state, a.address)).toBe(true);
      expect(cash.balanceOf(state, a.address)).toBe(1_000_000_000_000n);
    }
    expect(accountsView.hasRole(state, 'CASH_ISSUER_ROLE', dev.accounts[1]!.address)).toBe(true);
    expect(accountsView.admin(state)).toBe(dev.accounts[0]!.address);
    // A participant's key signs a transfer the app accepts.
    const app = await ExecutionApp.load({ chainId: 1337n, genesis: round });
    const p = privateKeyToAccount(dev.accounts[4]!.privateKey);
    const raw = await p.signTransaction({
      type: 'eip1559',
      chainId: 1337,
      nonce: 0,
      gas: 100_000n,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
      to: CASH_ADDRESS,
      data: encodeFunctionData({
        abi: ERC20_ABI,
        functionName: 'transfer',
        args: [dev.accounts[5]!.address, 1n],
      }),
    });
    expect(await app.checkTx(hexToBytes(raw))).toMatchObject({ ok: true });
  });

  it('refuses malformed genesis JSON with the field at fault', () => {
    expect(() => decodeGenesisJson({ admin: '0x12', accounts: [], cash: [] })).toThrow(/genesis admin/);
    expect(() =>
      decodeGenesisJson({
        admin: `0x${'1'.repeat(40)}`,
        accounts: [{ address: `0x${'2'.repeat(40)}`, roles: ['KING'] }],
        cash: [],
      }),
    ).toThrow(/accounts\[0\]\.roles/);
    expect(() =>
      decodeGenesisJson({
        admin: `0x${'1'.repeat(40)}`,
        accounts: [],
        cash: [{ address: `0x${'2'.repeat(40)}`, amount: 5 }],
      }),
    ).toThrow(/cash\[0\]\.amount/);
  });
});
