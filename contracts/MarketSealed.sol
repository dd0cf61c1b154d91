// SPDX-License-Identifier: Apache-2.0
// Sealed bids (commit-reveal, docs/market-rules.md §6b; the native packages/energy/src/sealed-orders.ts),
// on a market whose configuration has sealed.revealWindowMs > 0. Before an interval's gate a participant
// commits keccak256(abi.encode(owner, interval, bus, side, steps, salt)) with a cash deposit (transferFrom:
// the owner approves the market first); from the gate until the reveal window closes it reveals the order
// and salt, and the order enters the book exactly as placeOrder would place it (every check of
// MarketOrders), its escrow taken from the deposit and the rest refunded. When the window has closed the
// first clearing call (applyClearing, failClearing, expireClearing) or anyone's closeReveal forfeits
// floor(deposit · forfeitBps / 10^4) of every unrevealed commitment to the grid operator and returns the
// rest (EVM difference: there is no begin-block step). The storage, the views and the forfeit loop are in
// MarketBase, which the market and its engines share. Like MarketEngine, this is a separate contract
// (EIP-170 code-size limit), deployed with the market's arguments and run by the Market through
// delegatecall on its own storage; called directly it acts on its own empty storage. It also carries the
// market's `meteredInjections` view (MarketInjections), which the real-time engine has no room for.
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Credits} from "./Credits.sol";
import {MarketBase} from "./MarketBase.sol";
import {MarketInjections} from "./MarketMetering.sol";
import {MarketPlacement} from "./MarketPlacement.sol";
import {Meters} from "./Meters.sol";
import {Promises} from "./Promises.sol";
import {Registry} from "./Registry.sol";

contract MarketSealed is MarketPlacement, MarketInjections {
    using Strings for address;
    using Strings for uint256;

    constructor(Config memory c, IERC20 cash_, Registry registry_, Meters meters_, Promises promises_, Credits credits_)
        MarketBase(c, cash_, registry_, meters_, promises_, credits_)
    {}

    function _requireSealed() private view {
        if (_config.sealedBids.revealWindowMs == 0) revert("market: this market has no sealed bids; place orders with placeOrder");
    }

    /** The caller's commitment `id` that is still committed, or reverts with the reason. */
    function _ownCommitment(uint256 id) private view returns (Commitment storage c) {
        c = _commits[id];
        if (c.owner == address(0)) revert(string.concat("market: unknown commitment ", id.toString()));
        if (c.owner != msg.sender) revert(string.concat("market: commitment ", id.toString(), " is not ", msg.sender.toHexString(), "'s"));
        if (c.status != COMMIT_COMMITTED) {
            revert(string.concat("market: commitment ", id.toString(), " is ", _commitStatusName(c.status), ", not committed"));
        }
    }

    function _commitStatusName(uint8 s) private pure returns (string memory) {
        if (s == COMMIT_REVEALED) return "revealed";
        if (s == COMMIT_CANCELLED) return "cancelled";
        if (s == COMMIT_FORFEITED) return "forfeited";
        return "committed";
    }

    /** Commits to an order of `interval` before its gate with a cash deposit > 0; returns its id. */
    function commitOrder(uint64 interval, bytes32 commitment_, uint256 deposit) external returns (uint256 id) {
        _requireSealed();
        address who = msg.sender;
        Config storage c = _config;
        if (!registry.isParticipant(who)) revert(string.concat("market: ", who.toHexString(), " is not a registered participant"));
        _refuseDefaulter(who);
        if (interval < c.firstInterval) {
            revert(string.concat("market: interval ", _u(interval), " is before the market's first interval ", _u(c.firstInterval)));
        }
        if (_gateClosed(interval) || _intervals[interval].status != 0) {
            (uint256 gate,,,) = clock(interval);
            revert(string.concat(
                "market: gate of interval ", _u(interval), " closed at ", gate.toString(), " ms, market time is ",
                marketTimeMs().toString(), "; commitments are taken before the gate"
            ));
        }
        if (commitment_ == bytes32(0)) revert("market: the commitment must not be zero");
        if (_commitByHash[who][commitment_] != 0) {
            revert(string.concat("market: ", who.toHexString(), " already made commitment ", uint256(commitment_).toHexString(32)));
        }
        if (deposit == 0) revert("market: a commitment needs a deposit > 0");
        if (deposit > type(uint128).max) revert("market: a deposit must be below 2^128");
        uint256 live = _liveCommits[interval][who];
        if (live >= c.maxOrdersPerAccount) {
            revert(string.concat("market: ", who.toHexString(), " already has ", live.toString(), " commitments in interval ", _u(interval), " (limit ", _u(c.maxOrdersPerAccount), ")"));
        }
        uint256 balance = cash.balanceOf(who);
        if (balance < deposit) {
            revert(string.concat("market: deposit of ", deposit.toString(), " exceeds the cash balance ", balance.toString(), " of ", who.toHexString()));
        }
        uint256 allowed = cash.allowance(who, address(this));
        if (allowed < deposit) {
            revert(string.concat("market: deposit of ", deposit.toString(), " exceeds the allowance ", allowed.toString(), " of ", who.toHexString(), " to the market (approve the market on the cash token)"));
        }
        require(cash.transferFrom(who, address(this), deposit), "market: the cash token refused the deposit transfer");
        id = nextCommitId++;
        Commitment storage m = _commits[id];
        m.owner = who;
        m.interval = interval;
        m.status = COMMIT_COMMITTED;
        m.hash = commitment_;
        m.deposit = uint128(deposit);
        _commitByHash[who][commitment_] = id;
        _intervalCommits[interval].push(id);
        _liveCommits[interval][who] = live + 1;
        emit OrderCommitted(id, who, interval, commitment_, deposit);
    }

    /**
     * Reveals commitment `commitId` in its reveal window: the order enters the book as placeOrder would
     * place it, its escrow taken from the deposit and the rest refunded; returns the order's id.
     */
    function revealOrder(uint256 commitId, uint256 bus, uint8 side, Step[] calldata steps, bytes32 salt)
        external
        returns (uint256 orderId)
    {
        _requireSealed();
        Commitment storage m = _ownCommitment(commitId);
        uint64 k = m.interval;
        int256 now_ = int256(marketTimeMs());
        int256 opens = _gateMs(k);
        int256 closes = _clearingMs(k);
        if (now_ < opens) {
            revert(string.concat("market: the reveal window of interval ", _u(k), " opens at its gate (", _nonNeg(opens).toString(), " ms); market time is ", uint256(now_).toString()));
        }
        if (now_ >= closes || revealClosed[k]) {
            revert(string.concat("market: the reveal window of interval ", _u(k), " closed at ", _nonNeg(closes).toString(), " ms; market time is ", uint256(now_).toString()));
        }
        if (keccak256(abi.encode(msg.sender, k, bus, side, steps, salt)) != m.hash) {
            revert(string.concat("market: the revealed order and salt do not match commitment ", commitId.toString()));
        }
        uint256 deposit = m.deposit;
        if (side <= 1) {
            uint256 value;
            uint256 total;
            for (uint256 j = 0; j < steps.length; j++) {
                total += steps[j].energyWh;
                value += uint256(steps[j].energyWh) * steps[j].priceMicrosPerMWh;
            }
            uint256 need = _escrowOf(side, value, total);
            if (need > deposit) {
                revert(string.concat("market: the revealed order needs an escrow of ", need.toString(), ", more than commitment ", commitId.toString(), "'s deposit ", deposit.toString()));
            }
        }
        uint256 escrow;
        (orderId, escrow) = _placeOrder(msg.sender, k, bus, side, steps, true);
        m.deposit = 0;
        m.status = COMMIT_REVEALED;
        m.order = uint128(orderId);
        uint256 refund = deposit - escrow;
        if (refund > 0) require(cash.transfer(msg.sender, refund), "market: the cash token refused the refund");
        emit OrderRevealed(commitId, orderId, msg.sender, refund);
    }

    /** Cancels one of the caller's commitments before its gate and returns the whole deposit. */
    function cancelCommitment(uint256 commitId) external {
        _requireSealed();
        Commitment storage m = _ownCommitment(commitId);
        uint64 k = m.interval;
        if (_gateClosed(k)) revert(string.concat("market: gate of interval ", _u(k), " has closed; reveal the order instead"));
        uint256 deposit = m.deposit;
        m.deposit = 0;
        m.status = COMMIT_CANCELLED;
        _liveCommits[k][msg.sender] -= 1;
        require(cash.transfer(msg.sender, deposit), "market: the cash token refused the release");
        emit CommitmentCancelled(commitId, msg.sender, deposit);
    }

    /**
     * Anyone, once interval k's reveal window has closed: forfeits the unrevealed commitments (EVM
     * addition; the first clearing call of the interval does the same when nobody has).
     */
    function closeReveal(uint64 k) external {
        _requireSealed();
        if (int256(marketTimeMs()) < _clearingMs(k)) {
            revert(string.concat("market: the reveal window of interval ", _u(k), " closes at ", _nonNeg(_clearingMs(k)).toString(), " ms; market time is ", marketTimeMs().toString()));
        }
        if (revealClosed[k]) revert(string.concat("market: the reveal window of interval ", _u(k), " is already closed"));
        _closeReveal(k);
    }
}
