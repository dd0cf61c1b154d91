// SPDX-License-Identifier: Apache-2.0
// Placing an order (docs/market-rules.md §10 "Orders"): every check and the escrow of placeOrder
// (MarketOrders), shared with the reveal of a sealed bid (MarketSealed), which skips the gate and takes
// the escrow from the commitment's deposit. Internal only: each contract that places orders compiles it.
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {MarketBase} from "./MarketBase.sol";

abstract contract MarketPlacement is MarketBase {
    using Strings for address;
    using Strings for uint256;

    /**
     * placeOrder's body, also entered by a sealed bid's reveal (MarketSealed) with `revealed` set: then
     * the gate is not checked and the escrow is not taken here (the reveal takes it from the deposit).
     */
    function _placeOrder(address who, uint64 interval, uint256 bus, uint8 side, Step[] calldata steps, bool revealed)
        internal
        returns (uint256 id, uint256 escrow)
    {
        Config storage c = _config;
        if (!registry.isParticipant(who)) revert(string.concat("market: ", who.toHexString(), " is not a registered participant"));
        _refuseDefaulter(who);
        if (side > 1) revert(string.concat("market: side must be 0 (buy) or 1 (sell), got ", uint256(side).toString()));
        if (interval < c.firstInterval) {
            revert(string.concat("market: interval ", _u(interval), " is before the market's first interval ", _u(c.firstInterval)));
        }
        if (c.sealedBids.revealWindowMs > 0 && !revealed) revert("market: bids are sealed: commitOrder before the gate, revealOrder after it");
        if (!revealed && (_gateClosed(interval) || _intervals[interval].status != 0)) {
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
        if (c.ordersCappedByMeters) _refuseBeyondMeters(who, interval, bus, side, total);
        _checkSelfTrade(interval, who, bus, side, maxP, minP);
        uint256 live = _live[interval][who];
        if (live >= c.maxOrdersPerAccount) {
            revert(string.concat("market: ", who.toHexString(), " already has ", live.toString(), " orders in interval ", _u(interval), " (limit ", _u(c.maxOrdersPerAccount), ")"));
        }
        escrow = _escrowOf(side, value, total);
        if (escrow > 0 && !revealed) {
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

    /** Escrow of an order: buy ceil(Σ E·p / 10^6), sell ceil(Σ E · shortfall price / 10^6). */
    function _escrowOf(uint8 side, uint256 value, uint256 totalWh) internal view returns (uint256) {
        return side == 0 ? _ceilDiv(value, WH_PER_MWH) : _ceilDiv(totalWh * _config.shortfallPriceMicrosPerMWh, WH_PER_MWH);
    }

    function _ceilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    /**
     * Orders capped by the registered meters (as the native refuseBeyondMeters): the owner's open orders at
     * `bus`, interval `k` and `side`, with this one of `total` Wh, may not exceed what its meters at `bus`
     * carry in one interval (floor(Σ capacityW × intervalMs / 3.6·10^6) Wh). An offer beyond the connection
     * is a phantom: it could only be "delivered" by a reading the meters' capacity check refuses.
     */
    function _refuseBeyondMeters(address who, uint64 k, uint256 bus, uint8 side, uint256 total) private view {
        (uint256 nMeters, uint256 capacityW) = registry.capacityAt(who, bus);
        if (nMeters == 0) {
            revert(string.concat(
                "market: ", who.toHexString(), " has no meter registered at bus ", bus.toString(),
                ": orders are capped by the registered meters' capacity (ask the grid operator to register one)"
            ));
        }
        uint256 capWh = capacityW * _config.intervalMs / 3_600_000;
        uint256 open;
        uint256[] storage mine = _own[k][who][bus][side];
        for (uint256 i = 0; i < mine.length; i++) {
            Order storage o = _orders[mine[i]];
            if (o.status != ORDER_OPEN) continue;
            for (uint256 j = 0; j < o.steps.length; j++) open += o.steps[j].energyWh;
        }
        if (total + open > capWh) {
            revert(string.concat(
                "market: the order's ", total.toString(), " Wh plus ", open.toString(), " Wh already ", side == 0 ? "bid" : "offered",
                " by ", who.toHexString(), " at bus ", bus.toString(), " in interval ", _u(k), " exceed its meters' capacity of ",
                capWh.toString(), " Wh per interval (", capacityW.toString(), " W registered there): order less"
            ));
        }
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
}
