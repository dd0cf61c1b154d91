// The accounts and permissions module (0x…1000): genesis names an admin; the admin registers and
// removes accounts and grants and revokes roles. Only registered accounts may send transactions (the
// application checks `isRegistered` at checkTx and again at execution); receiving needs no
// registration. Also keeps every account's transaction nonce. Reverts carry Error(string) reasons.
// State keys (values uint256):
//   <addr>:admin                      the admin, as uint160
//   <addr>:reg:<account>              1 when registered
//   <addr>:role:<ROLE_NAME>:<account> 1 when the account holds the role
//   <addr>:nonce:<account>            next nonce
import { InputError } from '@gridledger/base';
import { keccak256, parseAbi, toHex } from 'viem';
import { ACCOUNTS_ADDRESS } from '../addresses.ts';
import {
  AbiModule,
  type Address,
  addressToValue,
  type CallContext,
  prepareEvent,
  revertReason,
  valueToAddress,
  ZERO_ADDRESS,
} from '../module.ts';
import type { JournaledState } from '../state.ts';

/** The platform's roles. */
export const ROLE_NAMES = [
  'PARTICIPANT_ROLE',
  'METER_ROLE',
  'GRID_OPERATOR_ROLE',
  'CASH_ISSUER_ROLE',
] as const;
/** A role name. */
export type RoleName = (typeof ROLE_NAMES)[number];
/** Role ids as Solidity's AccessControl writes them: keccak256 of the name. */
export const ROLES: Record<RoleName, `0x${string}`> = Object.fromEntries(
  ROLE_NAMES.map((n) => [n, keccak256(toHex(n))]),
) as Record<RoleName, `0x${string}`>;
const ROLE_BY_ID = new Map<string, RoleName>(ROLE_NAMES.map((n) => [ROLES[n], n]));

/** The accounts module's ABI. */
export const ACCOUNTS_ABI = parseAbi([
  'function admin() view returns (address)',
  'function isRegistered(address account) view returns (bool)',
  'function hasRole(bytes32 role, address account) view returns (bool)',
  'function nonceOf(address account) view returns (uint256)',
  'function register(address account)',
  'function remove(address account)',
  'function grantRole(bytes32 role, address account)',
  'function revokeRole(bytes32 role, address account)',
  'function transferAdmin(address newAdmin)',
  'event AccountRegistered(address indexed account)',
  'event AccountRemoved(address indexed account)',
  'event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)',
  'event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)',
  'event AdminTransferred(address indexed previousAdmin, address indexed newAdmin)',
]);

const EV = {
  registered: prepareEvent(ACCOUNTS_ABI, 'AccountRegistered'),
  removed: prepareEvent(ACCOUNTS_ABI, 'AccountRemoved'),
  granted: prepareEvent(ACCOUNTS_ABI, 'RoleGranted'),
  revoked: prepareEvent(ACCOUNTS_ABI, 'RoleRevoked'),
  admin: prepareEvent(ACCOUNTS_ABI, 'AdminTransferred'),
};

const A = ACCOUNTS_ADDRESS;
/** State key of the admin. */
export const adminKey = `${A}:admin`;
/** State key of an account's registration flag. */
export const registeredKey = (a: Address) => `${A}:reg:${a}`;
/** State key of an account's role flag. */
export const roleKey = (role: RoleName, a: Address) => `${A}:role:${role}:${a}`;
/** State key of an account's next nonce. */
export const nonceKey = (a: Address) => `${A}:nonce:${a}`;

/** Unmetered reads for the application (checkTx, RPC). */
export const accountsView = {
  isRegistered: (s: JournaledState, a: Address) => s.get(registeredKey(a)) === 1n,
  hasRole: (s: JournaledState, role: RoleName, a: Address) => s.get(roleKey(role, a)) === 1n,
  nonce: (s: JournaledState, a: Address) => s.get(nonceKey(a)),
  admin: (s: JournaledState) => valueToAddress(s.get(adminKey)),
};

/** Genesis of the accounts module: the admin and the registered accounts with their roles. */
export interface AccountsGenesis {
  admin: Address;
  accounts: { address: Address; roles: RoleName[] }[];
}

/** Writes the accounts genesis into state (the admin is registered too). */
export function applyAccountsGenesis(s: JournaledState, g: AccountsGenesis): void {
  const admin = g.admin.toLowerCase() as Address;
  s.set(adminKey, addressToValue(admin));
  s.set(registeredKey(admin), 1n);
  for (const acct of g.accounts) {
    const a = acct.address.toLowerCase() as Address;
    s.set(registeredKey(a), 1n);
    for (const r of acct.roles) {
      if (!ROLE_NAMES.includes(r)) {
        throw new InputError(
          `genesis: unknown role ${r} for ${a} (expected one of ${ROLE_NAMES.join(', ')})`,
        );
      }
      s.set(roleKey(r, a), 1n);
    }
  }
}

function onlyAdmin(ctx: CallContext): void {
  if (valueToAddress(ctx.read(adminKey)) !== ctx.sender)
    throw revertReason('accounts: caller is not the admin');
}

function roleOf(id: unknown): RoleName {
  const r = ROLE_BY_ID.get(String(id).toLowerCase());
  if (r === undefined) throw revertReason('accounts: unknown role');
  return r;
}

/** Metered check for other modules: does `a` hold `role`? */
export function hasRole(ctx: CallContext, role: RoleName, a: Address): boolean {
  return ctx.read(roleKey(role, a)) === 1n;
}

/**
 * The accounts module.
 * @example registry.add(new AccountsModule());
 */
export class AccountsModule extends AbiModule {
  constructor() {
    super('accounts', ACCOUNTS_ADDRESS, ACCOUNTS_ABI, {
      admin: (ctx) => [valueToAddress(ctx.read(adminKey))],
      isRegistered: (ctx, [a]) => [ctx.read(registeredKey(a as Address)) === 1n],
      hasRole: (ctx, [role, a]) => {
        const r = ROLE_BY_ID.get(String(role).toLowerCase());
        return [r !== undefined && ctx.read(roleKey(r, a as Address)) === 1n];
      },
      nonceOf: (ctx, [a]) => [ctx.read(nonceKey(a as Address))],
      register: (ctx, [a]) => {
        onlyAdmin(ctx);
        const acct = a as Address;
        if (acct === ZERO_ADDRESS) throw revertReason('accounts: zero address');
        if (ctx.read(registeredKey(acct)) === 1n) throw revertReason('accounts: account already registered');
        ctx.write(registeredKey(acct), 1n);
        ctx.emit(A, EV.registered, { account: acct });
        return [];
      },
      remove: (ctx, [a]) => {
        onlyAdmin(ctx);
        const acct = a as Address;
        if (ctx.read(registeredKey(acct)) !== 1n) throw revertReason('accounts: account not registered');
        if (acct === valueToAddress(ctx.read(adminKey)))
          throw revertReason('accounts: cannot remove the admin');
        for (const r of ROLE_NAMES) {
          if (ctx.read(roleKey(r, acct)) === 1n) {
            ctx.write(roleKey(r, acct), 0n);
            ctx.emit(A, EV.revoked, { role: ROLES[r], account: acct, sender: ctx.sender });
          }
        }
        ctx.write(registeredKey(acct), 0n);
        ctx.emit(A, EV.removed, { account: acct });
        return [];
      },
      grantRole: (ctx, [role, a]) => {
        onlyAdmin(ctx);
        const r = roleOf(role);
        const acct = a as Address;
        if (ctx.read(registeredKey(acct)) !== 1n) throw revertReason('accounts: account not registered');
        if (ctx.read(roleKey(r, acct)) !== 1n) {
          ctx.write(roleKey(r, acct), 1n);
          ctx.emit(A, EV.granted, { role: ROLES[r], account: acct, sender: ctx.sender });
        }
        return [];
      },
      revokeRole: (ctx, [role, a]) => {
        onlyAdmin(ctx);
        const r = roleOf(role);
        const acct = a as Address;
        if (ctx.read(roleKey(r, acct)) === 1n) {
          ctx.write(roleKey(r, acct), 0n);
          ctx.emit(A, EV.revoked, { role: ROLES[r], account: acct, sender: ctx.sender });
        }
        return [];
      },
      transferAdmin: (ctx, [a]) => {
        onlyAdmin(ctx);
        const next = a as Address;
        if (next === ZERO_ADDRESS) throw revertReason('accounts: zero address');
        if (ctx.read(registeredKey(next)) !== 1n) throw revertReason('accounts: account not registered');
        ctx.write(adminKey, addressToValue(next));
        ctx.emit(A, EV.admin, { previousAdmin: ctx.sender, newAdmin: next });
        return [];
      },
    });
  }
}
