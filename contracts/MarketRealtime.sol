// SPDX-License-Identifier: Apache-2.0
// The second settlement (docs/market-rules.md §10a, as the native packages/energy/src/settlement.ts) for a
// market configured with realtime.penaltyMicrosPerMWh > 0; run by the Market through delegatecall on its
// storage (the engine is at the EIP-170 code-size limit). Real-time prices are not computed here (the
// optimisation cannot run in the EVM): the operator prices the metered injections (meteredInjections,
// served as a book by RealtimeBook) with the native engine and submits them with an integer DC-OPF
// certificate that a ClearingVerifier checks; settle(k) reads them from the RealtimeBook.
//   positions: every party of the interval (an owner at a bus) with a cleared order or a meter of the
//              interval (the meters registered when it cleared; the upstream meter is none); a
//              missing reading (at the deadline) is replaced by the adverse estimate (import = capacity ×
//              interval, export 0); a party with no meter consumed what it bought and delivered nothing;
//              parties in (owner, bus) order;
//   1. per missing reading: the non-reporting penalty to the grid operator (ReadingEstimated);
//   2. credits for net local delivery min(sold, max(0, exported − imported)), pro rata over the party's
//      promises (largest remainder, lower id first); liquidated damages: for each promise's undelivered
//      Wh the seller pays its holder (if not itself) ceil(undelivered · rate / 10^6); every promise burned;
//   3. deviation = (exported − imported) − (sold − bought): short pays floor(dev · (max(λ_fwd, λ_rt) + δ)
//      / 10^6) (a charge: ceil), long is paid floor(dev · (min(λ_fwd, λ_rt) − δ) / 10^6); then the rest
//      of the party's collateral is released; a long party's payment is held when the energy-balance
//      check flags the interval (MarketBalance, which also trues up late readings). settle(k) waits for
//      the real-time prices (anyone submits them: the operator is permissionless).
// A charge comes from the party's collateral, then its cash (transferFrom: its allowance), and the rest is
// its debt to the payee (MarketDebts, as native debts.ts); a payment by the grid operator beyond its cash is
// its debt likewise. Every receipt (charges received, imbalance payments, liquidated damages, released
// collateral) is netted against the receiver's debts, oldest first.
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Credits} from "./Credits.sol";
import {MarketBalance} from "./MarketBalance.sol";
import {MarketBase} from "./MarketBase.sol";
import {MarketDebts} from "./MarketDebts.sol";
import {Meters} from "./Meters.sol";
import {Promises} from "./Promises.sol";
import {Registry} from "./Registry.sol";

/** What the settlement reads of the real-time book. */
interface IRealtimePrices {
    /** 0 no prices yet, 1 verified prices recorded. */
    function status(uint64 interval) external view returns (uint8);
    function realtimePrice(uint64 interval, uint256 bus) external view returns (int256);
    /** Meters registered when the prices were recorded (the interval's meters). */
    function meterCountOf(uint64 interval) external view returns (uint256);
}

contract MarketRealtime is MarketDebts, MarketBalance {
    using Strings for uint256;

    /** One party's position (memory). */
    struct Pos {
        address owner;
        uint256 bus;
        /** Index + 1 of its cleared party record (0: a party by its meters only). */
        uint256 party;
        uint256 soldWh;
        uint256 boughtWh;
        uint256 importedWh;
        uint256 exportedWh;
        uint256 meterCount;
        uint256 pool;
    }

    event ReadingEstimated(uint64 indexed interval, uint256 indexed meter, uint256 importedWh, uint256 penalty);
    event LiquidatedDamages(uint256 indexed promiseId, address indexed seller, address indexed holder, uint256 undeliveredWh, uint256 amount);

    constructor(Config memory c, IERC20 cash_, Registry registry_, Meters meters_, Promises promises_, Credits credits_)
        MarketBase(c, cash_, registry_, meters_, promises_, credits_)
    {}

    // ---- positions ----

    function _intervalMeterCount(uint64 k) private view returns (uint256) {
        return _clearedMeterCount[k];
    }

    function _find(Pos[] memory ps, uint256 n, address owner, uint256 bus) private pure returns (uint256) {
        for (uint256 i = 0; i < n; i++) if (ps[i].owner == owner && ps[i].bus == bus) return i;
        return type(uint256).max;
    }

    /**
     * Every party of interval k with its metered (or estimated) energy, sorted by owner then bus; the
     * missing meters (ids, their party's index) for the penalties. Reverts while a reading is awaited.
     */
    function _positions(uint64 k, bool due, uint256 meterCount)
        private
        view
        returns (Pos[] memory ps, uint256 n, uint256[2][] memory missing, uint256 nMissing)
    {
        IntervalRecord storage iv = _intervals[k];
        ps = new Pos[](iv.parties.length + meterCount);
        missing = new uint256[2][](meterCount);
        for (uint256 i = 0; i < iv.parties.length; i++) {
            Party storage p = iv.parties[i];
            ps[n++] = Pos(p.owner, p.bus, i + 1, p.soldWh, p.boughtWh, 0, 0, 0, 0);
        }
        uint256 hour = 3_600_000;
        for (uint256 j = 0; j < meterCount; j++) {
            uint256 m = registry.meterAt(j);
            if (_isUpstreamMeter(m)) continue;
            (, uint256 bus, address owner, uint256 capW) = registry.meterOf(m);
            uint256 at = _find(ps, n, owner, bus);
            if (at == type(uint256).max) {
                at = n++;
                ps[at].owner = owner;
                ps[at].bus = bus;
            }
            Pos memory q = ps[at];
            q.meterCount++;
            (bool seen, uint256 imp, uint256 exp) = meters.readingOf(m, k);
            if (seen) {
                q.importedWh += imp;
                q.exportedWh += exp;
            } else if (due) {
                q.importedWh += capW * _config.intervalMs / hour;
                missing[nMissing++] = [m, at];
            } else {
                revert(string.concat("market: interval ", _u(k), " waits for meter ", m.toString(), " until its deadline ", _deadlineMs(k).toString(), " ms"));
            }
        }
        for (uint256 i = 0; i < n; i++) if (ps[i].meterCount == 0) ps[i].importedWh = ps[i].boughtWh;
        // (owner, bus) order, as every native validator settles; the missing list follows the moves
        for (uint256 i = 1; i < n; i++) {
            for (uint256 j = i; j > 0 && _before(ps[j], ps[j - 1]); j--) {
                (ps[j], ps[j - 1]) = (ps[j - 1], ps[j]);
                for (uint256 t = 0; t < nMissing; t++) {
                    if (missing[t][1] == j) missing[t][1] = j - 1;
                    else if (missing[t][1] == j - 1) missing[t][1] = j;
                }
            }
        }
    }

    function _before(Pos memory a, Pos memory b) private pure returns (bool) {
        return a.owner < b.owner || (a.owner == b.owner && a.bus < b.bus);
    }

    /**
     * The metered net injection of interval k per registered bus (Wh, exported − imported summed over
     * its parties, estimates for missing readings, bought Wh withdrawn by a party without a meter) and
     * whether it is final (every reading in, or the deadline passed; else the missing readings are not
     * counted yet). The real-time book (RealtimeBook) serves it to the operator and the verifier.
     */
    function meteredInjections(uint64 k)
        external
        view
        returns (uint256[] memory busIds, int256[] memory netWh, bool complete, uint256 meterCount)
    {
        busIds = registry.buses();
        netWh = new int256[](busIds.length);
        uint8 st = _intervals[k].status;
        if (st != INTERVAL_CLEARED) return (busIds, netWh, false, 0);
        meterCount = _intervalMeterCount(k);
        bool due = marketTimeMs() >= _deadlineMs(k);
        complete = due || _allReported(k, meterCount);
        if (!complete) return (busIds, netWh, false, meterCount);
        (Pos[] memory ps, uint256 n,,) = _positions(k, due, meterCount);
        for (uint256 i = 0; i < n; i++) {
            for (uint256 b = 0; b < busIds.length; b++) {
                if (busIds[b] == ps[i].bus) {
                    netWh[b] += int256(ps[i].exportedWh) - int256(ps[i].importedWh);
                    break;
                }
            }
        }
    }

    function _allReported(uint64 k, uint256 meterCount) private view returns (bool) {
        for (uint256 j = 0; j < meterCount; j++) {
            (bool seen,,) = meters.readingOf(registry.meterAt(j), k);
            if (!seen) return false;
        }
        return true;
    }

    // ---- settlement ----

    /** Settles interval k by the second settlement's rules (above); reverts, changing nothing, when not ready. */
    function settle(uint64 k) external {
        IntervalRecord storage iv = _intervals[k];
        if (iv.status == INTERVAL_SETTLED) revert(string.concat("market: interval ", _u(k), " is already settled"));
        if (iv.status != INTERVAL_CLEARED) revert(string.concat("market: interval ", _u(k), " is not cleared"));
        bool due = marketTimeMs() >= _deadlineMs(k);
        bool priced = realtimePricer != address(0) && IRealtimePrices(realtimePricer).status(k) == 1;
        (Pos[] memory ps, uint256 n, uint256[2][] memory missing, uint256 nMissing) = _positions(k, due, _intervalMeterCount(k));
        if (!priced) {
            revert(string.concat(
                "market: interval ", _u(k), " waits for its real-time prices (anyone submits them with a certificate, gridledger operator, once its readings are in or its deadline has passed)"
            ));
        }
        for (uint256 i = 0; i < n; i++) {
            if (ps[i].party == 0) continue;
            Party storage p = iv.parties[ps[i].party - 1];
            ps[i].pool = p.collateral;
            p.collateral = 0;
        }
        // 1. estimates and the non-reporting penalty
        uint256 penalty = _config.realtime.nonReportingPenaltyMicros;
        for (uint256 t = 0; t < nMissing; t++) {
            Pos memory q = ps[missing[t][1]];
            (,,, uint256 capW) = registry.meterOf(missing[t][0]);
            _charge(k, q, penalty, _config.gridOperator, "no reading of meter ");
            _recordEstimate(k, missing[t][0], q.owner, q.bus, capW * _config.intervalMs / 3_600_000);
            emit ReadingEstimated(k, missing[t][0], capW * _config.intervalMs / 3_600_000, penalty);
        }
        // 2. credits and promises
        uint256 creditsWh;
        for (uint256 i = 0; i < n; i++) {
            Pos memory q = ps[i];
            if (q.party == 0 || q.soldWh == 0) continue;
            uint256 net = q.exportedWh > q.importedWh ? q.exportedWh - q.importedWh : 0;
            Party storage p = iv.parties[q.party - 1];
            creditsWh += _mintCredits(p, net < q.soldWh ? net : q.soldWh);
            _damages(k, q, p);
        }
        uint256 first = iv.firstPromise;
        for (uint256 i = 0; i < iv.promises; i++) {
            PromiseRecord storage pr = _promises[first + i];
            pr.settled = true;
            address holder = promises.ownerOf(first + i);
            promises.burn(first + i);
            emit PromiseSettled(first + i, holder, pr.deliveredWh);
        }
        bool flagged = _checkEnergyBalance(k, _partiesNetWh(ps, n));
        // 3. deviations in the penalty band, then collateral released
        for (uint256 i = 0; i < n; i++) {
            Pos memory q = ps[i];
            int256 dev = int256(q.exportedWh) - int256(q.importedWh) - (int256(q.soldWh) - int256(q.boughtWh));
            int256 amount = _deviationAmount(k, q.bus, dev);
            _recordDeviation(k, q.owner, q.bus, dev);
            if (amount < 0) _charge(k, q, uint256(-amount), _config.gridOperator, "imbalance charge of ");
            else if (amount > 0) _payOrHold(k, q.owner, uint256(amount), flagged);
            _release(q);
            emit ImbalanceSettled(k, q.owner, q.bus, dev, amount);
        }
        if (flagged) _emitFlag(k);
        iv.status = INTERVAL_SETTLED;
        emit IntervalSettled(k, creditsWh, iv.promises);
    }

    /** Money the deviation moves to the party, µ$ (negative: it pays), as native deviationAmount. */
    function _deviationAmount(uint64 k, uint256 bus, int256 dev) internal view override returns (int256) {
        int256 fwd = _lmp[k][bus];
        int256 rt = IRealtimePrices(realtimePricer).realtimePrice(k, bus);
        int256 delta = int256(uint256(_config.realtime.penaltyMicrosPerMWh));
        int256 price = dev < 0 ? (fwd > rt ? fwd : rt) + delta : (fwd < rt ? fwd : rt) - delta;
        return _floorMicros(dev * price);
    }

    /** Liquidated damages of the party's promises (after their credits): undelivered Wh × rate to the holder. */
    function _damages(uint64 k, Pos memory q, Party storage p) private {
        uint256 rate = _config.realtime.liquidatedDamagesMicrosPerMWh;
        if (rate == 0) return;
        uint256[] storage ids = p.soldPromises;
        for (uint256 i = 0; i < ids.length; i++) {
            PromiseRecord storage pr = _promises[ids[i]];
            uint256 undelivered = pr.energyWh - pr.deliveredWh;
            address holder = promises.ownerOf(ids[i]);
            if (undelivered == 0 || holder == q.owner) continue;
            uint256 amount = (undelivered * rate + WH_PER_MWH - 1) / WH_PER_MWH;
            _charge(k, q, amount, holder, string.concat("liquidated damages for promise ", ids[i].toString(), ": "));
            emit LiquidatedDamages(ids[i], q.owner, holder, undelivered, amount);
        }
    }

    /**
     * Charges `amount` to the party for `payee`: from its collateral, then its cash (allowance), the rest its
     * debt to the payee (as native chargeParty); what the payee receives is netted against its debts.
     */
    function _charge(uint64 k, Pos memory q, uint256 amount, address payee, string memory what) private {
        if (amount == 0) return;
        uint256 fromPool = amount < q.pool ? amount : q.pool;
        if (fromPool > 0) {
            q.pool -= fromPool;
            _payNetOfDebts(address(this), payee, fromPool, 0);
        }
        uint256 rest = amount - fromPool;
        uint256 fromCash = _cashFor(q.owner, rest);
        if (fromCash > 0) _payNetOfDebts(q.owner, payee, fromCash, 0);
        if (fromCash < rest) {
            _recordDebt(q.owner, payee, rest - fromCash, k, string.concat(
                what, amount.toString(), " due, collateral ", fromPool.toString(), " and cash ", fromCash.toString(), " paid"
            ));
        }
    }

    /**
     * The grid operator pays `amount` to `to`: what its cash (allowance) covers now, netted against `to`'s
     * debts; the rest is its debt to `to`, paid from what it receives next (as native payOrOwe).
     */
    function _payByOperator(uint64 k, address to, uint256 amount) internal override {
        address go = _config.gridOperator;
        uint256 fromCash = _cashFor(go, amount);
        if (fromCash > 0) _payNetOfDebts(go, to, fromCash, 0);
        if (fromCash < amount) {
            _recordDebt(go, to, amount - fromCash, k, string.concat(
                "imbalance payment: ", amount.toString(), " due, collateral 0 and cash ", fromCash.toString(), " paid"
            ));
        }
    }

    /** Releases the rest of the party's collateral to it, netted against its debts. */
    function _release(Pos memory q) private {
        uint256 left = q.pool;
        q.pool = 0;
        _payNetOfDebts(address(this), q.owner, left, 0);
    }

    /** A true-up's charge (MarketBalance): no collateral is left after settlement. */
    function _chargeParty(uint64 k, address owner, uint256 amount) internal override {
        Pos memory q;
        q.owner = owner;
        _charge(k, q, amount, _config.gridOperator, "imbalance charge of ");
    }

    /** Σ parties (exported − imported), Wh: the energy-balance check's input (MarketBalance). */
    function _partiesNetWh(Pos[] memory ps, uint256 n) private pure returns (int256 net) {
        for (uint256 i = 0; i < n; i++) net += int256(ps[i].exportedWh) - int256(ps[i].importedWh);
    }

    /** Shares `delivered` Wh among the party's sold promises pro rata (largest remainder, lower id first). */
    function _mintCredits(Party storage p, uint256 delivered) private returns (uint256 minted) {
        uint256[] storage ids = p.soldPromises;
        uint256 n = ids.length;
        uint256 total;
        for (uint256 i = 0; i < n; i++) total += _promises[ids[i]].energyWh;
        if (total == 0) return 0;
        if (delivered > total) delivered = total;
        uint256[] memory share = new uint256[](n);
        uint256[] memory rem = new uint256[](n);
        uint256 given;
        for (uint256 i = 0; i < n; i++) {
            uint256 e = _promises[ids[i]].energyWh;
            share[i] = (delivered * e) / total;
            rem[i] = (delivered * e) % total;
            given += share[i];
        }
        for (uint256 left = delivered - given; left > 0; left--) {
            uint256 best = type(uint256).max;
            for (uint256 i = 0; i < n; i++) {
                if (rem[i] == type(uint256).max) continue;
                if (best == type(uint256).max || rem[i] > rem[best] || (rem[i] == rem[best] && ids[i] < ids[best])) best = i;
            }
            share[best] += 1;
            rem[best] = type(uint256).max;
        }
        for (uint256 i = 0; i < n; i++) {
            _promises[ids[i]].deliveredWh = share[i];
            if (share[i] > 0) credits.mint(promises.ownerOf(ids[i]), share[i]);
            minted += share[i];
        }
    }
}
