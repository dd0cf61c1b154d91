// SPDX-License-Identifier: Apache-2.0
// Applying a clearing (docs/market-rules.md §10 "Clearing" and "Promises"): only the clearing verifier
// calls beginApplying / applyOrders (in chunks) / finishApplying and failClearing (IClearingSink), after
// checking the whole certificate (docs/evm.md "Chunked clearing": nothing is applied before every chunk
// passed); the market checks that the result fits its book (exactly the open orders in id order, cleared
// Wh within each order, prices for every bus, the trades' orders) and moves the money in integers (§7: a buyer pays ceil(Wh·P/10^6),
// at most its escrow; a seller receives floor(Wh·P/10^6) and keeps ceil(Wh·shortfall/10^6) of its escrow
// as collateral; the upstream account owes what it bought minus what it sold at its bus's price: paid
// to it netted against its debts (MarketDebts), or taken with transferFrom as far as its cash goes, the
// shortfall its debt to the interval's sellers in proportion to what they are owed (each paid that much
// less, shared order by order by a running total: native shareInOrder) and beyond that to the rent fund;
// the rent goes to the rent fund 0x…1013, a cash balance no key controls, as natively: §10b). If no clearing arrives before the settlement deadline anyone may expire the interval,
// releasing every escrow (EVM difference: there is no block step that clears by itself).
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IClearingSink} from "./interfaces/IClearingSink.sol";
import {MarketDebts} from "./MarketDebts.sol";

abstract contract MarketClearing is MarketDebts, IClearingSink {
    using Strings for uint256;
    using Strings for address;

    function _onlyVerifier() private view {
        if (msg.sender != clearingVerifier || clearingVerifier == address(0)) {
            revert(string.concat("market: only the clearing verifier ", clearingVerifier.toHexString(), " may submit a clearing, not ", msg.sender.toHexString()));
        }
    }

    function _requireClearable(uint64 k) private {
        if (_intervals[k].status != 0) revert(string.concat("market: interval ", _u(k), " is already cleared or failed"));
        if (_applying[k].active) revert(string.concat("market: interval ", _u(k), " is being cleared (its checked clearing is applied in chunks)"));
        if (!_gateClosed(k)) revert(string.concat("market: gate of interval ", _u(k), " has not closed"));
        if (k < _config.firstInterval) revert(string.concat("market: interval ", _u(k), " is before the market's first interval"));
        // Sealed bids: the book is complete when the reveal window closes; the unrevealed forfeit first.
        if (_config.sealedBids.revealWindowMs > 0) {
            if (int256(marketTimeMs()) < _clearingMs(k)) {
                revert(string.concat("market: the reveal window of interval ", _u(k), " closes at ", uint256(_clearingMs(k)).toString(), " ms"));
            }
            if (!revealClosed[k]) _closeReveal(k);
        }
    }

    /// @inheritdoc IClearingSink
    function beginApplying(ClearingHeader calldata h, uint256 orders, uint256 trades, uint256 sellersOwed, int256 rent)
        external
    {
        _onlyVerifier();
        uint64 k = h.interval;
        _requireClearable(k);
        IntervalRecord storage iv = _intervals[k];
        _recordPrices(h);
        Applying storage a = _applying[k];
        a.active = true;
        (a.sellersReceive, a.buyersPay) = _payUpstream(h, a, sellersOwed);
        // What the sellers cannot carry of the shortfall is owed to the fund out of the rent; a rent smaller
        // than that (buyers paid at negative prices) would have to be drawn from the fund, which no key can
        // move on an EVM chain: the clearing is refused before anything is paid (docs/evm.md).
        if (int256(a.upstreamShortfall - a.cutPool) > rent) {
            revert(string.concat("market: the rent ", _s(rent), " cannot carry the upstream's unpaid ", (a.upstreamShortfall - a.cutPool).toString()));
        }
        uint256 first = nextPromiseId;
        nextPromiseId = first + trades;
        a.nextPromise = first;
        a.promisesEnd = first + trades;
        iv.firstPromise = first;
        iv.promises = trades;
        iv.upstreamImportWh = h.upstreamImportWh;
        iv.upstreamExportWh = h.upstreamExportWh;
        iv.resultHash = h.resultHash;
        iv.certificateHash = h.certificateHash;
        if (orders > iv.orderIds.length) revert(string.concat("market: the clearing lists ", orders.toString(), " orders, interval ", _u(k), " has ", iv.orderIds.length.toString()));
    }

    /// @inheritdoc IClearingSink
    function applyOrders(uint64 k, AppliedOrder[] calldata list) external {
        _onlyVerifier();
        Applying storage a = _applying[k];
        if (!a.active) revert(string.concat("market: interval ", _u(k), " is not being applied"));
        uint256[] storage ids = _intervals[k].orderIds;
        uint256 cursor = a.cursor;
        int256 buyersPay;
        int256 sellersReceive;
        for (uint256 i = 0; i < list.length; i++) {
            AppliedOrder calldata ao = list[i];
            while (cursor < ids.length && _orders[ids[cursor]].status != ORDER_OPEN) cursor++;
            if (cursor == ids.length || ids[cursor] != ao.id) {
                revert(string.concat("market: the clearing must list the interval's open orders in id order; order ", ao.id.toString(), " is not the next open one"));
            }
            cursor++;
            Order storage o = _orders[ao.id];
            (int256 paid, int256 received) = _payOrder(k, ao.id, o, ao.clearedWh, a);
            buyersPay += paid;
            sellersReceive += received;
            _mintPromises(k, a, ao);
        }
        a.cursor = cursor;
        a.buyersPay += buyersPay;
        a.sellersReceive += sellersReceive;
    }

    /// @inheritdoc IClearingSink
    function finishApplying(uint64 k) external {
        _onlyVerifier();
        Applying storage a = _applying[k];
        if (!a.active) revert(string.concat("market: interval ", _u(k), " is not being applied"));
        IntervalRecord storage iv = _intervals[k];
        uint256[] storage ids = iv.orderIds;
        for (uint256 i = a.cursor; i < ids.length; i++) {
            if (_orders[ids[i]].status == ORDER_OPEN) revert(string.concat("market: open order ", ids[i].toString(), " is not in the clearing"));
        }
        if (a.nextPromise != a.promisesEnd) revert("market: the clearing's trades are fewer than announced");
        int256 rent = a.buyersPay - a.sellersReceive;
        if (rent < 0) revert(string.concat("market: the clearing's congestion rent is negative (", _s(rent), " micros)"));
        // The upstream's shortfall beyond the sellers' receipts: the fund is paid that much less now and
        // is owed it (beginApplying checked that the rent covers it).
        uint256 unpaid = a.upstreamShortfall - a.cutPool;
        delete _applying[k];
        uint256 toFund = uint256(rent) - unpaid;
        if (toFund > 0) require(cash.transfer(RENT_FUND, toFund), "market: the cash token refused the rent");
        _recordDebt(_config.upstream.account, RENT_FUND, unpaid, k, UPSTREAM_DEBT);
        iv.status = INTERVAL_CLEARED;
        _clearedMeterCount[k] = registry.meterCount(); // the interval's meters (MarketBalance, as native)
        iv.congestionRent = rent;
        emit ClearingHashes(k, iv.resultHash, iv.certificateHash);
        emit IntervalCleared(k, INTERVAL_CLEARED, "", rent, iv.promises);
    }

    function _s(int256 v) internal pure returns (string memory) {
        return Strings.toStringSigned(v);
    }

    function _recordPrices(ClearingHeader calldata c) private {
        uint256[] memory buses = registry.buses();
        uint256 n = buses.length;
        if (c.busIds.length != n || c.lmpMicrosPerMWh.length != n || c.lmpLowMicrosPerMWh.length != n || c.lmpHighMicrosPerMWh.length != n) {
            revert(string.concat("market: expected a price and range for each of the network's ", n.toString(), " buses"));
        }
        for (uint256 i = 0; i < n; i++) {
            if (c.busIds[i] != buses[i]) revert(string.concat("market: bus ", (i + 1).toString(), " of the clearing is ", c.busIds[i].toString(), ", expected ", buses[i].toString()));
            _lmp[c.interval][buses[i]] = c.lmpMicrosPerMWh[i];
            _lmpLow[c.interval][buses[i]] = c.lmpLowMicrosPerMWh[i];
            _lmpHigh[c.interval][buses[i]] = c.lmpHighMicrosPerMWh[i];
            _priced[c.interval][buses[i]] = true;
        }
        if (c.branchFlowW.length != registry.branchCount()) {
            revert(string.concat("market: expected a flow for each of the network's ", registry.branchCount().toString(), " branches"));
        }
        _flows[c.interval] = c.branchFlowW;
    }

    /**
     * Pays one order at its bus's price; returns what it paid (buy) and received (sell), µ$. A seller owed
     * money carries its part of the upstream's shortfall (paid that much less, the upstream's debt to it).
     */
    function _payOrder(uint64 k, uint256 id, Order storage o, uint64 wh, Applying storage a)
        private
        returns (int256 paid, int256 received)
    {
        uint256 total;
        for (uint256 j = 0; j < o.steps.length; j++) total += o.steps[j].energyWh;
        if (wh > total) revert(string.concat("market: order ", id.toString(), " cleared ", _u(wh), " Wh of its ", total.toString()));
        int256 price = _lmp[k][o.bus];
        int256 value = int256(uint256(wh)) * price;
        int256 amount;
        uint256 released;
        if (o.side == 0) {
            amount = _ceilMicros(value);
            int256 escrow = int256(uint256(o.escrow));
            paid = amount > escrow ? escrow : amount;
            int256 back = escrow - paid;
            if (back < 0) revert(string.concat("market: order ", id.toString(), " cannot be paid at a negative price"));
            released = uint256(back);
            o.escrow = 0;
        } else {
            amount = _floorMicros(value);
            uint256 keep = _ceilDivU(uint256(wh) * _config.shortfallPriceMicrosPerMWh, WH_PER_MWH);
            if (keep > o.escrow) keep = o.escrow;
            int256 out = int256(uint256(o.escrow) - keep) + amount;
            if (out < 0) revert(string.concat("market: order ", id.toString(), " cannot pay its negative price"));
            received = amount;
            if (amount > 0 && a.cutPool > 0) {
                // its share of the shortfall: the running total's floor minus the one before it
                uint256 before = a.owedSoFar * a.cutPool / a.sellersOwed;
                a.owedSoFar += uint256(amount);
                uint256 cut = a.owedSoFar * a.cutPool / a.sellersOwed - before;
                out -= int256(cut);
                _recordDebt(_config.upstream.account, o.owner, cut, k, UPSTREAM_DEBT);
            }
            released = uint256(out);
            o.escrow = uint128(keep);
        }
        if (price > type(int128).max || price < type(int128).min || amount > type(int128).max || amount < type(int128).min) {
            revert(string.concat("market: order ", id.toString(), "'s price or amount does not fit 128 bits"));
        }
        o.clearedWh = wh;
        o.priceMicrosPerMWh = int128(price);
        o.amount = int128(amount);
        o.status = wh > 0 ? ORDER_CLEARED : ORDER_RELEASED;
        if (released > 0) require(cash.transfer(o.owner, released), "market: the cash token refused a payment");
        if (wh > 0) _joinParty(k, o, wh);
        emit OrderCleared(id, o.owner, wh, price, amount, released);
    }

    function _ceilDivU(uint256 a, uint256 b) private pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    function _joinParty(uint64 k, Order storage o, uint64 wh) private {
        IntervalRecord storage iv = _intervals[k];
        uint256 p = _partyIndex[k][o.owner][o.bus];
        if (p == 0) {
            iv.parties.push();
            p = iv.parties.length;
            _partyIndex[k][o.owner][o.bus] = p;
            iv.parties[p - 1].owner = o.owner;
            iv.parties[p - 1].bus = o.bus;
        }
        Party storage party = iv.parties[p - 1];
        if (o.side == 0) party.boughtWh += wh;
        else {
            party.soldWh += wh;
            party.collateral += o.escrow;
            o.escrow = 0;
        }
    }

    /** Mints the promises of the trades order `ao` carries (ids reserved by beginApplying, in order). */
    function _mintPromises(uint64 k, Applying storage a, AppliedOrder calldata ao) private {
        Upstream storage up = _config.upstream;
        int256 upPrice = _lmp[k][up.bus];
        uint256 pid = a.nextPromise;
        for (uint256 i = 0; i < ao.trades.length; i++) {
            Trade calldata tr = ao.trades[i];
            if (pid >= a.promisesEnd) revert("market: the clearing's trades are more than announced");
            if (tr.energyWh == 0) revert("market: a trade of 0 Wh");
            if (tr.sellerOrder == 0 && tr.buyerOrder == 0) revert("market: a trade between the upstream and itself");
            PromiseRecord storage p = _promises[pid];
            p.interval = k;
            p.sellerOrder = tr.sellerOrder;
            p.buyerOrder = tr.buyerOrder;
            p.energyWh = tr.energyWh;
            if (tr.sellerOrder == 0) {
                (p.seller, p.sellerBus, p.sellerPriceMicrosPerMWh) = (up.account, up.bus, upPrice);
            } else {
                Order storage s = _orders[tr.sellerOrder];
                if (s.side != 1 || s.interval != k) revert(string.concat("market: trade seller order ", tr.sellerOrder.toString(), " is not a sell order of the interval"));
                (p.seller, p.sellerBus, p.sellerPriceMicrosPerMWh) = (s.owner, s.bus, _lmp[k][s.bus]);
                _intervals[k].parties[_partyIndex[k][s.owner][s.bus] - 1].soldPromises.push(pid);
            }
            if (tr.buyerOrder == 0) {
                (p.buyer, p.buyerBus, p.buyerPriceMicrosPerMWh) = (up.account, up.bus, upPrice);
            } else {
                Order storage b = _orders[tr.buyerOrder];
                if (b.side != 0 || b.interval != k) revert(string.concat("market: trade buyer order ", tr.buyerOrder.toString(), " is not a buy order of the interval"));
                (p.buyer, p.buyerBus, p.buyerPriceMicrosPerMWh) = (b.owner, b.bus, _lmp[k][b.bus]);
            }
            promises.mint(p.buyer, pid);
            emit TradeRecorded(pid, tr.sellerOrder, tr.buyerOrder, tr.energyWh);
            pid++;
        }
        a.nextPromise = pid;
    }

    string private constant UPSTREAM_DEBT = "the upstream account could not pay for what it bought";

    /**
     * The upstream owes what it bought minus what it sold, both at its bus's price (as native): paid to it
     * netted against its debts, or taken from its cash (transferFrom, as far as its balance and allowance
     * go). The shortfall is recorded in `a` for the sellers (at most `sellersOwed`) and the rent fund.
     * Returns what it received and paid, µ$.
     */
    function _payUpstream(ClearingHeader calldata c, Applying storage a, uint256 sellersOwed)
        private
        returns (int256 received, int256 paid)
    {
        Upstream storage up = _config.upstream;
        if (c.upstreamImportWh > up.capacityWh || c.upstreamExportWh > up.capacityWh) {
            revert(string.concat("market: the upstream exchange exceeds its capacity of ", _u(up.capacityWh), " Wh"));
        }
        int256 price = _lmp[c.interval][up.bus];
        received = _floorMicros(int256(uint256(c.upstreamImportWh)) * price);
        paid = _ceilMicros(int256(uint256(c.upstreamExportWh)) * price);
        int256 owes = paid - received;
        if (owes < 0) {
            // netted against the upstream account's debts (market-rules §10b, native payNetOfDebts)
            _payNetOfDebts(address(this), up.account, uint256(-owes), 0);
        } else if (owes > 0) {
            uint256 want = uint256(owes);
            uint256 can = _cashFor(up.account, want);
            if (can > 0) require(cash.transferFrom(up.account, address(this), can), "market: the cash token refused the upstream's payment");
            if (can < want) {
                a.upstreamShortfall = want - can;
                a.cutPool = want - can < sellersOwed ? want - can : sellersOwed;
                a.sellersOwed = sellersOwed;
            }
        }
    }

    /// @inheritdoc IClearingSink
    function failClearing(uint64 interval, string calldata reason) external {
        _onlyVerifier();
        _requireClearable(interval);
        _fail(interval, reason);
    }

    /** Anyone: an interval not cleared by its settlement deadline fails and every escrow is released. */
    function expireClearing(uint64 interval) external {
        _requireClearable(interval);
        if (marketTimeMs() < _deadlineMs(interval)) {
            revert(string.concat("market: interval ", _u(interval), " may still be cleared until ", _deadlineMs(interval).toString(), " ms"));
        }
        _fail(interval, "no clearing before the settlement deadline");
    }

    function _fail(uint64 k, string memory reason) private {
        uint256[] storage ids = _intervals[k].orderIds;
        for (uint256 i = 0; i < ids.length; i++) {
            Order storage o = _orders[ids[i]];
            if (o.status != ORDER_OPEN) continue;
            uint256 e = o.escrow;
            o.escrow = 0;
            o.status = ORDER_RELEASED;
            if (e > 0) require(cash.transfer(o.owner, e), "market: the cash token refused a release");
            emit OrderCleared(ids[i], o.owner, 0, 0, 0, e);
        }
        _intervals[k].status = INTERVAL_FAILED;
        emit IntervalCleared(k, INTERVAL_FAILED, reason, 0, 0);
    }
}
