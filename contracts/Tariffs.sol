// SPDX-License-Identifier: Apache-2.0
// The upstream connection's tariff by time of day (docs/market-rules.md §10b "Tariffs by time of day", the
// native tariff module 0x…1014, packages/energy/src/tariffs.ts): a schedule of 1..48 periods, each from a
// minute of the day (market time, UTC; the first from minute 0, starts increasing) to the next, each with
// export price < import price (µ$/MWh, at most 10^12). The deployment gives the initial schedule (version
// 0, from the market's first interval); the grid operator (GRID_OPERATOR_ROLE of the registry) replaces it
// with setTariff, which applies from the first interval whose gate is at least `leadMs` of market time
// after the block that set it: nobody trading an interval sees its upstream prices move after they could
// bid. At most 8 schedules may wait to apply (their first interval's gate not yet reached). The market's
// tariffAt(k) reads this contract; the clearing verifier prices the upstream's offer and bid of interval k
// at the period containing k's start, and the real-time book the same.
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {MarketBase} from "./MarketBase.sol";
import {Registry} from "./Registry.sol";

/** The market's views the tariffs read (its clock and configuration). */
interface ITariffMarket {
    function config() external view returns (MarketBase.Config memory);
    function marketTimeMs() external view returns (uint256);
}

contract Tariffs {
    using Strings for uint256;

    /** Most periods of one schedule (half-hourly for a day), as native. */
    uint256 public constant MAX_TARIFF_PERIODS = 48;
    /** Most schedules waiting to apply (bounds the look-up in the clearing), as native. */
    uint256 public constant MAX_PENDING_TARIFFS = 8;
    uint256 internal constant MINUTES_PER_DAY = 1440;
    /** Largest price, µ$/MWh (the native MAX_PRICE_MICROS_PER_MWH). */
    uint256 internal constant MAX_PRICE = 1e12;

    /** One schedule: its first interval and its periods, each fromMinute·2^128 + import·2^64 + export. */
    struct Schedule {
        uint64 fromInterval;
        uint256[] periods;
    }

    event TariffScheduled(
        uint256 indexed version,
        uint64 indexed fromInterval,
        uint256[] fromMinute,
        uint256[] importPriceMicrosPerMWh,
        uint256[] exportPriceMicrosPerMWh
    );

    ITariffMarket public immutable market;
    Registry public immutable registry;
    /** Notice a change needs, ms of market time (native upstream.tariffLeadMs; the view tariffLead). */
    uint256 internal immutable _leadMs;
    uint256 internal immutable _intervalMs;
    uint256 internal immutable _gateLeadMs;
    uint64 internal immutable _firstInterval;
    /** Version i is _schedules[i]; version 0 is the deployment's. */
    Schedule[] internal _schedules;

    /** The market's tariffs with the initial schedule (version 0) and the notice of a change, ms (> 0). */
    constructor(
        ITariffMarket market_,
        Registry registry_,
        uint256 leadMs_,
        uint256[] memory fromMinute,
        uint256[] memory importPrice,
        uint256[] memory exportPrice
    ) {
        require(leadMs_ > 0, "tariffs: expected tariffLeadMs > 0");
        MarketBase.Config memory c = market_.config();
        market = market_;
        registry = registry_;
        _leadMs = leadMs_;
        _intervalMs = c.intervalMs;
        _gateLeadMs = c.gateLeadMs;
        _firstInterval = c.firstInterval;
        _push(c.firstInterval, fromMinute, importPrice, exportPrice);
    }

    /**
     * The grid operator replaces the schedule from the first interval whose gate is at least the notice
     * after now (tariffLead). Reverts with the reason and changes nothing when the caller lacks
     * GRID_OPERATOR_ROLE, the schedule is malformed, or 8 schedules already wait to apply.
     */
    function setTariff(
        uint256[] calldata fromMinute,
        uint256[] calldata importPriceMicrosPerMWh,
        uint256[] calldata exportPriceMicrosPerMWh
    ) external {
        if (!registry.hasRole(registry.GRID_OPERATOR_ROLE(), msg.sender)) {
            revert(string.concat("tariffs: setTariff needs GRID_OPERATOR_ROLE, ", Strings.toHexString(msg.sender), " does not hold it"));
        }
        uint256 now_ = market.marketTimeMs();
        uint256 pending;
        for (uint256 v = _schedules.length - 1; v >= 1 && _gate(_schedules[v].fromInterval) > int256(now_); v--) pending++;
        if (pending >= MAX_PENDING_TARIFFS) {
            revert(string.concat(
                "tariffs: ", pending.toString(), " schedules are already waiting to apply (at most 8); wait until the next one applies"
            ));
        }
        uint256 version = _push(_firstSettable(now_), fromMinute, importPriceMicrosPerMWh, exportPriceMicrosPerMWh);
        emit TariffScheduled(
            version, _schedules[version].fromInterval, fromMinute, importPriceMicrosPerMWh, exportPriceMicrosPerMWh
        );
    }

    /** Checks and appends a schedule; returns its version. */
    function _push(uint64 from, uint256[] memory f, uint256[] memory imp, uint256[] memory exp)
        internal
        returns (uint256 version)
    {
        if (f.length != imp.length || f.length != exp.length) {
            revert(string.concat(
                "tariffs: expected as many import and export prices as periods, got ",
                f.length.toString(), ", ", imp.length.toString(), ", ", exp.length.toString()
            ));
        }
        if (f.length < 1 || f.length > MAX_TARIFF_PERIODS) {
            revert(string.concat("tariffs: expected 1..48 periods, got ", f.length.toString()));
        }
        version = _schedules.length;
        Schedule storage s = _schedules.push();
        s.fromInterval = from;
        for (uint256 j = 0; j < f.length; j++) {
            if ((j > 0 && f[j] <= f[j - 1]) || f[j] >= MINUTES_PER_DAY) {
                revert(string.concat(
                    "tariffs: period ", (j + 1).toString(), ": expected a start minute above ",
                    j == 0 ? "-1" : f[j - 1].toString(), " and below 1440, got ", f[j].toString()
                ));
            }
            if (j == 0 && f[0] != 0) {
                revert(string.concat("tariffs: period 1 must start at minute 0 (00:00), got ", f[0].toString()));
            }
            if (imp[j] > MAX_PRICE || exp[j] > MAX_PRICE) {
                revert(string.concat(
                    "tariffs: period ", (j + 1).toString(), ": expected prices in 0..1000000000000 \u00b5$/MWh, got ",
                    (imp[j] > MAX_PRICE ? imp[j] : exp[j]).toString()
                ));
            }
            if (exp[j] >= imp[j]) {
                revert(string.concat("tariffs: period ", (j + 1).toString(), ": expected the export price below the import price"));
            }
            s.periods.push((f[j] << 128) | (imp[j] << 64) | exp[j]);
        }
    }

    /** Gate of interval k, ms of market time (negative for the first intervals). */
    function _gate(uint64 k) internal view returns (int256) {
        return int256(uint256(k) * _intervalMs) - int256(_gateLeadMs);
    }

    /** The first interval a change made at market time `t` reaches: gate >= t + lead, not before the first. */
    function _firstSettable(uint256 t) internal view returns (uint64) {
        uint256 k = (t + _leadMs + _gateLeadMs + _intervalMs - 1) / _intervalMs;
        return k < _firstInterval ? _firstInterval : uint64(k);
    }

    /** The version of the schedule in force for interval k (the latest whose first interval is <= k). */
    function _versionAt(uint64 k) internal view returns (uint256 v) {
        for (v = _schedules.length - 1; v > 0 && _schedules[v].fromInterval > k; v--) {}
    }

    /** The import and export prices of interval k, µ$/MWh: the period containing k's start (UTC minute of day). */
    function tariffAt(uint64 interval)
        external
        view
        returns (uint256 importPriceMicrosPerMWh, uint256 exportPriceMicrosPerMWh)
    {
        uint256[] storage p = _schedules[_versionAt(interval)].periods;
        uint256 minute = (uint256(interval) * _intervalMs / 60_000) % MINUTES_PER_DAY;
        uint256 w = p[0];
        for (uint256 j = 1; j < p.length && (p[j] >> 128) <= minute; j++) w = p[j];
        return ((w >> 64) & type(uint64).max, w & type(uint64).max);
    }

    /** The schedule in force for interval k: its version (0: the deployment's), first interval and periods. */
    function tariffSchedule(uint64 interval)
        external
        view
        returns (
            uint256 version,
            uint64 fromInterval,
            uint256[] memory fromMinute,
            uint256[] memory importPriceMicrosPerMWh,
            uint256[] memory exportPriceMicrosPerMWh
        )
    {
        version = _versionAt(interval);
        Schedule storage s = _schedules[version];
        uint256 n = s.periods.length;
        fromMinute = new uint256[](n);
        importPriceMicrosPerMWh = new uint256[](n);
        exportPriceMicrosPerMWh = new uint256[](n);
        for (uint256 j = 0; j < n; j++) {
            uint256 w = s.periods[j];
            fromMinute[j] = w >> 128;
            importPriceMicrosPerMWh[j] = (w >> 64) & type(uint64).max;
            exportPriceMicrosPerMWh[j] = w & type(uint64).max;
        }
        return (version, s.fromInterval, fromMinute, importPriceMicrosPerMWh, exportPriceMicrosPerMWh);
    }

    /** The notice a change needs (ms of market time) and the first interval a change made now would reach. */
    function tariffLead() external view returns (uint256 leadMs, uint64 firstSettableInterval) {
        return (_leadMs, _firstSettable(market.marketTimeMs()));
    }

    /** Number of schedules (the deployment's included): the latest version + 1 (EVM addition). */
    function scheduleCount() external view returns (uint256) {
        return _schedules.length;
    }
}
