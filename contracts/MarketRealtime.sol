// SPDX-License-Identifier: Apache-2.0
// The second settlement (docs/market-rules.md §10a, as the native packages/energy/src/settlement.ts), every
// market's settlement (realtime.penaltyMicrosPerMWh > 0 is required); run by the Market through delegatecall on its
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
import {MarketMetering} from "./MarketMetering.sol";
import {Meters} from "./Meters.sol";
import {Promises} from "./Promises.sol";
import {Registry} from "./Registry.sol";

/** What the settlement reads of the real-time book. */
interface IRealtimePrices {
    /** 0 no prices yet, 1 verified prices recorded. */
    function status(uint64 interval) external view returns (uint8);
    function realtimePrice(uint64 interval, uint256 bus) external view returns (int256);
}

contract MarketRealtime is MarketDebts, MarketBalance, MarketMetering {
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

    uint8 private constant PH_METERS = 1;
    uint8 private constant PH_PENALTIES = 2;
    uint8 private constant PH_CREDITS = 3;
    uint8 private constant PH_PROMISES = 4;
    uint8 private constant PH_DEVIATIONS = 5;
    uint8 private constant PH_SETTLED = 6;
    uint256 private constant MASK112 = (1 << 112) - 1;

    /**
     * The position of party `key` of interval k (after the meters phase): its cleared record (if any), its
     * meters' summed readings and estimates (a party without a meter consumed what it bought), and its
     * remaining collateral (the pool charges come from first).
     */
    function _pos(uint64 k, uint256 key) private view returns (Pos memory q) {
        q.owner = address(uint160(key >> 96));
        q.bus = key & MASK96;
        q.party = _partyIndex[k][q.owner][q.bus];
        if (q.party != 0) {
            Party storage p = _intervals[k].parties[q.party - 1];
            (q.soldWh, q.boughtWh, q.pool) = (p.soldWh, p.boughtWh, p.collateral);
        }
        uint256 rec = _meteredAt[k][key];
        q.meterCount = rec & 0xffffffff;
        if (q.meterCount == 0) q.importedWh = q.boughtWh;
        else (q.importedWh, q.exportedWh) = (rec >> 144, (rec >> 32) & MASK112);
    }

    /** Keeps what is left of the party's collateral (the pool) for its later charges and release. */
    function _keepPool(uint64 k, Pos memory q) private {
        if (q.party != 0) _intervals[k].parties[q.party - 1].collateral = q.pool;
    }

    function _waitsFor(uint64 k, uint256 m) private view {
        revert(string.concat("market: interval ", _u(k), " waits for meter ", m.toString(), " until its deadline ", _deadlineMs(k).toString(), " ms"));
    }

    // ---- settlement (docs/evm.md "Settlement in chunks") ----
    //
    // The phases below run in this order, each in as many chunks (transactions) as needed, with the
    // interval's progress in _settling[k]; the effects come in exactly the order of the single-transaction
    // settlement, so balances, credits and events are the same however the interval is cut:
    //   1 meters:     the interval's meters in registration order: readings (or the estimate) summed per
    //                 party key in _meteredAt, the parties by meters only and the missing meters listed;
    //   2 penalties:  per missing meter, in meter order, the non-reporting penalty;
    //   3 credits:    per party in ascending (owner, bus) order, credits and liquidated damages;
    //   4 promises:   every promise burned, in id order;
    //   5 deviations: per party in ascending (owner, bus) order, the deviation and the collateral's release;
    //   then the interval is settled (IntervalSettled).
    // The party passes take the keys (owner << 96 | bus) from the caller, who sorts settlementParties: each
    // must be a party of the interval and above the last one; the pass ends when as many keys as parties
    // were given, so they were exactly the parties, in order. A party's remaining collateral stays in its
    // record between chunks.

    /** The next position of a phase is `total` when the phase is done. */
    function _total(uint64 k, uint256 meterCount, uint8 ph) private view returns (uint256) {
        if (ph == PH_METERS) return meterCount;
        if (ph == PH_PENALTIES) return _missingMeters[k].length;
        if (ph == PH_PROMISES) return _intervals[k].promises;
        return _intervals[k].parties.length + _meterParties[k].length;
    }

    /** Moves past every finished (or empty) phase; after the last, the interval is settled. */
    function _advance(uint64 k, Settling storage s) private {
        uint8 ph = s.phase;
        uint256 cur = s.cursor;
        while (ph < PH_SETTLED && cur >= _total(k, s.meterCount, ph)) {
            ph++;
            cur = 0;
        }
        if (ph == s.phase) return;
        // The energy balance needs every party's net injection (summed in the credits pass) before the
        // first long payment: checked once, on entering the deviations.
        if (s.phase < PH_DEVIATIONS && ph >= PH_DEVIATIONS) _checkEnergyBalance(k, s.partiesNetWh);
        (s.phase, s.cursor, s.lastKey) = (ph, 0, 0);
        if (ph == PH_SETTLED) {
            if (_balanceFlag[k] == BALANCE_HELD) _emitFlag(k);
            IntervalRecord storage iv = _intervals[k];
            iv.status = INTERVAL_SETTLED;
            emit IntervalSettled(k, s.creditsWh, iv.promises);
        }
    }

    function _requireSettleable(uint64 k) private view returns (Settling storage s) {
        uint8 st = _intervals[k].status;
        if (st == INTERVAL_SETTLED) revert(string.concat("market: interval ", _u(k), " is already settled"));
        if (st != INTERVAL_CLEARED) revert(string.concat("market: interval ", _u(k), " is not cleared"));
        s = _settling[k];
    }

    function _requirePriced(uint64 k) private view {
        if (realtimePricer == address(0) || IRealtimePrices(realtimePricer).status(k) != 1) {
            revert(string.concat(
                "market: interval ", _u(k), " waits for its real-time prices (anyone submits them with a certificate, gridledger operator, once its readings are in or its deadline has passed)"
            ));
        }
    }

    /**
     * Starts settling interval k in chunks (anyone): it must be cleared, not settled or being settled, and
     * its real-time prices recorded (then its metered state is final: every reading in, or the deadline
     * passed). Fixes the interval's meters (those of its real-time prices).
     */
    function beginSettle(uint64 k) public {
        Settling storage s = _requireSettleable(k);
        if (s.phase != 0) {
            revert(string.concat("market: interval ", _u(k), " is already being settled in chunks (continue with settleChunk; settlingOf gives its progress)"));
        }
        _requirePriced(k);
        s.due = marketTimeMs() >= _deadlineMs(k);
        s.meterCount = uint64(_intervalMeterCount(k));
        s.phase = PH_METERS;
        _advance(k, s);
    }

    /**
     * The next chunk of interval k's settlement (anyone): in the meters, penalties and promises phases the
     * next `maxItems` (> 0) meters, missing meters or promises, `keys` empty; in the credits and deviations
     * phases the next parties `keys` (owner << 96 | bus, ascending; from settlementParties, sorted),
     * `maxItems` unused. The chunk that ends the deviations settles the interval.
     */
    function settleChunk(uint64 k, uint256 maxItems, uint256[] memory keys) external {
        Settling storage s = _requireSettleable(k);
        uint8 ph = s.phase;
        if (ph == 0) revert(string.concat("market: interval ", _u(k), " is not being settled in chunks (call beginSettle first)"));
        if (ph == PH_CREDITS || ph == PH_DEVIATIONS) {
            if (keys.length == 0) {
                revert(string.concat("market: interval ", _u(k), " expects the next parties' keys (owner << 96 | bus, ascending: settlementParties)"));
            }
            _partyPass(k, s, ph, keys);
        } else {
            if (keys.length != 0) revert(string.concat("market: interval ", _u(k), " expects no party keys in settlement phase ", uint256(ph).toString()));
            if (maxItems == 0) revert("market: settleChunk needs maxItems > 0");
            uint256 from = s.cursor;
            uint256 total = _total(k, s.meterCount, ph);
            uint256 end = maxItems < total - from ? from + maxItems : total;
            _countedPass(k, s, ph, from, end);
            s.cursor = uint64(end);
        }
        _advance(k, s);
    }

    function _countedPass(uint64 k, Settling storage s, uint8 ph, uint256 from, uint256 end) private {
        if (ph == PH_METERS) _meterPass(k, s.due, from, end);
        else if (ph == PH_PENALTIES) _penaltyPass(k, from, end);
        else _promisePass(k, from, end);
    }

    /** Phase 1: meters [from, end) of the registry's list, summed per party key. */
    function _meterPass(uint64 k, bool due, uint256 from, uint256 end) private {
        uint256 intervalMs = _config.intervalMs;
        for (uint256 j = from; j < end; j++) {
            uint256 m = registry.meterAt(j);
            if (_isUpstreamMeter(m)) continue;
            (, uint256 bus, address owner, uint256 capW) = registry.meterOf(m);
            (bool seen, uint256 imp, uint256 exp) = meters.readingOf(m, k);
            if (!seen) {
                if (!due) _waitsFor(k, m);
                imp = capW * intervalMs / HOUR_MS;
                _missingMeters[k].push(m);
            }
            uint256 key = _key(owner, bus);
            uint256 rec = _meteredAt[k][key];
            if (rec == 0 && _partyIndex[k][owner][bus] == 0) _meterParties[k].push(key);
            uint256 im = (rec >> 144) + imp;
            uint256 ex = ((rec >> 32) & MASK112) + exp;
            require(im <= MASK112 && ex <= MASK112, "market: a party's metered Wh exceed 112 bits");
            _meteredAt[k][key] = (im << 144) | (ex << 32) | ((rec & 0xffffffff) + 1);
        }
    }

    /** Phase 2: the non-reporting penalty of missing meters [from, end). */
    function _penaltyPass(uint64 k, uint256 from, uint256 end) private {
        uint256 penalty = _config.realtime.nonReportingPenaltyMicros;
        for (uint256 t = from; t < end; t++) {
            uint256 m = _missingMeters[k][t];
            (, uint256 bus, address owner, uint256 capW) = registry.meterOf(m);
            Pos memory q = _pos(k, _key(owner, bus));
            _charge(k, q, penalty, _config.gridOperator, string.concat("non-reporting penalty of meter ", m.toString(), ": "));
            _keepPool(k, q);
            _recordEstimate(k, m, owner, bus, capW * _config.intervalMs / HOUR_MS);
            emit ReadingEstimated(k, m, capW * _config.intervalMs / HOUR_MS, penalty);
        }
    }

    /** Phase 4: promises [from, end) of the interval burned. */
    function _promisePass(uint64 k, uint256 from, uint256 end) private {
        uint256 first = _intervals[k].firstPromise;
        for (uint256 i = from; i < end; i++) {
            PromiseRecord storage pr = _promises[first + i];
            pr.settled = true;
            address holder = promises.ownerOf(first + i);
            promises.burn(first + i);
            emit PromiseSettled(first + i, holder, pr.deliveredWh);
        }
    }

    /** Phases 3 and 5 for the parties `keys` (the next ones in ascending order). */
    function _partyPass(uint64 k, Settling storage s, uint8 ph, uint256[] memory keys) private {
        uint256 done = s.cursor;
        uint256 total = _total(k, s.meterCount, ph);
        if (keys.length > total - done) {
            revert(string.concat("market: interval ", _u(k), " has ", (total - done).toString(), " parties left, got ", keys.length.toString(), " keys"));
        }
        uint256 last = s.lastKey;
        uint256 creditsWh;
        int256 netWh;
        for (uint256 i = 0; i < keys.length; i++) {
            uint256 key = keys[i];
            if (key <= last) {
                revert(string.concat("market: party keys must ascend: key ", key.toHexString(), " after ", last.toHexString()));
            }
            Pos memory q = _pos(k, key);
            if (q.party == 0 && q.meterCount == 0) {
                revert(string.concat("market: key ", key.toHexString(), " is not a party of interval ", _u(k)));
            }
            if (ph == PH_CREDITS) {
                creditsWh += _creditParty(k, q);
                netWh += int256(q.exportedWh) - int256(q.importedWh);
            } else {
                _deviationParty(k, q);
            }
            last = key;
        }
        if (creditsWh > 0) s.creditsWh += creditsWh;
        if (netWh != 0) s.partiesNetWh += netWh;
        (s.cursor, s.lastKey) = (uint64(done + keys.length), last);
    }

    /** Phase 3 for one party: credits for net local delivery pro rata over its promises, liquidated damages. */
    function _creditParty(uint64 k, Pos memory q) private returns (uint256 minted) {
        if (q.party == 0 || q.soldWh == 0) return 0;
        uint256 net = q.exportedWh > q.importedWh ? q.exportedWh - q.importedWh : 0;
        Party storage p = _intervals[k].parties[q.party - 1];
        minted = _mintCredits(p, net < q.soldWh ? net : q.soldWh);
        _damages(k, q, p);
        _keepPool(k, q);
    }

    /** Phase 5 for one party: the deviation in the penalty band, then the rest of its collateral released. */
    function _deviationParty(uint64 k, Pos memory q) private {
        int256 dev = int256(q.exportedWh) - int256(q.importedWh) - (int256(q.soldWh) - int256(q.boughtWh));
        int256 amount = _deviationAmount(k, q.bus, dev);
        _recordDeviation(k, q.owner, q.bus, dev);
        if (amount < 0) _charge(k, q, uint256(-amount), _config.gridOperator, "imbalance charge of ");
        else if (amount > 0) _payOrHold(k, q.owner, uint256(amount), _balanceFlag[k] == BALANCE_HELD);
        if (q.party != 0) _intervals[k].parties[q.party - 1].collateral = 0;
        _release(q);
        emit ImbalanceSettled(k, q.owner, q.bus, dev, amount);
    }

    /**
     * Settles interval k in one transaction (the same phases and effects as beginSettle and its chunks,
     * the parties sorted in memory): for intervals small enough for one block; reverts, changing nothing,
     * when not ready or while it is being settled in chunks.
     */
    function settle(uint64 k) external {
        Settling storage s = _requireSettleable(k);
        if (s.phase != 0) {
            revert(string.concat("market: interval ", _u(k), " is being settled in chunks (continue with settleChunk)"));
        }
        beginSettle(k);
        uint256[] memory keys;
        while (s.phase < PH_SETTLED) {
            uint8 ph = s.phase;
            if (ph == PH_CREDITS || ph == PH_DEVIATIONS) {
                if (keys.length == 0) keys = _sorted(_partyKeys(k, 0, type(uint256).max));
                _partyPass(k, s, ph, keys);
            } else {
                uint256 total = _total(k, s.meterCount, ph);
                _countedPass(k, s, ph, s.cursor, total);
                s.cursor = uint64(total);
            }
            _advance(k, s);
        }
    }

    /**
     * Interval k's settlement progress: phase (0 not begun, 1 meters, 2 penalties, 3 credits, 4 promises,
     * 5 deviations, 6 settled in chunks), items done and in all in the phase, the last party key of a party
     * pass, and the parties (known from phase 3 on).
     */
    function settlingOf(uint64 k)
        external
        view
        returns (uint8 phase, uint256 done, uint256 total, uint256 lastKey, uint256 parties)
    {
        Settling storage s = _settling[k];
        phase = s.phase;
        if (phase == 0 || phase == PH_SETTLED) return (phase, 0, 0, 0, 0);
        return (phase, s.cursor, _total(k, s.meterCount, phase), s.lastKey, _total(k, 0, PH_CREDITS));
    }

    /**
     * Up to `n` party keys of interval k from position `from` (owner << 96 | bus): its cleared parties, then
     * (after the meters phase) those by meters only; unsorted (sort them for settleChunk).
     */
    function settlementParties(uint64 k, uint256 from, uint256 n) external view returns (uint256[] memory) {
        return _partyKeys(k, from, n);
    }

    function _partyKeys(uint64 k, uint256 from, uint256 n) private view returns (uint256[] memory keys) {
        IntervalRecord storage iv = _intervals[k];
        uint256 cleared = iv.parties.length;
        uint256[] storage byMeters = _meterParties[k];
        uint256 total = cleared + byMeters.length;
        if (from > total) from = total;
        uint256 end = n < total - from ? from + n : total;
        keys = new uint256[](end - from);
        for (uint256 i = from; i < end; i++) {
            keys[i - from] = i < cleared ? _key(iv.parties[i].owner, iv.parties[i].bus) : byMeters[i - cleared];
        }
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

    /**
     * Shares `delivered` Wh among the party's sold promises pro rata (largest remainder, lower id first):
     * the remainders sorted once (O(n log n)) instead of a search per Wh left over.
     */
    function _mintCredits(Party storage p, uint256 delivered) private returns (uint256 minted) {
        uint256[] storage ids = p.soldPromises;
        uint256 n = ids.length;
        uint256 total;
        for (uint256 i = 0; i < n; i++) total += _promises[ids[i]].energyWh;
        if (total == 0) return 0;
        if (delivered > total) delivered = total;
        uint256[] memory share = new uint256[](n);
        uint256[] memory rank = new uint256[](n);
        uint256 given;
        for (uint256 i = 0; i < n; i++) {
            uint256 e = _promises[ids[i]].energyWh;
            share[i] = (delivered * e) / total;
            given += share[i];
            // ascending rank: remainder, then the lower id last (so it comes first from the top), then i
            uint256 rem = (delivered * e) % total;
            require(rem < (1 << 128) && ids[i] < (1 << 64), "market: promise remainder or id out of range");
            rank[i] = (rem << 128) | ((((1 << 64) - 1) - ids[i]) << 64) | i;
        }
        uint256 left = delivered - given;
        if (left > 0) {
            rank = _sorted(rank);
            for (uint256 t = 0; t < left; t++) share[rank[n - 1 - t] & ((1 << 64) - 1)] += 1;
        }
        for (uint256 i = 0; i < n; i++) {
            _promises[ids[i]].deliveredWh = share[i];
            if (share[i] > 0) credits.mint(promises.ownerOf(ids[i]), share[i]);
            minted += share[i];
        }
    }
}
