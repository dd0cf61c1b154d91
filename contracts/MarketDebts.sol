// SPDX-License-Identifier: Apache-2.0
// The debt ledger (docs/market-rules.md §10a "Collateral and debts"; the native
// packages/energy/src/debts.ts, same events and rules): an obligation that cannot be paid when it falls due
// is kept as a claim debtor → creditor in the debtor's first-in first-out queue instead of being dropped.
// Every receipt of an indebted account is netted against its claims (its creditors are paid first, oldest
// claim first, each creditor's share in turn netted against its own claims, at most MAX_NETTING_DEPTH deep)
// before the rest reaches it. An account with any debt is in default: placeOrder, a sealed bid's reveal
// and commitOrder are refused (MarketBase._refuseDefaulter) until it pays with payDebts() or receipts net
// it out. "Cash" of an account on an EVM chain is what the market may move: min(balance, allowance to the
// market). Money is never created: a claim is a record; paying one moves cash from the debtor (or from
// what the market was about to pay it) to the creditor. Storage: MarketBase's "Debt ledger" block.
// Internal only, plus payDebts(): MarketRealtime inherits it and the Market delegates payDebts to it.
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {MarketBase} from "./MarketBase.sol";

abstract contract MarketDebts is MarketBase {
    using Strings for address;
    using Strings for uint256;

    /** How deep a receipt is passed on to a creditor's own creditors (bounds the work of one payment), as native. */
    uint256 private constant MAX_NETTING_DEPTH = 4;

    /**
     * Pays the caller's claims, oldest first, from its cash as far as it goes (min(balance, allowance to
     * the market)); returns what it paid. Nothing owed: returns 0 and changes nothing (as native). Owing
     * with no cash the market may take: reverts with the reason, changing nothing.
     */
    function payDebts() external returns (uint256 paid) {
        address who = msg.sender;
        uint256 debt = _debt[who];
        if (debt == 0) return 0;
        uint256 can = _cashFor(who, debt);
        if (can == 0) {
            revert(string.concat(
                "market: ", who.toHexString(), " owes ", debt.toString(), " but the market may take none of its cash (balance ",
                cash.balanceOf(who).toString(), ", allowance ", cash.allowance(who, address(this)).toString(),
                "): approve the market on the cash token, then call payDebts()"
            ));
        }
        paid = _settleClaims(who, can, who, 1);
    }

    /**
     * Records that `debtor` owes `creditor` `amount` µ$ (an obligation of interval `k` it could not pay
     * now). Nothing moves.
     */
    function _recordDebt(address debtor, address creditor, uint256 amount, uint64 k, string memory reason) internal {
        if (amount == 0 || debtor == creditor) return;
        _claims[debtor].push(Claim(creditor, amount));
        _debt[debtor] += amount;
        _due[creditor] += amount;
        totalDebts += amount;
        emit DebtRecorded(debtor, creditor, k, amount, reason);
    }

    /**
     * Pays `amount` from `from` (the market itself: its own cash; else by transferFrom, which the caller
     * checked `from` can cover) to `to`, netted against `to`'s claims: its creditors first, oldest claim
     * first, the rest to `to`. Returns what reached `to` itself.
     */
    function _payNetOfDebts(address from, address to, uint256 amount, uint256 depth) internal returns (uint256 rest) {
        if (amount == 0) return 0;
        rest = amount;
        if (depth < MAX_NETTING_DEPTH && _debt[to] > 0) rest -= _settleClaims(to, rest, from, depth + 1);
        if (rest > 0 && from != to) _move(from, to, rest);
    }

    /**
     * Takes up to `budget` off `debtor`'s claims in queue order; each part is paid from `from` to the
     * claim's creditor (netted against the creditor's own claims at `depth`). Returns the amount used.
     */
    function _settleClaims(address debtor, uint256 budget, address from, uint256 depth) private returns (uint256 used) {
        Claim[] storage q = _claims[debtor];
        uint256 head = _claimHead[debtor];
        while (head < q.length && used < budget) {
            Claim storage c = q[head];
            uint256 owed = c.amount;
            address creditor = c.creditor;
            uint256 x = owed < budget - used ? owed : budget - used;
            c.amount = owed - x;
            _debt[debtor] -= x;
            _due[creditor] -= x;
            totalDebts -= x;
            used += x;
            if (owed == x) {
                delete q[head];
                head++;
            }
            // the head is stored before the payment: a cycle of claims may come back to this queue
            _claimHead[debtor] = head;
            emit DebtPaid(debtor, creditor, x);
            _payNetOfDebts(from, creditor, x, depth);
            head = _claimHead[debtor];
        }
    }

    function _move(address from, address to, uint256 amount) private {
        if (from == address(this)) require(cash.transfer(to, amount), "market: the cash token refused a payment");
        else require(cash.transferFrom(from, to, amount), "market: the cash token refused a payment");
    }

    /** How much of `want` the market may move from `from` now (its balance and its allowance to the market). */
    function _cashFor(address from, uint256 want) internal view returns (uint256) {
        uint256 b = cash.balanceOf(from);
        uint256 a = cash.allowance(from, address(this));
        uint256 m = b < a ? b : a;
        return m < want ? m : want;
    }
}
