// Every error execution throws on purpose is a GridledgerError with a stable code and a message that says
// what to do: reverts and out-of-gas (control flow of a call), misuse of the module framework, a closed
// recovery pool, and a genesis with an unknown role.
import { GridledgerError, InputError } from '@gridledger/base';
import { parseAbi } from 'viem';
import { describe, expect, it } from 'vitest';
import { OutOfGas } from './gas.ts';
import { AbiModule, ModuleRegistry, prepareEvent, Revert, revertReason } from './module.ts';
import { applyAccountsGenesis, type RoleName } from './modules/accounts.ts';
import { JournaledState } from './state.ts';

describe('execution errors', () => {
  it('reverts and out-of-gas are GridledgerErrors with codes and keep their data', () => {
    const r = revertReason('nope');
    expect(r).toBeInstanceOf(GridledgerError);
    expect(r.code).toBe('E_REVERT');
    expect(r.data.startsWith('0x08c379a0')).toBe(true);
    expect(new Revert('0x').message).toBe('execution reverted');
    const g = new OutOfGas(10n, 3n);
    expect(g).toBeInstanceOf(GridledgerError);
    expect(g.code).toBe('E_OUT_OF_GAS');
    expect([g.needed, g.left]).toEqual([10n, 3n]);
    expect(g.message).toBe("out of gas: needed 10, 3 left (raise the transaction's gas limit)");
  });

  it('misuse of the module framework throws E_MODULE naming the fix', () => {
    const abi = parseAbi(['function a() view returns (uint256)', 'event E(uint256 x)']);
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as GridledgerError;
      }
      throw new Error('expected a throw');
    };
    const noEvent = err(() => prepareEvent(abi, 'F'));
    expect(noEvent.code).toBe('E_MODULE');
    expect(noEvent.message).toMatch(/the ABI has no event named "F"/);
    const noHandler = err(() => new AbiModule('m', '0x0000000000000000000000000000000000000001', abi, {}));
    expect(noHandler.code).toBe('E_MODULE');
    expect(noHandler.message).toMatch(
      /declares a\(\) but no handler was given \(add one keyed "a\(\)" or "a"\)/,
    );
    const m = new AbiModule('m', '0x0000000000000000000000000000000000000001', abi, { a: () => [1n] });
    const reg = new ModuleRegistry().add(m);
    const dup = err(() => reg.add(m));
    expect(dup.code).toBe('E_MODULE');
    expect(dup.message).toMatch(/already holds module m/);
    const missing = err(() => reg.require('0x0000000000000000000000000000000000000002', AbiModule));
    expect(missing.code).toBe('E_MODULE');
    expect(missing.message).toMatch(/no AbiModule at 0x0+2 \(no module there;/);
  });

  it('a genesis with an unknown role is an InputError listing the roles', () => {
    const state = new JournaledState();
    const admin = '0x00000000000000000000000000000000000000aa';
    expect(() =>
      applyAccountsGenesis(state, {
        admin,
        accounts: [{ address: admin, roles: ['king' as RoleName] }],
      }),
    ).toThrow(InputError);
    expect(() =>
      applyAccountsGenesis(state, { admin, accounts: [{ address: admin, roles: ['king' as RoleName] }] }),
    ).toThrow(/unknown role king for 0x0+aa \(expected one of /);
  });
});
