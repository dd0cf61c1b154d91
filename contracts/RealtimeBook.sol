// SPDX-License-Identifier: Apache-2.0
// The real-time book of a market (docs/market-rules.md §10a, docs/evm.md "The second settlement"): the
// metered state of a cleared interval served as the fixed-injection book the native dcRealtimePrices
// solves (per bus with a metered net injection: a sell at the price floor or a buy at the price cap; the
// upstream connection balances the rest at its import and export prices, unbounded), so that a second
// ClearingVerifier, deployed with this contract as its market, checks the operator's real-time DC-OPF
// certificate exactly as it checks a clearing's, and hands the verified prices here (beginApplying; the
// chunks it then applies move nothing: this book holds no money and mints no promise).
// The prices are stored clamped into [floor, cap], once per interval; the market's second settlement
// (MarketRealtime) reads them. For the verifier this contract answers as a market:
//   openOrders(k)    the fixed-injection book (order id = bus position + 1, owner = the market); bookPage
//                    pages it, each order's escrow unbounded (nothing is paid from it);
//   clock(k)         the "gate" is when the metered state is final: now once every reading is in, else
//                    the settlement deadline (Meters refuses readings from then on);
//   intervalState(k) 0 while the cleared interval awaits its prices; 1 priced; 4 the market's interval is
//                    not cleared (or 3 settled);
//   config()         the market's configuration with the upstream unbounded (capacity 10^12 Wh);
//   tariffAt(k)      the upstream's prices of k, the market's (its Tariffs schedule).
// A negative price floor (as native): book prices are unsigned, so every price of the book (the floor, the
// cap, the upstream's) is served shifted up by priceOffsetMicrosPerMWh = −floor, and the verified prices
// are shifted back before clamping. The DC-OPF is invariant under the shift: injections sum to zero, so
// the dispatch is the same and every bus price moves by the offset (the line duals do not change).
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IClearingSink, IMarketBook} from "./interfaces/IClearingSink.sol";
import {MarketBase} from "./MarketBase.sol";

/** The market's views the real-time book reads. */
interface IRealtimeMarket {
    function config() external view returns (MarketBase.Config memory);
    function registry() external view returns (address);
    function marketTimeMs() external view returns (uint256);
    function clock(uint64 interval) external view returns (uint256 gateMs, uint256 startMs, uint256 endMs, uint256 deadlineMs);
    function intervalState(uint64 interval) external view returns (uint8 status, int256 congestionRent, uint256 orders, uint256 promises);
    function tariffAt(uint64 interval) external view returns (uint256 importPriceMicrosPerMWh, uint256 exportPriceMicrosPerMWh);
    function meteredInjections(uint64 interval)
        external
        view
        returns (uint256[] memory busIds, int256[] memory netWh, bool complete, uint256 meterCount);
}

contract RealtimeBook is IClearingSink {
    using Strings for uint256;

    /** The upstream's capacity in the real-time book, Wh: never exhausted (native: every injection + 1 MW). */
    uint64 public constant UNBOUNDED_WH = 1e12;
    /** The escrow each injection shows the verifier, µ$: never binding (no money moves here). */
    uint256 public constant UNBOUNDED_ESCROW = 1 << 100;

    IRealtimeMarket public immutable market;
    /** The ClearingVerifier that checks real-time certificates against this book (set once). */
    address public verifier;
    address private immutable _deployer;

    mapping(uint64 interval => uint8) public status;
    mapping(uint64 interval => uint256) public meterCountOf;
    mapping(uint64 interval => mapping(uint256 bus => int256)) private _price;

    event RealtimePricesRecorded(uint64 indexed interval, uint256 buses, bytes32 resultHash, bytes32 certificateHash);

    constructor(IRealtimeMarket market_) {
        market = market_;
        _deployer = msg.sender;
    }

    /** Names the verifier once (the deployer, at initialisation). */
    function setVerifier(address v) external {
        require(msg.sender == _deployer, "realtime: only the deployer sets the verifier");
        require(verifier == address(0), "realtime: the verifier is already set");
        require(v != address(0), "realtime: the verifier must be non-zero");
        verifier = v;
    }

    // ---- the market views the verifier and the operator read ----

    function openOrders(uint64 k) public view returns (IMarketBook.BookOrder[] memory out) {
        (uint256[] memory busIds, int256[] memory netWh, bool complete,) = market.meteredInjections(k);
        if (!complete) return out;
        MarketBase.Realtime memory r = market.config().realtime;
        uint64 offset = _offset(r);
        uint256 n;
        for (uint256 i = 0; i < busIds.length; i++) if (netWh[i] != 0) n++;
        out = new IMarketBook.BookOrder[](n);
        uint256 w;
        for (uint256 i = 0; i < busIds.length; i++) {
            int256 x = netWh[i];
            if (x == 0) continue;
            IMarketBook.Step[] memory steps = new IMarketBook.Step[](1);
            steps[0] = x > 0
                ? IMarketBook.Step(uint64(uint256(x)), uint64(int64(offset) + r.priceFloorMicrosPerMWh))
                : IMarketBook.Step(uint64(uint256(-x)), r.priceCapMicrosPerMWh + offset);
            out[w++] = IMarketBook.BookOrder(i + 1, address(market), busIds[i], x > 0 ? 1 : 0, steps);
        }
    }

    /** A page of {openOrders} from position `cursor` (IMarketBook.bookPage), escrows unbounded. */
    function bookPage(uint64 k, uint256 cursor, uint256 max)
        external
        view
        returns (IMarketBook.BookOrder[] memory orders, uint256[] memory escrows, uint256 next)
    {
        IMarketBook.BookOrder[] memory all = openOrders(k);
        uint256 end = cursor + max > all.length ? all.length : cursor + max;
        uint256 from = cursor > end ? end : cursor;
        orders = new IMarketBook.BookOrder[](end - from);
        escrows = new uint256[](end - from);
        for (uint256 i = from; i < end; i++) {
            orders[i - from] = all[i];
            escrows[i - from] = UNBOUNDED_ESCROW;
        }
        next = end;
    }

    function clock(uint64 k) external view returns (uint256 gateMs, uint256 startMs, uint256 endMs, uint256 deadlineMs) {
        (, startMs, endMs, deadlineMs) = market.clock(k);
        (,, bool complete,) = market.meteredInjections(k);
        gateMs = complete ? endMs : deadlineMs;
    }

    function marketTimeMs() external view returns (uint256) {
        return market.marketTimeMs();
    }

    function intervalState(uint64 k) external view returns (uint8, int256, uint256, uint256) {
        if (status[k] != 0) return (status[k], 0, 0, 0);
        (uint8 s,,,) = market.intervalState(k);
        return (s == 1 ? 0 : (s == 3 ? 3 : 4), 0, 0, 0);
    }

    function config() external view returns (MarketBase.Config memory c) {
        c = market.config();
        c.upstream.capacityWh = UNBOUNDED_WH;
    }

    /** The upstream's prices of interval k (the market's tariff), shifted by the offset. */
    function tariffAt(uint64 k) external view returns (uint256 importPrice, uint256 exportPrice) {
        uint256 offset = _offset(market.config().realtime);
        (importPrice, exportPrice) = market.tariffAt(k);
        return (importPrice + offset, exportPrice + offset);
    }

    /** What every price of the book is shifted up by, µ$/MWh: −floor for a negative floor, else 0. */
    function priceOffsetMicrosPerMWh() external view returns (uint256) {
        return _offset(market.config().realtime);
    }

    function _offset(MarketBase.Realtime memory r) internal pure returns (uint64) {
        return r.priceFloorMicrosPerMWh < 0 ? uint64(-r.priceFloorMicrosPerMWh) : 0;
    }


    function registry() external view returns (address) {
        return market.registry();
    }

    // ---- the verifier's results ----

    /// @inheritdoc IClearingSink
    function beginApplying(ClearingHeader calldata c, uint256, uint256, uint256, int256) external {
        require(msg.sender == verifier, "realtime: only the verifier records real-time prices");
        if (status[c.interval] != 0) revert(string.concat("realtime: interval ", uint256(c.interval).toString(), " is already priced"));
        (,, bool complete, uint256 meterCount) = market.meteredInjections(c.interval);
        require(complete, "realtime: the interval's readings are not final");
        MarketBase.Realtime memory r = market.config().realtime;
        int256 cap = int256(uint256(r.priceCapMicrosPerMWh));
        int256 floor = r.priceFloorMicrosPerMWh;
        int256 offset = int256(uint256(_offset(r)));
        for (uint256 i = 0; i < c.busIds.length; i++) {
            int256 p = c.lmpMicrosPerMWh[i] - offset;
            _price[c.interval][c.busIds[i]] = p > cap ? cap : (p < floor ? floor : p);
        }
        status[c.interval] = 1;
        meterCountOf[c.interval] = meterCount;
        emit RealtimePricesRecorded(c.interval, c.busIds.length, c.resultHash, c.certificateHash);
    }

    /// @inheritdoc IClearingSink
    function applyOrders(uint64, AppliedOrder[] calldata) external view {
        require(msg.sender == verifier, "realtime: only the verifier records real-time prices");
        // The fixed-injection book's orders move no money and carry no promise.
    }

    /// @inheritdoc IClearingSink
    function finishApplying(uint64 k) external view {
        require(msg.sender == verifier, "realtime: only the verifier records real-time prices");
        require(status[k] == 1, "realtime: the interval is not priced");
    }

    /// @inheritdoc IClearingSink
    function failClearing(uint64, string calldata) external view {
        require(msg.sender == verifier, "realtime: only the verifier records real-time prices");
        revert("realtime: a real-time pricing cannot fail: submit a certificate");
    }

    /** The verified real-time price of `bus` in interval k, µ$/MWh (clamped into [floor, cap]). */
    function realtimePrice(uint64 k, uint256 bus) external view returns (int256) {
        if (status[k] != 1) revert(string.concat("realtime: interval ", uint256(k).toString(), " has no real-time prices"));
        return _price[k][bus];
    }
}
