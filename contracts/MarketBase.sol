// SPDX-License-Identifier: Apache-2.0
// The market's configuration, interval clock and storage (docs/market-rules.md §10), shared by its
// parts: MarketOrders (orders, escrow, views), MarketClearing (the verifier's results), MarketRealtime
// (the second settlement: readings → credits, deviations and debts). Units as the native modules: Wh, µ$ per MWh, µ$, ms of market time.
// Market time = marketOriginMs + (block.timestamp·1000 − blockOriginMs) · scale (EVM blocks carry whole
// seconds, so market time moves in steps of 1000·scale ms).
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Credits} from "./Credits.sol";
import {Meters} from "./Meters.sol";
import {Promises} from "./Promises.sol";
import {Registry} from "./Registry.sol";

abstract contract MarketBase {
    using Strings for uint256;

    /** Largest energy of one order step, Wh (as the native market). */
    uint256 public constant MAX_STEP_WH = 1e12;
    /** Largest price of one order step, µ$ per MWh. */
    uint256 public constant MAX_PRICE_MICROS_PER_MWH = 1e12;
    uint256 internal constant WH_PER_MWH = 1e6;
    /**
     * The rent fund (docs/market-rules.md §10b): every interval's congestion rent is paid to this address,
     * a cash balance no key controls (the native chain's rent fund address, 0x…1013).
     */
    address public constant RENT_FUND = address(0x1013);

    uint8 internal constant ORDER_OPEN = 1;
    uint8 internal constant ORDER_CANCELLED = 2;
    uint8 internal constant ORDER_CLEARED = 3;
    uint8 internal constant ORDER_RELEASED = 4;
    uint8 internal constant INTERVAL_CLEARED = 1;
    uint8 internal constant INTERVAL_FAILED = 2;
    uint8 internal constant INTERVAL_SETTLED = 3;

    struct Upstream {
        uint256 bus;
        address account;
        uint64 importPriceMicrosPerMWh;
        uint64 exportPriceMicrosPerMWh;
        uint64 capacityWh;
    }

    struct MarketClock {
        uint64 blockOriginMs;
        uint64 marketOriginMs;
        uint64 scale;
    }

    /** The market's configuration (fixed at deployment; as the native MarketConfig, chain id aside). */
    struct Config {
        address gridOperator;
        uint64 intervalMs;
        uint64 gateLeadMs;
        uint64 settlementDelayMs;
        uint64 firstInterval;
        Upstream upstream;
        /** The sell collateral's price, µ$/MWh: realtime.priceCap + realtime.penalty (as native). */
        uint64 shortfallPriceMicrosPerMWh;
        /** Kept in the layout (ClearingVerifier reads this struct); no rule uses it since the flat-price settlement went (issue 16). */
        uint64 surplusPriceMicrosPerMWh;
        uint32 maxOrdersPerAccount;
        uint32 maxStepsPerOrder;
        /** Smallest step, Wh (>= 1). */
        uint64 minStepWh;
        /** Most Wh of one order (0: no cap). */
        uint64 maxOrderWh;
        /** scale 1 and origins 0: market time is block time. */
        MarketClock clock;
        /** Sealed bids (commit-reveal, docs/market-rules.md §6b); revealWindowMs 0: an open book. */
        SealedBids sealedBids;
        /**
         * Orders capped by the registered meters (market-rules §10 "Orders", as the native
         * ordersCappedByMeters): an owner's open orders at a bus, interval and side may not exceed
         * Σ capacityW × interval of its meters there.
         */
        bool ordersCappedByMeters;
        /** The second settlement (market-rules §10a; MarketRealtime), every market's: penaltyMicrosPerMWh > 0. */
        Realtime realtime;
    }

    /**
     * The second settlement's parameters (the native ImbalanceConfig's): deviations settle at real-time
     * prices inside a penalty band of half-width δ; the real-time prices lie in [floor, cap] (the floor may be
     * negative, as native: RealtimeBook shifts its book's prices); a missing reading costs the non-reporting penalty.
     */
    struct Realtime {
        uint64 penaltyMicrosPerMWh;
        uint64 priceCapMicrosPerMWh;
        int64 priceFloorMicrosPerMWh;
        uint64 nonReportingPenaltyMicros;
        /** What a seller pays the holder of its promise per undelivered MWh, µ$/MWh (as native). */
        uint64 liquidatedDamagesMicrosPerMWh;
        /** How long after the settlement deadline an estimated meter's reading is trued up, ms (0: never; native trueUpDelayMs). */
        uint64 trueUpDelayMs;
        /** Largest energy-balance mismatch not flagged, Wh (native balanceToleranceWh; MarketBalance). */
        uint64 balanceToleranceWh;
        /** The upstream connection has its own meter, `upstreamMeter` (native upstream.meter): not a party. */
        bool upstreamMetered;
        uint256 upstreamMeter;
    }

    /** Commitments until the gate, reveals in a window after it, clearing when it closes (MarketSealed). */
    struct SealedBids {
        /** Reveal window after the gate, ms of market time (0: no sealed bids; else <= gateLeadMs). */
        uint64 revealWindowMs;
        /** Share of an unrevealed commitment's deposit forfeited to the grid operator, basis points. */
        uint32 forfeitBps;
    }

    struct Step {
        uint64 energyWh;
        uint64 priceMicrosPerMWh;
    }

    /** An order in three words and its steps (packed: an order's first write is the costliest gas). */
    struct Order {
        address owner;
        uint64 interval;
        uint8 side;
        uint8 status;
        uint64 bus;
        uint128 escrow;
        uint64 clearedWh;
        int128 priceMicrosPerMWh;
        int128 amount;
        Step[] steps;
    }

    struct PromiseRecord {
        uint64 interval;
        address seller;
        address buyer;
        uint256 sellerOrder;
        uint256 buyerOrder;
        uint256 sellerBus;
        uint256 buyerBus;
        uint64 energyWh;
        int256 sellerPriceMicrosPerMWh;
        int256 buyerPriceMicrosPerMWh;
        bool settled;
        uint256 deliveredWh;
    }

    /** A party of a cleared interval: an owner at a bus, over its cleared orders there. */
    struct Party {
        address owner;
        uint256 bus;
        uint64 soldWh;
        uint64 boughtWh;
        uint256 collateral;
        uint256[] soldPromises;
    }

    struct IntervalRecord {
        uint8 status;
        int256 congestionRent;
        uint256 firstPromise;
        uint256 promises;
        uint64 upstreamImportWh;
        uint64 upstreamExportWh;
        bytes32 resultHash;
        bytes32 certificateHash;
        uint256[] orderIds;
        Party[] parties;
    }

    Config internal _config;
    IERC20 public immutable cash;
    Registry public immutable registry;
    Meters public immutable meters;
    Promises public immutable promises;
    Credits public immutable credits;
    /** The one contract whose clearings the market accepts (set once, at initialisation). */
    address public clearingVerifier;
    address internal immutable _deployer;

    uint256 public nextOrderId = 1;
    uint256 public nextPromiseId = 1;
    mapping(uint256 id => Order) internal _orders;
    mapping(uint64 interval => IntervalRecord) internal _intervals;
    mapping(uint64 interval => mapping(address owner => uint256)) internal _live;
    mapping(uint64 interval => mapping(address owner => mapping(uint256 bus => mapping(uint8 side => uint256[])))) internal _own;
    mapping(uint64 interval => mapping(uint256 bus => int256)) internal _lmp;
    mapping(uint64 interval => mapping(uint256 bus => int256)) internal _lmpLow;
    mapping(uint64 interval => mapping(uint256 bus => int256)) internal _lmpHigh;
    mapping(uint64 interval => mapping(uint256 bus => bool)) internal _priced;
    mapping(uint64 interval => int256[]) internal _flows;
    mapping(uint256 promiseId => PromiseRecord) internal _promises;
    mapping(uint64 interval => mapping(address owner => mapping(uint256 bus => uint256))) internal _partyIndex;

    // ---- Sealed bids (MarketSealed): commitments; kept here so the engine shares the layout. ----
    uint8 internal constant COMMIT_COMMITTED = 1;
    uint8 internal constant COMMIT_REVEALED = 2;
    uint8 internal constant COMMIT_CANCELLED = 3;
    uint8 internal constant COMMIT_FORFEITED = 4;

    /** A commitment in three words: what the market holds for it until reveal, cancel or forfeit. */
    struct Commitment {
        address owner;
        uint64 interval;
        uint8 status;
        bytes32 hash;
        uint128 deposit;
        uint128 order;
    }

    uint256 public nextCommitId = 1;
    mapping(uint256 id => Commitment) internal _commits;
    mapping(address owner => mapping(bytes32 hash => uint256 id)) internal _commitByHash;
    mapping(uint64 interval => uint256[]) internal _intervalCommits;
    mapping(uint64 interval => mapping(address owner => uint256)) internal _liveCommits;
    /** The reveal window of the interval was closed (unrevealed commitments forfeited). */
    mapping(uint64 interval => bool) public revealClosed;
    // ---- end of sealed bids ----

    // ---- Chunked clearing (MarketClearing; docs/evm.md "Chunked clearing") ----
    /**
     * An interval whose checked clearing is being applied in chunks (beginApplying .. finishApplying):
     * the position in its order list, the promise ids left to mint, and the money moved so far.
     */
    struct Applying {
        bool active;
        uint256 cursor;
        uint256 nextPromise;
        uint256 promisesEnd;
        int256 buyersPay;
        int256 sellersReceive;
        /**
         * The upstream's shortfall (market-rules §10b): what the sellers carry in all (`cutPool`, at most
         * what they are owed, `sellersOwed`), shared in order by a running total (`owedSoFar`); the rest
         * (`upstreamShortfall` − `cutPool`) is owed to the rent fund.
         */
        uint256 upstreamShortfall;
        uint256 cutPool;
        uint256 sellersOwed;
        uint256 owedSoFar;
    }

    mapping(uint64 interval => Applying) internal _applying;
    // ---- end of chunked clearing ----

    /** The real-time book (RealtimeBook) whose verified prices the second settlement uses (set once). */
    address public realtimePricer;

    // ---- Debt ledger (MarketDebts; market-rules §10a "Collateral and debts", native debts.ts) ----
    /** One unpaid claim in a debtor's first-in first-out queue: its creditor and what is still owed, µ$. */
    struct Claim {
        address creditor;
        uint256 amount;
    }

    /** What each account owes in total, µ$ (> 0: in default). */
    mapping(address account => uint256) internal _debt;
    /** What is owed to each account in total, µ$. */
    mapping(address account => uint256) internal _due;
    /** Each debtor's claims, oldest first; those before its head are paid. */
    mapping(address debtor => Claim[]) internal _claims;
    mapping(address debtor => uint256) internal _claimHead;
    /** The sum of every account's debt (= the sum of every due), µ$. */
    uint256 public totalDebts;

    /** As native debts.ts DEBTS_ABI (same names, fields and indexing). */
    event DebtRecorded(address indexed debtor, address indexed creditor, uint64 indexed interval, uint256 amount, string reason);
    event DebtPaid(address indexed debtor, address indexed creditor, uint256 amount);

    /** An account in default (any unpaid debt) may not place or commit orders until it pays (as native). */
    function _refuseDefaulter(address who) internal view {
        uint256 d = _debt[who];
        if (d > 0) revert(string.concat("market: ", Strings.toHexString(who), " is in default, owing ", d.toString(), unicode" µ$: pay it with payDebts() first"));
    }
    // ---- end of debt ledger ----

    // ---- Energy balance, true-up and the interval's meters (MarketBalance; docs/evm.md) ----
    /** A long party's payment held by the energy-balance check until the grid operator resolves it. */
    struct HeldPayment {
        address to;
        uint256 amount;
    }

    /** The interval's meters: the first n registered when it cleared (as native expectedCount). */
    mapping(uint64 interval => uint256) internal _clearedMeterCount;
    /** A meter estimated at settlement: its estimated import + 1 Wh (0: not estimated). */
    mapping(uint64 interval => mapping(uint256 meter => uint256)) internal _estimatedImportWh;
    /** Parties with an estimated meter (owner, bus) and their settled deviation, Wh (for the true-up). */
    mapping(uint64 interval => mapping(address owner => mapping(uint256 bus => bool))) internal _estimatedParty;
    mapping(uint64 interval => mapping(address owner => mapping(uint256 bus => int256))) internal _trueUpDeviationWh;
    /** 0 not checked or within tolerance, 1 held, 2 released, 3 cancelled (native BALANCE_FLAG). */
    mapping(uint64 interval => uint8) internal _balanceFlag;
    /** The checked mismatch, Wh (0 while unchecked: no upstream meter, or it did not report). */
    mapping(uint64 interval => int256) internal _balanceMismatchWh;
    mapping(uint64 interval => HeldPayment[]) internal _heldPayments;
    // ---- end of energy balance ----

    /** True for the upstream connection's own meter (not a party; MarketBalance, MarketMetering). */
    function _isUpstreamMeter(uint256 meter) internal view returns (bool) {
        return _config.realtime.upstreamMetered && meter == _config.realtime.upstreamMeter;
    }

    // ---- Tariffs (docs/evm.md "Tariffs by time of day"): the upstream's schedule, named once. ----
    /** The Tariffs contract whose tariffAt(k) prices the upstream in interval k (set once; 0: the flat prices). */
    address public tariffs;
    // ---- end of tariffs ----

    // ---- Chunked second settlement (MarketRealtime; docs/evm.md "Settlement in chunks") ----
    /**
     * An interval being settled in chunks (beginSettle .. the last settleChunk): the phase (1 meters,
     * 2 penalties, 3 credits, 4 promises, 5 deviations), whether its deadline had passed at the start, the
     * interval's meter count, the position in the phase (meters, missing meters, parties or promises done),
     * the last party key of a party pass (keys strictly increase), the credits minted so far and the parties'
     * net injection.
     */
    struct Settling {
        uint8 phase;
        bool due;
        uint64 meterCount;
        uint64 cursor;
        uint256 lastKey;
        uint256 creditsWh;
        /** Σ parties (exported − imported), Wh, summed in the credits pass: the energy-balance check's input. */
        int256 partiesNetWh;
    }

    mapping(uint64 interval => Settling) internal _settling;
    /** Per party key (owner << 96 | bus): imported Wh (112 bits), exported Wh (112), meters (32). */
    mapping(uint64 interval => mapping(uint256 key => uint256)) internal _meteredAt;
    /** The keys of the parties by meters only (no cleared order), in meter order. */
    mapping(uint64 interval => uint256[]) internal _meterParties;
    /** The interval's meters without a reading at the deadline, in meter order. */
    mapping(uint64 interval => uint256[]) internal _missingMeters;
    // ---- end of chunked second settlement ----

    event OrderPlaced(uint256 indexed id, address indexed owner, uint64 indexed interval, uint256 bus, uint8 side, uint256 escrow);
    event OrderCancelled(uint256 indexed id, address indexed owner, uint256 released);
    event IntervalCleared(uint64 indexed interval, uint8 status, string reason, int256 congestionRent, uint256 promises);
    event OrderCleared(uint256 indexed id, address indexed owner, uint256 energyWh, int256 priceMicrosPerMWh, int256 amount, uint256 released);
    event TradeRecorded(uint256 indexed promiseId, uint256 indexed sellerOrder, uint256 indexed buyerOrder, uint256 energyWh);
    event PromiseSettled(uint256 indexed promiseId, address indexed holder, uint256 deliveredWh);
    event ImbalanceSettled(uint64 indexed interval, address indexed party, uint256 bus, int256 imbalanceWh, int256 amount);
    event IntervalSettled(uint64 indexed interval, uint256 creditsWh, uint256 promises);
    event ClearingHashes(uint64 indexed interval, bytes32 resultHash, bytes32 certificateHash);
    // Sealed bids (as the native sealed-abi.ts).
    event OrderCommitted(uint256 indexed id, address indexed owner, uint64 indexed interval, bytes32 commitment, uint256 deposit);
    event OrderRevealed(uint256 indexed commitId, uint256 indexed orderId, address indexed owner, uint256 refunded);
    event CommitmentCancelled(uint256 indexed id, address indexed owner, uint256 released);
    event CommitmentForfeited(uint256 indexed id, address indexed owner, address indexed to, uint256 forfeited, uint256 released);

    constructor(Config memory c, IERC20 cash_, Registry registry_, Meters meters_, Promises promises_, Credits credits_) {
        _checkConfig(c);
        _config = c;
        cash = cash_;
        registry = registry_;
        meters = meters_;
        promises = promises_;
        credits = credits_;
        _deployer = msg.sender;
    }

    function _checkConfig(Config memory c) private pure {
        require(c.gridOperator != address(0), "market config: expected gridOperator as a non-zero address");
        require(c.upstream.account != address(0), "market config: expected upstream.account as a non-zero address");
        require(c.intervalMs > 0 && c.intervalMs % 60_000 == 0, "market config: expected intervalMs > 0 in whole minutes");
        require(c.settlementDelayMs > 0, "market config: expected settlementDelayMs > 0");
        require(
            c.upstream.exportPriceMicrosPerMWh < c.upstream.importPriceMicrosPerMWh,
            "market config: expected upstream export price < import price"
        );
        require(
            c.surplusPriceMicrosPerMWh <= c.shortfallPriceMicrosPerMWh,
            "market config: expected the surplus imbalance price <= the shortfall price"
        );
        require(c.maxOrdersPerAccount > 0, "market config: expected maxOrdersPerAccount > 0");
        require(c.maxStepsPerOrder > 0, "market config: expected maxStepsPerOrder > 0");
        require(c.minStepWh >= 1 && c.minStepWh <= MAX_STEP_WH, "market config: expected minStepWh in 1..10^12");
        require(c.clock.scale >= 1 && c.clock.scale <= 1_000_000, "market config: expected clock.scale in 1..10^6");
        require(c.sealedBids.revealWindowMs <= c.gateLeadMs, "market config: expected sealed.revealWindowMs <= gateLeadMs");
        require(c.sealedBids.forfeitBps <= 10_000, "market config: expected sealed.forfeitBps <= 10000");
        require(
            c.sealedBids.revealWindowMs > 0 || c.sealedBids.forfeitBps == 0,
            "market config: expected sealed.forfeitBps 0 without sealed bids (revealWindowMs 0)"
        );
        Realtime memory r = c.realtime;
        require(r.penaltyMicrosPerMWh > 0, "market config: expected realtime.penaltyMicrosPerMWh > 0 (every market runs the second settlement)");
        require(
            r.priceFloorMicrosPerMWh >= -1e12 && r.priceFloorMicrosPerMWh <= int256(uint256(r.priceCapMicrosPerMWh))
                && r.priceCapMicrosPerMWh <= MAX_PRICE_MICROS_PER_MWH,
            "market config: expected -10^12 <= realtime.priceFloor <= priceCap <= 10^12"
        );
        require(
            r.priceFloorMicrosPerMWh <= int256(uint256(c.upstream.exportPriceMicrosPerMWh)),
            "market config: expected realtime.priceFloor <= the upstream export price (as native)"
        );
        require(
            uint256(c.shortfallPriceMicrosPerMWh) == uint256(r.priceCapMicrosPerMWh) + r.penaltyMicrosPerMWh,
            "market config: expected shortfallPrice = realtime.priceCap + penalty (the sell collateral's price, as native)"
        );
    }

    /** Names the clearing verifier once (the deployer, at initialisation). */
    function setClearingVerifier(address verifier) external {
        require(msg.sender == _deployer, "market: only the deployer sets the clearing verifier");
        require(clearingVerifier == address(0), "market: the clearing verifier is already set");
        require(verifier != address(0), "market: the clearing verifier must be non-zero");
        clearingVerifier = verifier;
    }

    function config() external view returns (Config memory) {
        return _config;
    }

    /** Market time at this block, ms (floored at 0). */
    function marketTimeMs() public view returns (uint256) {
        MarketClock memory k = _config.clock;
        int256 t = int256(uint256(k.marketOriginMs))
            + (int256(block.timestamp * 1000) - int256(uint256(k.blockOriginMs))) * int256(uint256(k.scale));
        return t < 0 ? 0 : uint256(t);
    }

    /** Gate of interval k, ms (may be negative for the first intervals). */
    function _gateMs(uint64 k) internal view returns (int256) {
        return int256(uint256(k) * _config.intervalMs) - int256(uint256(_config.gateLeadMs));
    }

    function _gateClosed(uint64 k) internal view returns (bool) {
        return int256(marketTimeMs()) >= _gateMs(k);
    }

    /** When interval k may clear: its gate, or with sealed bids the end of its reveal window, ms. */
    function _clearingMs(uint64 k) internal view returns (int256) {
        return _gateMs(k) + int256(uint256(_config.sealedBids.revealWindowMs));
    }

    function _deadlineMs(uint64 k) internal view returns (uint256) {
        return (uint256(k) + 1) * _config.intervalMs + _config.settlementDelayMs;
    }

    /** Gate, start, end and settlement deadline of interval k in market time, ms (gate floored at 0). */
    function clock(uint64 k) public view returns (uint256 gateMs, uint256 startMs, uint256 endMs, uint256 deadlineMs) {
        int256 g = _gateMs(k);
        return (
            g < 0 ? 0 : uint256(g),
            uint256(k) * _config.intervalMs,
            (uint256(k) + 1) * _config.intervalMs,
            _deadlineMs(k)
        );
    }

    /**
     * Closes interval k's reveal window (sealed bids): every commitment still unrevealed forfeits
     * floor(deposit · forfeitBps / 10^4) to the grid operator and gets the rest back (§6b step 3).
     * The caller checks that the window has closed in time and was not closed before.
     */
    function _closeReveal(uint64 k) internal {
        revealClosed[k] = true;
        uint256[] storage ids = _intervalCommits[k];
        uint256 bps = _config.sealedBids.forfeitBps;
        address to = _config.gridOperator;
        for (uint256 i = 0; i < ids.length; i++) {
            Commitment storage c = _commits[ids[i]];
            if (c.status != COMMIT_COMMITTED) continue;
            uint256 deposit = c.deposit;
            uint256 forfeited = deposit * bps / 10_000;
            uint256 released = deposit - forfeited;
            c.deposit = 0;
            c.status = COMMIT_FORFEITED;
            if (forfeited > 0) require(cash.transfer(to, forfeited), "market: the cash token refused the forfeit");
            if (released > 0) require(cash.transfer(c.owner, released), "market: the cash token refused a release");
            emit CommitmentForfeited(ids[i], c.owner, to, forfeited, released);
        }
    }

    function _nonNeg(int256 v) internal pure returns (uint256) {
        return v < 0 ? 0 : uint256(v);
    }

    /** ceil(a / 10^6) and floor(a / 10^6) for signed a (both toward the operator's side of a payment). */
    function _ceilMicros(int256 a) internal pure returns (int256) {
        int256 q = a / int256(WH_PER_MWH);
        return (a % int256(WH_PER_MWH) > 0) ? q + 1 : q;
    }

    function _floorMicros(int256 a) internal pure returns (int256) {
        int256 q = a / int256(WH_PER_MWH);
        return (a % int256(WH_PER_MWH) < 0) ? q - 1 : q;
    }

    function _u(uint256 v) internal pure returns (string memory) {
        return v.toString();
    }
}
