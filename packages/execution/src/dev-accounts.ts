// Developer accounts for `gridledger init --dev`: well-known keys (derived from a public seed, like
// Hardhat's) for an admin, a cash issuer, a grid operator, a meter and a few participants, the matching
// genesis app state (all registered with their roles, all funded with cash), and the two files a
// developer's tools read: DIR/dev-accounts.json (DEVELOPMENT ONLY: the private keys are public) and
// DIR/addresses.json (every token and module address by name). Also the JSON codec of the genesis.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@gridledger/base';
import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { MODULE_ADDRESSES } from './addresses.ts';
import { CASH_DECIMALS, type ExecutionGenesis } from './genesis.ts';
import type { Address } from './module.ts';
import { ROLE_NAMES, type RoleName } from './modules/accounts.ts';

/** One developer account as written to dev-accounts.json. */
export interface DevAccount {
  name: string;
  /** admin, cash-issuer, grid-operator, meter or participant. */
  role: 'admin' | 'cash-issuer' | 'grid-operator' | 'meter' | 'participant';
  address: Address;
  privateKey: `0x${string}`;
}

/** Options of {@link buildDevAccounts}. */
export interface DevAccountsOptions {
  /** Number of participants (default 4). */
  participants?: number;
  /** Cash each account receives at genesis, in micro-units (default 1,000,000 cash = 10^12). */
  cashPerAccount?: bigint;
  /** Seed the keys derive from (default "gridledger dev"); the keys are public either way. */
  seed?: string;
}

const ROLE_OF: Record<DevAccount['role'], RoleName[]> = {
  admin: [],
  'cash-issuer': ['CASH_ISSUER_ROLE'],
  'grid-operator': ['GRID_OPERATOR_ROLE'],
  meter: ['METER_ROLE'],
  participant: ['PARTICIPANT_ROLE'],
};

/**
 * The developer accounts and their genesis (deterministic for a given seed, so every node of a dev
 * testnet derives the same genesis).
 * @example const { accounts, genesis } = buildDevAccounts({ participants: 3 });
 */
export function buildDevAccounts(options: DevAccountsOptions = {}): {
  accounts: DevAccount[];
  genesis: ExecutionGenesis;
} {
  const n = options.participants ?? 4;
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InputError(`dev accounts: expected 1..1000 participants, got ${n}`);
  const cash = options.cashPerAccount ?? 1_000_000n * 10n ** BigInt(CASH_DECIMALS);
  const seed = options.seed ?? 'gridledger dev';
  const make = (name: string, role: DevAccount['role']): DevAccount => {
    const privateKey = keccak256(toHex(`${seed}/${name}`));
    return {
      name,
      role,
      address: privateKeyToAccount(privateKey).address.toLowerCase() as Address,
      privateKey,
    };
  };
  const accounts = [
    make('admin', 'admin'),
    make('cash-issuer', 'cash-issuer'),
    make('grid-operator', 'grid-operator'),
    make('meter-1', 'meter'),
    ...Array.from({ length: n }, (_, i) => make(`participant-${i + 1}`, 'participant')),
  ];
  const genesis: ExecutionGenesis = {
    admin: accounts[0]!.address,
    accounts: accounts.slice(1).map((a) => ({ address: a.address, roles: ROLE_OF[a.role] })),
    cash: accounts.map((a) => ({ address: a.address, amount: cash })),
  };
  return { accounts, genesis };
}

/**
 * Writes DIR/dev-accounts.json (mode 0600) and DIR/addresses.json; returns the genesis app state to
 * put in the node's genesis.
 * @example const genesis = writeDevAccounts(home).genesis;
 */
export function writeDevAccounts(dir: string, options: DevAccountsOptions = {}) {
  const { accounts, genesis } = buildDevAccounts(options);
  const devFile = join(dir, 'dev-accounts.json');
  const addressesFile = join(dir, 'addresses.json');
  const dev = {
    warning:
      'DEVELOPMENT ONLY: these private keys are derived from a public seed and known to everyone. Never use them on a chain that holds anything of value.',
    accounts,
  };
  writeFileSync(devFile, `${JSON.stringify(dev, null, 2)}\n`, { mode: 0o600 });
  writeFileSync(addressesFile, `${JSON.stringify(MODULE_ADDRESSES, null, 2)}\n`);
  return { accounts, genesis, files: { devAccounts: devFile, addresses: addressesFile } };
}

/** The genesis as JSON (amounts as decimal strings), for the node's genesis file. */
export function encodeGenesisJson(g: ExecutionGenesis) {
  return {
    admin: g.admin,
    accounts: g.accounts.map((a) => ({ address: a.address, roles: [...a.roles] })),
    cash: g.cash.map((c) => ({ address: c.address, amount: c.amount.toString() })),
    ...(g.promises && g.promises.length > 0
      ? { promises: g.promises.map((p) => ({ to: p.to, tokenId: p.tokenId.toString() })) }
      : {}),
  };
}

/** Parses and checks the genesis JSON; throws {@link InputError} saying which field is wrong. */
export function decodeGenesisJson(json: unknown): ExecutionGenesis {
  const addr = (v: unknown, where: string): Address => {
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v))
      throw new InputError(`genesis ${where}: expected a 0x address, got ${JSON.stringify(v)}`);
    return v.toLowerCase() as Address;
  };
  if (json === null || typeof json !== 'object')
    throw new InputError('genesis: expected an object {admin, accounts, cash}');
  const o = json as Record<string, unknown>;
  if (!Array.isArray(o.accounts) || !Array.isArray(o.cash))
    throw new InputError('genesis: expected arrays "accounts" and "cash"');
  return {
    admin: addr(o.admin, 'admin'),
    accounts: o.accounts.map((a: unknown, i) => {
      const r = a as { address?: unknown; roles?: unknown };
      if (!Array.isArray(r.roles) || !r.roles.every((x) => (ROLE_NAMES as readonly unknown[]).includes(x))) {
        throw new InputError(`genesis accounts[${i}].roles: expected a list of ${ROLE_NAMES.join(', ')}`);
      }
      return { address: addr(r.address, `accounts[${i}].address`), roles: r.roles as RoleName[] };
    }),
    cash: o.cash.map((c: unknown, i) => {
      const r = c as { address?: unknown; amount?: unknown };
      if (typeof r.amount !== 'string' || !/^[0-9]{1,78}$/.test(r.amount)) {
        throw new InputError(
          `genesis cash[${i}].amount: expected a decimal integer string, got ${JSON.stringify(r.amount)}`,
        );
      }
      return { address: addr(r.address, `cash[${i}].address`), amount: BigInt(r.amount) };
    }),
    ...(o.promises === undefined
      ? {}
      : {
          promises: (Array.isArray(o.promises) ? o.promises : [null]).map((p: unknown, i) => {
            const r = (p ?? {}) as { to?: unknown; tokenId?: unknown };
            if (typeof r.tokenId !== 'string' || !/^[0-9]{1,78}$/.test(r.tokenId)) {
              throw new InputError(
                `genesis promises[${i}].tokenId: expected a decimal integer string, got ${JSON.stringify(r.tokenId)}`,
              );
            }
            return { to: addr(r.to, `promises[${i}].to`), tokenId: BigInt(r.tokenId) };
          }),
        }),
  };
}
