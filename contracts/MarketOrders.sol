// SPDX-License-Identifier: Apache-2.0
// Orders (docs/market-rules.md §10 "Orders"): a registered participant places an order for an interval
// at a bus it may trade at, before the gate; the market escrows cash (buy: ceil(Σ E·p / 10^6); sell:
// collateral ceil(Σ E · shortfall price / 10^6)) with transferFrom, so the owner first approves the
// market on the cash token (EVM difference: the native market moves cash without an allowance).
// Hygiene as native: step bounds, minimum step, per-order cap, self-trade prevention, live-order limit.
// Also the market's views (the native ABI's, plus openOrders/orderIds for an off-chain operator).
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {MarketBase} from "./MarketBase.sol";
import {IMarketBook} from "./interfaces/IClearingSink.sol";

abstract contract MarketOrders is MarketBase {
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
        address who = msg.sender;
        Config storage c = _config;
        if (!registry.isParticipant(who)) revert(string.concat("market: ", who.toHexString(), " is not a registered participant"));
        if (side > 1) revert(string.concat("market: side must be 0 (buy) or 1 (sell), got ", uint256(side).toString()));
        if (interval < c.firstInterval) {
            revert(string.concat("market: interval ", _u(interval), " is before the market's first interval ", _u(c.firstInterval)));
        }
        if (_gateClosed(interval) || _intervals[interval].status != 0) {
            (uint256 gate,,,) = clock(interval);
            revert(string.concat("market: gate of interval ", _u(interval), " closed at ", gate.toString(), " ms, market time is ", marketTimeMs().toString()));
        }
        if (bus > type(uint64).max || !registry.hasBus(bus)) revert(string.concat("market: unknown bus ", bus.toString()));
        if (!registry.canTrade(who, bus)) revert(string.concat("market: ", who.toHexString(), " may not trade at bus ", bus.toString()));
        uint256 n = steps.length;
        if (n == 0 || n > c.maxStepsPerOrder) {
            revert(string.concat("market: expected 1..", _u(c.maxStepsPerOrder), " steps, got ", n.toString()));
        }
        uint256 total;
        uint256 value;
        uint256 maxP;
        uint256 minP = type(uint256).max;
        for (uint256 j = 0; j < n; j++) {
            Step calldata s = steps[j];
            if (s.energyWh < c.minStepWh || s.energyWh > MAX_STEP_WH) {
                revert(string.concat("market: step ", (j + 1).toString(), ": energyWh must be in ", _u(c.minStepWh), "..", MAX_STEP_WH.toString(), ", got ", _u(s.energyWh)));
            }
            if (s.priceMicrosPerMWh > MAX_PRICE_MICROS_PER_MWH) {
                revert(string.concat("market: step ", (j + 1).toString(), ": price must be <= ", MAX_PRICE_MICROS_PER_MWH.toString(), ", got ", _u(s.priceMicrosPerMWh)));
            }
            total += s.energyWh;
            value += uint256(s.energyWh) * s.priceMicrosPerMWh;
            if (s.priceMicrosPerMWh > maxP) maxP = s.priceMicrosPerMWh;
            if (s.priceMicrosPerMWh < minP) minP = s.priceMicrosPerMWh;
        }
        if (c.maxOrderWh != 0 && total > c.maxOrderWh) {
            revert(string.concat("market: the order's ", total.toString(), " Wh exceed the cap of ", _u(c.maxOrderWh), " Wh per order"));
        }
        _checkSelfTrade(interval, who, bus, side, maxP, minP);
        uint256 live = _live[interval][who];
        if (live >= c.maxOrdersPerAccount) {
            revert(string.concat("market: ", who.toHexString(), " already has ", live.toString(), " orders in interval ", _u(interval), " (limit ", _u(c.maxOrdersPerAccount), ")"));
        }
        uint256 escrow = side == 0 ? _ceilDiv(value, WH_PER_MWH) : _ceilDiv(total * c.shortfallPriceMicrosPerMWh, WH_PER_MWH);
        if (escrow > 0) {
            uint256 balance = cash.balanceOf(who);
            if (balance < escrow) {
                revert(string.concat("market: escrow of ", escrow.toString(), " exceeds the cash balance ", balance.toString(), " of ", who.toHexString()));
            }
            uint256 allowed = cash.allowance(who, address(this));
            if (allowed < escrow) {
                revert(string.concat("market: escrow of ", escrow.toString(), " exceeds the allowance ", allowed.toString(), " of ", who.toHexString(), " to the market (approve the market on the cash token)"));
            }
            require(cash.transferFrom(who, address(this), escrow), "market: the cash token refused the escrow transfer");
        }
        id = nextOrderId++;
        Order storage o = _orders[id];
        o.owner = who;
        o.interval = interval;
        o.side = side;
        o.status = ORDER_OPEN;
        o.bus = uint64(bus);
        o.escrow = uint128(escrow); // <= maxSteps · 10^12 · 10^12 / 10^6
        for (uint256 j = 0; j < n; j++) o.steps.push(steps[j]);
        _intervals[interval].orderIds.push(id);
        _live[interval][who] = live + 1;
        _own[interval][who][bus][side].push(id);
        emit OrderPlaced(id, who, interval, bus, side, escrow);
    }

    function _ceilDiv(uint256 a, uint256 b) private pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    /** Refuses an order that would cross one of the owner's open orders of the other side (bid >= offer). */
    function _checkSelfTrade(uint64 k, address who, uint256 bus, uint8 side, uint256 maxP, uint256 minP) private view {
        uint256[] storage others = _own[k][who][bus][1 - side];
        for (uint256 i = 0; i < others.length; i++) {
            Order storage o = _orders[others[i]];
            if (o.status != ORDER_OPEN) continue;
            uint256 oMax;
            uint256 oMin = type(uint256).max;
            for (uint256 j = 0; j < o.steps.length; j++) {
                uint256 p = o.steps[j].priceMicrosPerMWh;
                if (p > oMax) oMax = p;
                if (p < oMin) oMin = p;
            }
            (uint256 bid, uint256 offer) = side == 0 ? (maxP, oMin) : (oMax, minP);
            if (bid >= offer) {
                revert(string.concat(
                    "market: self-trade: ", who.toHexString(), "'s order ", others[i].toString(), " at bus ", bus.toString(),
                    " in interval ", _u(k), " would cross this ", side == 0 ? "buy" : "sell", " (bid ", bid.toString(), " >= offer ", offer.toString(), ")"
                ));
            }
        }
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
