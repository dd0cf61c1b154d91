import { decodeErrorResult, decodeFunctionResult, encodeFunctionData, hexToBytes, parseAbi } from 'viem';
import { describe, expect, it } from 'vitest';
import { ACCOUNTS_ADDRESS, CASH_ADDRESS, CREDITS_ADDRESS, PROMISES_ADDRESS } from './addresses.ts';
import { applyCall } from './executor.ts';
import { GAS_SCHEDULE, GasMeter } from './gas.ts';
import { applyGenesis, createPlatformModules } from './genesis.ts';
import { type Address, CallContext } from './module.ts';
import { ACCOUNTS_ABI, accountsView, ROLES } from './modules/accounts.ts';
import { ERC20_ABI, ERC20_ISSUER_ABI, Erc20Module } from './modules/erc20.ts';
import { ERC721_ABI, Erc721Module } from './modules/erc721.ts';
import { JournaledState } from './state.ts';

const admin = '0x00000000000000000000000000000000000000a1' as Address;
const issuer = '0x00000000000000000000000000000000000000a2' as Address;
const alice = '0x00000000000000000000000000000000000000b1' as Address;
const bob = '0x00000000000000000000000000000000000000b2' as Address;
const ERRORS = [...ERC20_ABI, ...ERC20_ISSUER_ABI, ...ERC721_ABI, ...parseAbi(['error Error(string)'])];

function setup() {
  const state = new JournaledState();
  const modules = createPlatformModules();
  applyGenesis(state, modules, {
    admin,
    accounts: [
      { address: issuer, roles: ['CASH_ISSUER_ROLE'] },
      { address: alice, roles: ['PARTICIPANT_ROLE'] },
    ],
    cash: [{ address: alice, amount: 1000n }],
  });
  state.markCommitted();
  const call = (sender: Address, to: Address, data: `0x${string}`, gas = 1_000_000n) =>
    applyCall(state, modules, { sender, height: 1n, timeMs: 0n }, to, hexToBytes(data), gas);
  return { state, modules, call };
}

describe('module framework and accounts', () => {
  it('lets only the admin register, remove and grant roles, with Error(string) reasons and events', () => {
    const { state, call } = setup();
    const reg = encodeFunctionData({ abi: ACCOUNTS_ABI, functionName: 'register', args: [bob] });
    const denied = call(alice, ACCOUNTS_ADDRESS, reg);
    expect(denied.ok).toBe(false);
    expect(decodeErrorResult({ abi: ERRORS, data: denied.revertData! })).toMatchObject({
      errorName: 'Error',
      args: ['accounts: caller is not the admin'],
    });
    expect(accountsView.isRegistered(state, bob)).toBe(false);
    const ok = call(admin, ACCOUNTS_ADDRESS, reg);
    expect(ok.ok).toBe(true);
    expect(ok.logs).toHaveLength(1);
    expect(accountsView.isRegistered(state, bob)).toBe(true);
    const grant = encodeFunctionData({
      abi: ACCOUNTS_ABI,
      functionName: 'grantRole',
      args: [ROLES.METER_ROLE, bob],
    });
    expect(call(admin, ACCOUNTS_ADDRESS, grant).logs[0]!.topics).toHaveLength(4);
    expect(accountsView.hasRole(state, 'METER_ROLE', bob)).toBe(true);
    const rm = call(
      admin,
      ACCOUNTS_ADDRESS,
      encodeFunctionData({ abi: ACCOUNTS_ABI, functionName: 'remove', args: [bob] }),
    );
    expect(rm.ok && rm.logs.length).toBe(2);
    expect(accountsView.isRegistered(state, bob) || accountsView.hasRole(state, 'METER_ROLE', bob)).toBe(
      false,
    );
    const unknownRole = call(
      admin,
      ACCOUNTS_ADDRESS,
      encodeFunctionData({
        abi: ACCOUNTS_ABI,
        functionName: 'grantRole',
        args: [`0x${'11'.repeat(32)}`, alice],
      }),
    );
    expect(decodeErrorResult({ abi: ERRORS, data: unknownRole.revertData! }).args).toEqual([
      'accounts: unknown role',
    ]);
  });

  it('reverts unknown selectors and malformed calldata with empty data, and calls to plain addresses do nothing', () => {
    const { call } = setup();
    expect(call(alice, CASH_ADDRESS, '0xdeadbeef')).toMatchObject({ ok: false, revertData: '0x' });
    expect(call(alice, CASH_ADDRESS, '0xa9059cbb00')).toMatchObject({ ok: false, revertData: '0x' });
    expect(
      call(
        alice,
        CREDITS_ADDRESS,
        encodeFunctionData({ abi: ERC20_ISSUER_ABI, functionName: 'mint', args: [alice, 1n] }),
      ),
    ).toMatchObject({ ok: false, revertData: '0x' });
    expect(call(alice, bob, '0x1234')).toMatchObject({ ok: true, gasUsed: 21_000n + 32n });
  });

  it('charges the schedule; out of gas undoes the call and uses all gas', () => {
    const { state, call } = setup();
    const data = encodeFunctionData({ abi: ERC20_ABI, functionName: 'transfer', args: [bob, 10n] });
    const full = call(alice, CASH_ADDRESS, data);
    expect(full.ok).toBe(true);
    const s = GAS_SCHEDULE;
    const bytes = hexToBytes(data);
    const zeros = bytes.filter((b) => b === 0).length;
    const intrinsic =
      s.txBase + BigInt(zeros) * s.calldataZeroByte + BigInt(bytes.length - zeros) * s.calldataNonZeroByte;
    // transfer: read from, write from, read to, write to, one log with 3 topics and 32 data bytes.
    expect(full.gasUsed).toBe(
      intrinsic +
        2n * s.storageRead +
        2n * s.storageWrite +
        s.logBase +
        3n * s.logTopic +
        32n * s.logDataByte,
    );
    const before = state.get(`${CASH_ADDRESS}:bal:${bob}`);
    const oog = call(alice, CASH_ADDRESS, data, full.gasUsed - 1n);
    expect(oog).toMatchObject({ ok: false, error: 'out of gas', gasUsed: full.gasUsed - 1n, logs: [] });
    expect(state.get(`${CASH_ADDRESS}:bal:${bob}`)).toBe(before);
    expect(state.get(`${CASH_ADDRESS}:bal:${alice}`)).toBe(990n);
  });

  it('lets only the cash issuer mint and burn, with OpenZeppelin AccessControl errors', () => {
    const { state, modules, call } = setup();
    const mint = encodeFunctionData({ abi: ERC20_ISSUER_ABI, functionName: 'mint', args: [bob, 50n] });
    const denied = call(alice, CASH_ADDRESS, mint);
    expect(decodeErrorResult({ abi: ERRORS, data: denied.revertData! })).toMatchObject({
      errorName: 'AccessControlUnauthorizedAccount',
      args: [expect.stringMatching(/b1$/i), ROLES.CASH_ISSUER_ROLE],
    });
    expect(call(issuer, CASH_ADDRESS, mint).ok).toBe(true);
    const cash = modules.require(CASH_ADDRESS, Erc20Module);
    expect(cash.balanceOf(state, bob)).toBe(50n);
    const supply = call(
      bob,
      CASH_ADDRESS,
      encodeFunctionData({ abi: ERC20_ABI, functionName: 'totalSupply' }),
    );
    expect(
      decodeFunctionResult({ abi: ERC20_ABI, functionName: 'totalSupply', data: supply.returnData }),
    ).toBe(1050n);
    const burn = encodeFunctionData({ abi: ERC20_ISSUER_ABI, functionName: 'burn', args: [1n] });
    expect(
      decodeErrorResult({ abi: ERRORS, data: call(issuer, CASH_ADDRESS, burn).revertData! }).errorName,
    ).toBe('ERC20InsufficientBalance');
  });

  it('mints promises only through module code and refuses safe transfers to module addresses', () => {
    const { state, modules, call } = setup();
    const promises = modules.require(PROMISES_ADDRESS, Erc721Module);
    const ctx = new CallContext(
      state,
      new GasMeter(1_000_000n),
      { sender: PROMISES_ADDRESS, height: 1n, timeMs: 0n },
      modules,
    );
    promises.mintInternal(ctx, alice, 7n, { energyWh: 5000n });
    expect(promises.ownerOf(state, 7n)).toBe(alice);
    expect(promises.attribute(state, 7n, 'energyWh')).toBe(5000n);
    const safe = encodeFunctionData({
      abi: ERC721_ABI,
      functionName: 'safeTransferFrom',
      args: [alice, CASH_ADDRESS, 7n],
    });
    const r = call(alice, PROMISES_ADDRESS, safe);
    expect(decodeErrorResult({ abi: ERRORS, data: r.revertData! })).toMatchObject({
      errorName: 'ERC721InvalidReceiver',
    });
    expect(
      call(
        alice,
        PROMISES_ADDRESS,
        encodeFunctionData({ abi: ERC721_ABI, functionName: 'safeTransferFrom', args: [alice, bob, 7n] }),
      ).ok,
    ).toBe(true);
    expect(promises.ownerOf(state, 7n)).toBe(bob);
  });

  it('refuses user transfers of cash, credits and promises to a module address (they would be lost); module code still moves funds there', () => {
    const { state, modules, call } = setup();
    const cash = modules.require(CASH_ADDRESS, Erc20Module);
    for (const to of [CASH_ADDRESS, PROMISES_ADDRESS, ACCOUNTS_ADDRESS]) {
      const r = call(
        alice,
        CASH_ADDRESS,
        encodeFunctionData({ abi: ERC20_ABI, functionName: 'transfer', args: [to, 10n] }),
      );
      expect(r.ok).toBe(false);
      expect(decodeErrorResult({ abi: ERRORS, data: r.revertData! })).toMatchObject({
        errorName: 'ERC20InvalidReceiver',
        args: [to],
      });
    }
    // transferFrom through an allowance: the same.
    expect(
      call(
        alice,
        CASH_ADDRESS,
        encodeFunctionData({ abi: ERC20_ABI, functionName: 'approve', args: [bob, 50n] }),
      ).ok,
    ).toBe(true);
    const tf = call(
      bob,
      CASH_ADDRESS,
      encodeFunctionData({
        abi: ERC20_ABI,
        functionName: 'transferFrom',
        args: [alice, CREDITS_ADDRESS, 5n],
      }),
    );
    expect(decodeErrorResult({ abi: ERRORS, data: tf.revertData! })).toMatchObject({
      errorName: 'ERC20InvalidReceiver',
      args: [CREDITS_ADDRESS],
    });
    expect(cash.balanceOf(state, alice)).toBe(1000n);
    for (const m of [CASH_ADDRESS, PROMISES_ADDRESS, ACCOUNTS_ADDRESS, CREDITS_ADDRESS])
      expect(cash.balanceOf(state, m)).toBe(0n);
    // A promise by plain transferFrom (no receiver check in OpenZeppelin's): refused too.
    const promises = modules.require(PROMISES_ADDRESS, Erc721Module);
    const ctx = new CallContext(
      state,
      new GasMeter(1_000_000n),
      { sender: PROMISES_ADDRESS, height: 1n, timeMs: 0n },
      modules,
    );
    promises.mintInternal(ctx, alice, 9n, { energyWh: 1000n });
    const pt = call(
      alice,
      PROMISES_ADDRESS,
      encodeFunctionData({ abi: ERC721_ABI, functionName: 'transferFrom', args: [alice, CASH_ADDRESS, 9n] }),
    );
    expect(decodeErrorResult({ abi: ERRORS, data: pt.revertData! })).toMatchObject({
      errorName: 'ERC721InvalidReceiver',
      args: [CASH_ADDRESS],
    });
    expect(promises.ownerOf(state, 9n)).toBe(alice);
    // Module code (the market's escrow) moves cash to a module address as before.
    cash.transfer(ctx, alice, PROMISES_ADDRESS, 7n);
    expect(cash.balanceOf(state, PROMISES_ADDRESS)).toBe(7n);
    // Plain addresses receive as before.
    expect(
      call(
        alice,
        CASH_ADDRESS,
        encodeFunctionData({ abi: ERC20_ABI, functionName: 'transfer', args: [bob, 10n] }),
      ).ok,
    ).toBe(true);
  });
});
