// The contract tests' assertion that a call reverts with its reason (by eth_call, and mined as reverted
// when sent anyway at the same block time) and changes nothing (a probe of views reads the same).

import type { PrivateKeyAccount } from 'viem/accounts';
import { expect } from 'vitest';
import { type Call, holdTime, type Probe, revertReason, type World } from './world.ts';

/**
 * Expects `call` from `from` to revert with a reason containing `reason`: by eth_call, and when sent anyway
 * (fixed gas, no estimate) mined as reverted; and `probe` to read the same before and after.
 */
export async function expectRevert(
  w: World,
  from: PrivateKeyAccount,
  call: Call,
  reason: string,
  probe: Probe,
): Promise<void> {
  const before = await probe();
  expect(await revertReason(w, from, call)).toContain(reason);
  const c = await w.clients(from);
  await holdTime(w);
  const hash = await c.wallet.writeContract({ ...call, gas: 3_000_000n } as Parameters<
    typeof c.wallet.writeContract
  >[0]);
  const r = await c.public.waitForTransactionReceipt({ hash });
  expect(r.status).toBe('reverted');
  expect(await probe()).toEqual(before);
}
