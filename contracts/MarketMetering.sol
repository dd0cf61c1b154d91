// SPDX-License-Identifier: Apache-2.0
// The metered state of a cleared interval (docs/market-rules.md §10a, docs/evm.md "The second settlement"):
// the interval's meters (those registered when it cleared), party keys (owner << 96 | bus: ascending keys
// are the native (owner, bus) order), and the metered net injection per bus that the real-time book
// (RealtimeBook) and the digital twin read. MarketMetering holds the helpers the second settlement
// (MarketRealtime) shares; MarketInjections adds the `meteredInjections` view, compiled into the sealed
// engine (MarketSealed), not the real-time engine, which the chunked settlement, the debt ledger and the
// energy balance bring to the EIP-170 code-size limit. Both run on the market's storage by delegatecall.
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {MarketBase} from "./MarketBase.sol";

abstract contract MarketMetering is MarketBase {
    using Strings for uint256;

    uint256 internal constant HOUR_MS = 3_600_000;
    uint256 internal constant MASK96 = (1 << 96) - 1;

    /** The interval's meters: the first n registered when it cleared (as native expectedCount). */
    function _intervalMeterCount(uint64 k) internal view returns (uint256) {
        return _clearedMeterCount[k];
    }

    /** A party's key: owner << 96 | bus (ascending keys are the native (owner, bus) order). */
    function _key(address owner, uint256 bus) internal pure returns (uint256) {
        if (bus > MASK96) revert(string.concat("market: bus id ", bus.toString(), " exceeds 96 bits"));
        return (uint256(uint160(owner)) << 96) | bus;
    }

    /**
     * The metered net injection of interval k per registered bus (Wh, exported − imported summed over
     * its parties, estimates for missing readings, bought Wh withdrawn by a party without a meter) and
     * whether it is final (every reading in, or the deadline passed; else the missing readings are not
     * counted yet). The real-time book (RealtimeBook) serves it to the operator and the verifier.
     * Gas O((meters + parties) · log meters): the meters' parties are sorted in memory, each cleared
     * party is looked up among them by binary search, each bus by binary search in the ascending bus ids.
     */
    function _meteredInjections(uint64 k)
        internal
        view
        returns (uint256[] memory busIds, int256[] memory netWh, bool complete, uint256 meterCount)
    {
        busIds = registry.buses();
        netWh = new int256[](busIds.length);
        IntervalRecord storage iv = _intervals[k];
        if (iv.status != INTERVAL_CLEARED) return (busIds, netWh, false, 0);
        meterCount = _intervalMeterCount(k);
        bool due = marketTimeMs() >= _deadlineMs(k);
        complete = due || _allReported(k, meterCount);
        if (!complete) return (busIds, netWh, false, meterCount);
        uint256[] memory keys = new uint256[](meterCount);
        uint256 nKeys;
        for (uint256 j = 0; j < meterCount; j++) {
            uint256 m = registry.meterAt(j);
            // the upstream connection's own meter is not a party (the energy-balance check reads it)
            if (_isUpstreamMeter(m)) continue;
            (, uint256 bus, address owner, uint256 capW) = registry.meterOf(m);
            (bool seen, uint256 imp, uint256 exp) = meters.readingOf(m, k);
            // complete: every reading is in, or the deadline passed and a missing one is estimated
            if (!seen) imp = capW * _config.intervalMs / HOUR_MS;
            _addAt(busIds, netWh, bus, int256(exp) - int256(imp));
            keys[nKeys++] = _key(owner, bus);
        }
        assembly {
            mstore(keys, nKeys)
        }
        keys = _sorted(keys);
        for (uint256 i = 0; i < iv.parties.length; i++) {
            Party storage p = iv.parties[i];
            if (!_contains(keys, _key(p.owner, p.bus))) _addAt(busIds, netWh, p.bus, -int256(uint256(p.boughtWh)));
        }
    }

    /** netWh[index of bus] += v (bus ids ascending; a bus not registered is not counted, as before). */
    function _addAt(uint256[] memory busIds, int256[] memory netWh, uint256 bus, int256 v) internal pure {
        uint256 lo = 0;
        uint256 hi = busIds.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (busIds[mid] < bus) lo = mid + 1;
            else hi = mid;
        }
        if (lo < busIds.length && busIds[lo] == bus) netWh[lo] += v;
    }

    function _contains(uint256[] memory sorted, uint256 v) internal pure returns (bool) {
        uint256 lo = 0;
        uint256 hi = sorted.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (sorted[mid] < v) lo = mid + 1;
            else hi = mid;
        }
        return lo < sorted.length && sorted[lo] == v;
    }

    /** `a` sorted ascending (bottom-up merge sort, O(n log n) in memory). */
    function _sorted(uint256[] memory a) internal pure returns (uint256[] memory) {
        uint256 n = a.length;
        uint256[] memory b = new uint256[](n);
        for (uint256 w = 1; w < n; w *= 2) {
            for (uint256 lo = 0; lo < n; lo += 2 * w) {
                uint256 mid = lo + w < n ? lo + w : n;
                uint256 hi = lo + 2 * w < n ? lo + 2 * w : n;
                (uint256 i, uint256 j, uint256 t) = (lo, mid, lo);
                while (i < mid && j < hi) b[t++] = a[i] <= a[j] ? a[i++] : a[j++];
                while (i < mid) b[t++] = a[i++];
                while (j < hi) b[t++] = a[j++];
            }
            (a, b) = (b, a);
        }
        return a;
    }

    function _allReported(uint64 k, uint256 meterCount) internal view returns (bool) {
        for (uint256 j = 0; j < meterCount; j++) {
            (bool seen,,) = meters.readingOf(registry.meterAt(j), k);
            if (!seen) return false;
        }
        return true;
    }
}

/** The `meteredInjections` view (the Market delegates it to the sealed engine). */
abstract contract MarketInjections is MarketMetering {
    /**
     * The metered net injection of interval k per registered bus and whether it is final (see
     * MarketMetering._meteredInjections).
     */
    function meteredInjections(uint64 k)
        external
        view
        returns (uint256[] memory busIds, int256[] memory netWh, bool complete, uint256 meterCount)
    {
        return _meteredInjections(k);
    }
}
