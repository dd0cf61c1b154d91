// SPDX-License-Identifier: Apache-2.0
// Orders (docs/market-rules.md §10 "Orders"): a registered participant places an order for an interval
// at a bus it may trade at, before the gate; the market escrows cash (buy: ceil(Σ E·p / 10^6); sell:
// collateral ceil(Σ E · shortfall price / 10^6)) with transferFrom, so the owner first approves the
// market on the cash token (EVM difference: the native market moves cash without an allowance).
// Hygiene as native: step bounds, minimum step, per-order cap, self-trade prevention, live-order limit
// (the checks are MarketPlacement's, shared with the sealed bids' reveal).
// Also the market's views (the native ABI's, plus openOrders/orderIds for an off-chain operator).
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {MarketPlacement} from "./MarketPlacement.sol";
import {IMarketBook} from "./interfaces/IClearingSink.sol";

abstract contract MarketOrders is MarketPlacement {
    using Strings for address;
    using Strings for uint256;

    struct OrderView {
        address owner;
        uint64 interval;
        uint256 bus;
        uint8 side;
        uint256 escrow;
        uint8 status;
        uint256 clearedWh;
        int256 priceMicrosPerMWh;
        int256 amount;
    }

    /** Places an order; returns its id. Reverts with the reason, changing nothing, on any bad input. */
    function placeOrder(uint64 interval, uint256 bus, uint8 side, Step[] calldata steps) external returns (uint256 id) {
        (id,) = _placeOrder(msg.sender, interval, bus, side, steps, false);
    }

    /** Cancels one of the caller's open orders before its gate and returns its escrow. */
    function cancelOrder(uint256 id) external {
        Order storage o = _orders[id];
        if (o.owner == address(0)) revert(string.concat("market: unknown order ", id.toString()));
        if (o.owner != msg.sender) revert(string.concat("market: order ", id.toString(), " is not ", msg.sender.toHexString(), "'s"));
        if (o.status != ORDER_OPEN) revert(string.concat("market: order ", id.toString(), " is not open"));
        if (_gateClosed(o.interval)) revert(string.concat("market: gate of interval ", _u(o.interval), " has closed"));
        uint256 escrow = o.escrow;
        o.escrow = 0;
        o.status = ORDER_CANCELLED;
        _live[o.interval][msg.sender] -= 1;
        if (escrow > 0) require(cash.transfer(msg.sender, escrow), "market: the cash token refused the release");
        emit OrderCancelled(id, msg.sender, escrow);
    }

    function order(uint256 id) external view returns (OrderView memory) {
        Order storage o = _orders[id];
        if (o.owner == address(0)) revert(string.concat("market: unknown order ", id.toString()));
        return OrderView(o.owner, o.interval, o.bus, o.side, o.escrow, o.status, o.clearedWh, o.priceMicrosPerMWh, o.amount);
    }

    function orderSteps(uint256 id) external view returns (Step[] memory) {
        Order storage o = _orders[id];
        if (o.owner == address(0)) revert(string.concat("market: unknown order ", id.toString()));
        return o.steps;
    }

    /** Every order id of interval k (any status), ascending. */
    function orderIds(uint64 k) external view returns (uint256[] memory) {
        return _intervals[k].orderIds;
    }

    /** The interval's open orders, ascending id: the clearing's input (IMarketBook). */
    function openOrders(uint64 k) external view returns (IMarketBook.BookOrder[] memory out) {
        uint256[] storage ids = _intervals[k].orderIds;
        uint256 n;
        for (uint256 i = 0; i < ids.length; i++) if (_orders[ids[i]].status == ORDER_OPEN) n++;
        out = new IMarketBook.BookOrder[](n);
        uint256 w;
        for (uint256 i = 0; i < ids.length; i++) {
            Order storage o = _orders[ids[i]];
            if (o.status != ORDER_OPEN) continue;
            IMarketBook.Step[] memory steps = new IMarketBook.Step[](o.steps.length);
            for (uint256 j = 0; j < steps.length; j++) steps[j] = IMarketBook.Step(o.steps[j].energyWh, o.steps[j].priceMicrosPerMWh);
            out[w++] = IMarketBook.BookOrder(ids[i], o.owner, o.bus, o.side, steps);
        }
    }

    /** A page of the open orders with their escrows (IMarketBook.bookPage): the verifier's chunks read it. */
    function bookPage(uint64 k, uint256 cursor, uint256 max)
        external
        view
        returns (IMarketBook.BookOrder[] memory out, uint256[] memory escrows, uint256 next)
    {
        uint256[] storage ids = _intervals[k].orderIds;
        uint256 left = cursor < ids.length ? ids.length - cursor : 0;
        if (max > left) max = left;
        out = new IMarketBook.BookOrder[](max);
        escrows = new uint256[](max);
        uint256 w;
        next = cursor;
        while (next < ids.length && w < max) {
            Order storage o = _orders[ids[next]];
            next++;
            if (o.status != ORDER_OPEN) continue;
            IMarketBook.Step[] memory steps = new IMarketBook.Step[](o.steps.length);
            for (uint256 j = 0; j < steps.length; j++) steps[j] = IMarketBook.Step(o.steps[j].energyWh, o.steps[j].priceMicrosPerMWh);
            out[w] = IMarketBook.BookOrder(ids[next - 1], o.owner, o.bus, o.side, steps);
            escrows[w++] = o.escrow;
        }
        assembly {
            mstore(out, w)
            mstore(escrows, w)
        }
    }

    function intervalState(uint64 k) external view returns (uint8 status, int256 congestionRent, uint256 orders, uint256 promiseCount) {
        IntervalRecord storage r = _intervals[k];
        return (r.status, r.congestionRent, r.orderIds.length, r.promises);
    }

    function lmp(uint64 k, uint256 bus) external view returns (int256) {
        uint8 st = _intervals[k].status;
        if ((st != INTERVAL_CLEARED && st != INTERVAL_SETTLED) || !_priced[k][bus]) {
            revert(string.concat("market: interval ", _u(k), " has no prices"));
        }
        return _lmp[k][bus];
    }

    /** A bus's price range of a cleared interval (open end: ±(2^127 − 1)). */
    function lmpRange(uint64 k, uint256 bus) external view returns (int256 low, int256 high) {
        if (!_priced[k][bus]) revert(string.concat("market: interval ", _u(k), " has no prices"));
        return (_lmpLow[k][bus], _lmpHigh[k][bus]);
    }

    /** Cleared flows per branch of a cleared interval, W (branch index − 1). */
    function flows(uint64 k) external view returns (int256[] memory) {
        return _flows[k];
    }

    // ---- views for the market-view adapter (evmstart: packages/client/src/evm-market-views.ts) ----
    /** Interval k's promise ids (first, count) and the upstream's cleared import and export, Wh. */
    function intervalRecord(uint64 k)
        external
        view
        returns (uint256 firstPromise, uint256 promiseCount, uint256 upstreamImportWh, uint256 upstreamExportWh)
    {
        IntervalRecord storage r = _intervals[k];
        return (r.firstPromise, r.promises, r.upstreamImportWh, r.upstreamExportWh);
    }
    // ---- end of the market-view adapter's views ----

    function promiseOf(uint256 tokenId) external view returns (PromiseRecord memory) {
        PromiseRecord storage p = _promises[tokenId];
        if (p.buyer == address(0)) revert(string.concat("market: unknown promise ", tokenId.toString()));
        return p;
    }
}
