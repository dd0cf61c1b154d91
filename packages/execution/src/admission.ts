// The state checks of mempool admission and block proposals, against the latest state: a registered
// sender, a nonce not used and not too far ahead (checkTx); the round-robin choice of a block from
// mempool candidates (prepareProposal); and the check of a proposed block's senders, nonces and gas
// (processProposal). Pure functions of the state and the decoded transactions.
import type { Address } from './module.ts';
import { accountsView } from './modules/accounts.ts';
import type { JournaledState } from './state.ts';
import type { DecodeTxResult, SignedTx } from './tx.ts';

/**
 * Why the latest state refuses a transaction at admission (unregistered sender, nonce used or more than
 * `maxNonceGap` ahead of the sender's next one), or undefined when it accepts it.
 */
export function admissionRefusal(
  state: JournaledState,
  tx: SignedTx,
  maxNonceGap: bigint,
): { ok: false; reason: string } | undefined {
  const { from, nonce } = tx;
  if (!accountsView.isRegistered(state, from)) {
    return { ok: false, reason: `sender not registered: ${from} is not a registered account` };
  }
  const next = accountsView.nonce(state, from);
  if (nonce < next) return { ok: false, reason: `nonce too low: next nonce ${next}, tx nonce ${nonce}` };
  if (nonce > next + maxNonceGap) {
    return {
      ok: false,
      reason: `nonce too high: next nonce ${next}, tx nonce ${nonce} (at most ${maxNonceGap} ahead)`,
    };
  }
  return undefined;
}

/**
 * Chooses a block from decoded mempool candidates: valid transactions of registered senders, each
 * sender's in nonce order from its next nonce without gaps or duplicates, taken round-robin across
 * senders (in order of first appearance: every sender's first transaction, then every sender's second,
 * ...), within `maxBytes` and `blockGasLimit`. Returns the chosen transactions' raw bytes.
 */
export function selectProposalTxs(
  state: JournaledState,
  decoded: readonly DecodeTxResult[],
  maxBytes: number,
  blockGasLimit: bigint,
): Uint8Array[] {
  const bySender = new Map<Address, SignedTx[]>();
  for (const r of decoded) {
    if (!r.ok) continue;
    let list = bySender.get(r.tx.from);
    if (list === undefined) {
      if (!accountsView.isRegistered(state, r.tx.from)) continue;
      bySender.set(r.tx.from, (list = []));
    }
    list.push(r.tx);
  }
  // Each sender's executable chain: consecutive nonces from its next one.
  const chains: SignedTx[][] = [];
  for (const [sender, list] of bySender) {
    list.sort((a, b) => (a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0));
    let next = accountsView.nonce(state, sender);
    const chain: SignedTx[] = [];
    for (const tx of list) {
      if (tx.nonce < next) continue;
      if (tx.nonce > next) break;
      chain.push(tx);
      next++;
    }
    if (chain.length > 0) chains.push(chain);
  }
  const out: Uint8Array[] = [];
  let bytes = 0;
  let gas = 0n;
  // A sender whose next transaction does not fit is done (its later nonces cannot go before it).
  let open = chains.map((chain) => ({ chain, at: 0 }));
  while (open.length > 0) {
    const still: typeof open = [];
    for (const c of open) {
      const tx = c.chain[c.at]!;
      if (bytes + tx.raw.length > maxBytes || gas + tx.gasLimit > blockGasLimit) continue;
      out.push(tx.raw);
      bytes += tx.raw.length;
      gas += tx.gasLimit;
      if (++c.at < c.chain.length) still.push(c);
    }
    open = still;
  }
  return out;
}

/**
 * Whether a proposed block is acceptable: every transaction decodes and checks, comes from a registered
 * sender with exactly its next nonce (counting earlier transactions of the block), and the gas limits
 * fit `blockGasLimit`.
 */
export function isAcceptableProposal(
  state: JournaledState,
  decoded: readonly DecodeTxResult[],
  blockGasLimit: bigint,
): boolean {
  const next = new Map<Address, bigint>();
  let gas = 0n;
  for (const r of decoded) {
    if (!r.ok) return false;
    const { from, nonce, gasLimit } = r.tx;
    if (!accountsView.isRegistered(state, from)) return false;
    const expected = next.get(from) ?? accountsView.nonce(state, from);
    if (nonce !== expected) return false;
    next.set(from, nonce + 1n);
    gas += gasLimit;
    if (gas > blockGasLimit) return false;
  }
  return true;
}
