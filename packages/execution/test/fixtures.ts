// Test fixtures: deterministic keys, a genesis, and signed transaction builders (viem accounts).
import { hexToBytes, keccak256, toHex } from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import type { ExecutionGenesis } from '../src/genesis.ts';
import type { Address } from '../src/module.ts';

export const CHAIN_ID = 1337n;

/** A deterministic test account named `name`. */
export function testAccount(name: string): PrivateKeyAccount & { addr: Address; key: `0x${string}` } {
  const key = keccak256(toHex(`gridledger test key ${name}`));
  const a = privateKeyToAccount(key);
  return Object.assign(a, { addr: a.address.toLowerCase() as Address, key });
}

export const admin = testAccount('admin');
export const issuer = testAccount('issuer');
export const alice = testAccount('alice');
export const bob = testAccount('bob');
export const mallory = testAccount('mallory');

export const genesis: ExecutionGenesis = {
  admin: admin.addr,
  accounts: [
    { address: issuer.addr, roles: ['CASH_ISSUER_ROLE'] },
    { address: alice.addr, roles: ['PARTICIPANT_ROLE'] },
    { address: bob.addr, roles: ['PARTICIPANT_ROLE'] },
  ],
  cash: [
    { address: alice.addr, amount: 1_000_000n },
    { address: bob.addr, amount: 500n },
  ],
};

/** Signs a call as an EIP-1559 transaction (or legacy with `legacy: true`). */
export async function signCall(
  account: PrivateKeyAccount,
  to: Address,
  data: `0x${string}`,
  nonce: number,
  opts: { gas?: bigint; chainId?: bigint; legacy?: boolean } = {},
): Promise<Uint8Array> {
  const chainId = Number(opts.chainId ?? CHAIN_ID);
  const gas = opts.gas ?? 200_000n;
  const signed = opts.legacy
    ? await account.signTransaction({ type: 'legacy', chainId, nonce, gas, gasPrice: 0n, to, data })
    : await account.signTransaction({
        type: 'eip1559',
        chainId,
        nonce,
        gas,
        maxFeePerGas: 0n,
        maxPriorityFeePerGas: 0n,
        to,
        data,
      });
  return hexToBytes(signed);
}
