// SPDX-License-Identifier: Apache-2.0
// The digital twin of a market on an EVM chain (docs/market-rules.md §10a "Digital twin", docs/evm.md
// "The digital twin"): the DC power flow of every party's metered net injection on the market's network,
// stored per branch (actualFlowW, from-end real power, W) with a FlowDeviation event where it differs from
// the interval's cleared flow by more than FLOW_DEVIATION_W or breaks the branch's limit (|P| > limit).
// A power flow cannot be solved in the EVM, but it can be checked in linear gas: anyone (the operator)
// submits the bus angles θ (prad) of the solution; the contract computes each branch's flow from them,
// f_l = B_l · (θ_from − θ_to − φ_l) / 10^12 (the ClearingVerifier's integer network, read from it: the
// same B, φ and limits as the clearing's certificate), and accepts the angles only if every bus but the
// upstream one balances within the verifier's flow tolerance τ_f:
//   |Σ_{l from i} B_l·d_l − Σ_{l to i} B_l·d_l − 10^12 · k · netWh_i| ≤ τ_f · 10^12,   d_l = θ_from − θ_to − φ_l
// with netWh_i the market's meteredInjections(k) (exported − imported at bus i, estimates for missing
// readings) and k = 60 / interval minutes (W per Wh over the interval, the verifier's wattsPerWh): the
// upstream bus takes whatever balances the rest, as natively. The stored flow is f_l rounded half away
// from zero to W (the native mwToW). Once per interval; wrong angles revert with the bus that does not
// balance and change nothing.
// An island without the upstream bus whose metered injections do not sum to 0 has no such angles (the
// native DC twin balances it at its own reference): nothing can be submitted and twinComputed stays 0.
pragma solidity ^0.8.24;

import {ClearingVerifier} from "./clearing/ClearingVerifier.sol";

/** The market's views the twin reads (evm's Market). */
interface ITwinMarket {
    function registry() external view returns (address);
    function intervalState(uint64 interval) external view returns (uint8 status, int256 congestionRent, uint256 orders, uint256 promises);
    function flows(uint64 interval) external view returns (int256[] memory);
    function meteredInjections(uint64 interval)
        external
        view
        returns (uint256[] memory busIds, int256[] memory netWh, bool complete, uint256 meterCount);
}

/** The registry's views the twin reads. */
interface ITwinRegistry {
    function networkVersion() external view returns (uint256);
    function lineLimit(uint256 branch) external view returns (bool overridden, uint256 limitW);
}

contract DigitalTwin {
    int256 internal constant PRAD_PER_RAD = 1e12;
    /** A flow deviation is reported when |actual − cleared| exceeds this many W (native FLOW_DEVIATION_W). */
    int256 public constant FLOW_DEVIATION_W = 1000;
    /** Bound on |θ| (prad) so that B·Δθ cannot overflow (B < 2^95). */
    int256 internal constant MAX_ANGLE = 2 ** 100;
    /** The market's interval status "cleared" (its readings may be final; not yet settled). */
    uint8 internal constant INTERVAL_CLEARED = 1;

    error NetworkNotReady();
    error NetworkChanged(uint256 registryVersion, uint256 verifierVersion);
    error BusesDiffer();
    error IntervalNotCleared(uint64 interval, uint8 status);
    error ReadingsNotFinal(uint64 interval);
    error AlreadyComputed(uint64 interval);
    error ShapeMismatch(uint256 expected, uint256 got);
    error AngleOutOfRange(uint256 bus);
    error BusImbalance(uint256 bus, int256 imbalanceW);
    error FlowOutOfRange(uint256 branch);

    event FlowDeviation(
        uint64 indexed interval,
        uint256 indexed branch,
        int256 clearedFlowW,
        int256 actualFlowW,
        uint256 limitW,
        bool overLimit
    );
    /** The twin of `interval` was computed (EVM addition: natively the state word twinComputed). */
    event TwinComputed(uint64 indexed interval, address indexed submitter, uint256 deviations);

    ITwinMarket public immutable market;
    ClearingVerifier public immutable verifier;
    /** The market's upstream bus (its configuration's): it balances the rest, so its balance is not checked. */
    uint256 public immutable upstreamBus;

    mapping(uint64 interval => uint8) public twinComputed;
    /** Metered flows per branch, W (int128: two to a storage word). */
    mapping(uint64 interval => int128[]) internal _actual;

    /** `verifier` is the market's clearing verifier (its integer network is the twin's). */
    constructor(ITwinMarket market_, ClearingVerifier verifier_) {
        require(address(verifier_.market()) == address(market_), "twin: the verifier is not the market's");
        market = market_;
        verifier = verifier_;
        upstreamBus = verifier_.marketView().config().upstream.bus;
    }

    /**
     * Submits the bus angles (prad, in the verifier's bus order) of interval k's DC power flow; stores the
     * flows they imply and emits FlowDeviation where the native rule would. Reverts, changing nothing, for
     * an interval not cleared (or already settled), readings not final, a second submission, a network
     * changed since the verifier was deployed, and angles under which a bus does not balance.
     */
    function submitAngles(uint64 k, int256[] calldata anglePrad) external {
        if (twinComputed[k] != 0) revert AlreadyComputed(k);
        if (!verifier.locked()) revert NetworkNotReady();
        ITwinRegistry reg = ITwinRegistry(market.registry());
        {
            uint256 v = reg.networkVersion();
            if (v != verifier.networkVersion()) revert NetworkChanged(v, verifier.networkVersion());
        }
        {
            (uint8 status,,,) = market.intervalState(k);
            if (status != INTERVAL_CLEARED) revert IntervalNotCleared(k, status);
        }
        (uint256[] memory busIds, int256[] memory netWh, bool complete,) = market.meteredInjections(k);
        if (!complete) revert ReadingsNotFinal(k);
        if (keccak256(abi.encode(busIds)) != keccak256(abi.encode(verifier.busIds()))) revert BusesDiffer();
        uint256 n = busIds.length;
        if (anglePrad.length != n) revert ShapeMismatch(n, anglePrad.length);
        for (uint256 i = 0; i < n; i++) {
            if (anglePrad[i] > MAX_ANGLE || anglePrad[i] < -MAX_ANGLE) revert AngleOutOfRange(busIds[i]);
        }
        ClearingVerifier.Branch[] memory brs = verifier.branches();
        uint256 m = brs.length;
        int256[] memory cleared = market.flows(k);
        if (cleared.length != m) revert ShapeMismatch(m, cleared.length);
        // Per bus: 10^12 · (flows out − flows in − metered injection), W·10^12.
        int256[] memory mismatch = new int256[](n);
        int256 kW = verifier.wattsPerWh();
        for (uint256 i = 0; i < n; i++) mismatch[i] = -netWh[i] * kW * PRAD_PER_RAD;
        int128[] storage actual = _actual[k];
        uint256 deviations;
        for (uint256 l = 0; l < m; l++) {
            ClearingVerifier.Branch memory br = brs[l];
            int256 f;
            if (br.inService) {
                int256 p = int256(br.susceptanceWPerRad)
                    * (anglePrad[br.from] - anglePrad[br.to] - int256(br.shiftPrad));
                mismatch[br.from] += p;
                mismatch[br.to] -= p;
                f = _roundPrad(p);
            }
            if (f > type(int128).max || f < type(int128).min) revert FlowOutOfRange(l + 1);
            actual.push(int128(f));
            (bool overridden, uint256 limitOverride) = reg.lineLimit(l + 1);
            // A 0-W override carries nothing: limit 1 W, as the native ZERO_LIMIT_MW.
            uint256 limit = overridden ? (limitOverride == 0 ? 1 : limitOverride) : uint256(br.limitW);
            bool over = limit > 0 && _abs(f) > int256(limit);
            int256 diff = f - cleared[l];
            if (over || diff > FLOW_DEVIATION_W || -diff > FLOW_DEVIATION_W) {
                deviations++;
                emit FlowDeviation(k, l + 1, cleared[l], f, limit, over);
            }
        }
        (uint64 tf,,) = _tolerances();
        int256 tol = int256(uint256(tf)) * PRAD_PER_RAD;
        for (uint256 i = 0; i < n; i++) {
            if (busIds[i] == upstreamBus) continue;
            if (_abs(mismatch[i]) > tol) revert BusImbalance(busIds[i], mismatch[i] / PRAD_PER_RAD);
        }
        twinComputed[k] = 1;
        emit TwinComputed(k, msg.sender, deviations);
    }

    /** The verifier's tolerances as (flowW, priceMicrosPerMWh, quantityWh). */
    function _tolerances() internal view returns (uint64 flowW, uint64 price, uint64 quantity) {
        (price, flowW, quantity) = verifier.tolerances();
    }

    /** The metered flow of each branch of interval k (W, branch index − 1); empty while twinComputed is 0. */
    function actualFlows(uint64 k) external view returns (int256[] memory out) {
        int128[] storage a = _actual[k];
        out = new int256[](a.length);
        for (uint256 l = 0; l < a.length; l++) out[l] = a[l];
    }

    /** W·prad / 10^12 rounded half away from zero (as mwToW rounds). */
    function _roundPrad(int256 x) internal pure returns (int256) {
        int256 half = PRAD_PER_RAD / 2;
        return x >= 0 ? (x + half) / PRAD_PER_RAD : -((-x + half) / PRAD_PER_RAD);
    }

    function _abs(int256 x) internal pure returns (int256) {
        return x < 0 ? -x : x;
    }
}
