// SPDX-License-Identifier: Apache-2.0
// The seam between the clearing verifier and the market: the verifier (one contract, its address fixed
// when the market is initialised) checks an interval's clearing off the certificate, then hands the
// result to the market through beginApplying, applyOrders (in chunks) and finishApplying (or
// failClearing); the market accepts none of them from anyone else. The market reads the book for the operator through IMarketBook. Units as the native modules:
// energy Wh, prices µ$ per MWh (int256, may be negative), flows W, money µ$ (the cash token's 6 decimals).
pragma solidity ^0.8.24;

/** What the verifier hands the market for one interval, after checking the certificate. */
interface IClearingSink {
    /**
     * One bilateral trade of the interval (one ERC-721 promise minted to the buyer's owner). Order id 0
     * stands for the upstream connection (seller of imports, buyer of exports) at the upstream bus.
     */
    struct Trade {
        uint256 sellerOrder;
        uint256 buyerOrder;
        uint64 energyWh;
    }

    /**
     * The global part of one interval's clearing, in integers (docs/market-rules.md §7 rounding already
     * applied by the operator; the verifier checked it against the certificate):
     *  - busIds / lmpMicrosPerMWh / lmpLowMicrosPerMWh / lmpHighMicrosPerMWh: per bus of the registered
     *    network, the published price (§6a midpoint) and its range (open end: ±(2^127 − 1));
     *  - branchFlowW: cleared flow per branch, by branch index − 1;
     *  - upstreamImportWh / upstreamExportWh: what the upstream connection sold / bought;
     *  - resultHash / certificateHash: keccak256 of the engine's result and certificate texts
     *    (the texts themselves travel in the verifier's calldata/events, not here).
     */
    struct ClearingHeader {
        uint64 interval;
        uint256[] busIds;
        int256[] lmpMicrosPerMWh;
        int256[] lmpLowMicrosPerMWh;
        int256[] lmpHighMicrosPerMWh;
        int256[] branchFlowW;
        uint64 upstreamImportWh;
        uint64 upstreamExportWh;
        bytes32 resultHash;
        bytes32 certificateHash;
    }

    /**
     * One open order's result: its cleared Wh (0 for an order that clears nothing) and the trades it
     * carries — a sell order carries every trade it sells in; a buy order the trades it buys from the
     * upstream (seller order 0). Every trade is carried by exactly one order.
     */
    struct AppliedOrder {
        uint256 id;
        uint64 clearedWh;
        Trade[] trades;
    }

    /**
     * Starts applying a checked clearing (docs/evm.md "Chunked clearing"): records the prices and flows,
     * pays and charges the upstream, reserves `trades` promise ids. From here the interval can no longer
     * expire: the verifier hands it the orders in chunks (applyOrders), each already checked, then
     * finishApplying. `sellersOwedMicros` is what the sell orders are owed in all (Σ of their positive
     * amounts) and `rentMicros` the congestion rent, both as the verifier computed them from every chunk:
     * the upstream's shortfall is shared among the sellers before the first chunk is paid (market-rules
     * §10b). Reverts (changing nothing) unless called by the verifier for an interval whose gate has closed
     * and that is open and not being applied.
     */
    function beginApplying(
        ClearingHeader calldata header,
        uint256 orders,
        uint256 trades,
        uint256 sellersOwedMicros,
        int256 rentMicros
    ) external;

    /**
     * Applies the next orders of the interval's book (ascending id, exactly the open ones): pays each at
     * its bus's price from escrow, keeps sellers' collateral, mints the promises of the trades they carry.
     */
    function applyOrders(uint64 interval, AppliedOrder[] calldata orders) external;

    /** Ends applying: every open order was applied; pays the rent to the rent fund; interval cleared. */
    function finishApplying(uint64 interval) external;

    /** Marks an interval failed with a reason (not optimal, infeasible): every escrow is released. */
    function failClearing(uint64 interval, string calldata reason) external;
}

/** The order book as the operator reads it (views of the market). */
interface IMarketBook {
    struct Step {
        uint64 energyWh;
        uint64 priceMicrosPerMWh;
    }

    struct BookOrder {
        uint256 id;
        address owner;
        uint256 bus;
        uint8 side; // 0 buy, 1 sell
        Step[] steps;
    }

    /** The interval's open orders, ascending id (the clearing's input, in the order it must list them). */
    function openOrders(uint64 interval) external view returns (BookOrder[] memory);

    /**
     * A page of the open orders: up to `max` of them from position `cursor` of the interval's order list
     * (any status; the page skips the ones not open), with each one's escrow (µ$), and the cursor after the
     * last order read (the list's length when the page reached its end).
     */
    function bookPage(uint64 interval, uint256 cursor, uint256 max)
        external
        view
        returns (BookOrder[] memory orders, uint256[] memory escrows, uint256 next);

    /** Gate, start, end and settlement deadline of an interval in market time, ms. */
    function clock(uint64 interval) external view returns (uint256 gateMs, uint256 startMs, uint256 endMs, uint256 deadlineMs);

    /** Market time at the latest block, ms (block.timestamp · 1000 through the market clock). */
    function marketTimeMs() external view returns (uint256);

    /** 0 not cleared yet, 1 cleared, 2 failed, 3 settled (as the native market's intervalState). */
    function intervalState(uint64 interval)
        external
        view
        returns (uint8 status, int256 congestionRent, uint256 orders, uint256 promises);
}
