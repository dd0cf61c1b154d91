// SPDX-License-Identifier: Apache-2.0
// The energy market on an EVM chain (docs/market-rules.md §10, docs/evm.md): orders and escrow in a cash
// ERC-20 named at deployment and the views (MarketOrders, here); clearings accepted only from the clearing
// verifier (IClearingSink), whose code lives in MarketEngine and runs on this contract's storage by
// delegatecall (EIP-170 code-size limit); the settlement of metered delivery (the second settlement with
// the debt ledger, every market) in MarketRealtime and sealed bids in MarketSealed, run the same way
// (their views are here).
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Credits} from "./Credits.sol";
import {IClearingSink} from "./interfaces/IClearingSink.sol";
import {MarketBase} from "./MarketBase.sol";
import {MarketEngine} from "./MarketEngine.sol";
import {MarketOrders} from "./MarketOrders.sol";
import {MarketRealtime} from "./MarketRealtime.sol";
import {MarketSealed} from "./MarketSealed.sol";
import {Meters} from "./Meters.sol";
import {Promises} from "./Promises.sol";
import {Registry} from "./Registry.sol";
import {Tariffs} from "./Tariffs.sol";

contract Market is MarketOrders, IClearingSink {
    /** The clearing code (deployed with the same arguments as this market). */
    address public immutable engine;
    /** The sealed bids' code (deployed with the same arguments as this market). */
    address public immutable sealedEngine;
    /** The second settlement's code (MarketRealtime; deployed with the same arguments as this market). */
    address public immutable realtimeEngine;

    constructor(
        Config memory c,
        IERC20 cash_,
        Registry registry_,
        Meters meters_,
        Promises promises_,
        Credits credits_,
        MarketEngine engine_,
        MarketSealed sealedEngine_,
        MarketRealtime realtimeEngine_
    ) MarketBase(c, cash_, registry_, meters_, promises_, credits_) {
        require(
            address(engine_.cash()) == address(cash_) && address(engine_.registry()) == address(registry_)
                && address(engine_.meters()) == address(meters_) && address(engine_.promises()) == address(promises_)
                && address(engine_.credits()) == address(credits_)
                && keccak256(abi.encode(engine_.config())) == keccak256(abi.encode(c)),
            "market: the engine was deployed with other arguments"
        );
        engine = address(engine_);
        require(
            address(sealedEngine_.cash()) == address(cash_) && address(sealedEngine_.registry()) == address(registry_)
                && address(sealedEngine_.meters()) == address(meters_)
                && keccak256(abi.encode(sealedEngine_.config())) == keccak256(abi.encode(c)),
            "market: the sealed engine was deployed with other arguments"
        );
        sealedEngine = address(sealedEngine_);
        require(
            address(realtimeEngine_.meters()) == address(meters_) && address(realtimeEngine_.credits()) == address(credits_)
                && keccak256(abi.encode(realtimeEngine_.config())) == keccak256(abi.encode(c)),
            "market: the real-time engine was deployed with other arguments"
        );
        realtimeEngine = address(realtimeEngine_);
    }

    /** Runs the same call in the engine on this contract's storage and returns (or reverts) as it does. */
    function _delegate() private {
        _delegateTo(engine);
    }

    function _delegateTo(address e) private {
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), e, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            switch ok
            case 0 { revert(0, returndatasize()) }
            default { return(0, returndatasize()) }
        }
    }

    /// @inheritdoc IClearingSink
    function beginApplying(ClearingHeader calldata, uint256, uint256, uint256, int256) external {
        _delegate();
    }

    /// @inheritdoc IClearingSink
    function applyOrders(uint64, AppliedOrder[] calldata) external {
        _delegate();
    }

    /// @inheritdoc IClearingSink
    function finishApplying(uint64) external {
        _delegate();
    }

    /// @inheritdoc IClearingSink
    function failClearing(uint64, string calldata) external {
        _delegate();
    }

    /** Anyone: an interval not cleared by its settlement deadline fails and every escrow is released. */
    function expireClearing(uint64) external {
        _delegate();
    }

    /**
     * Anyone: settles a cleared interval in one transaction once its real-time prices are recorded (its
     * readings in or its deadline passed): the second settlement (MarketRealtime).
     */
    function settle(uint64) external {
        _delegateTo(realtimeEngine);
    }

    /** Settlement in chunks (MarketRealtime, docs/evm.md "Settlement in chunks"): starts interval k's. */
    function beginSettle(uint64) external {
        _delegateTo(realtimeEngine);
    }

    /** The next chunk of a settlement in chunks: `maxItems` meters/penalties/promises, or the next party keys. */
    function settleChunk(uint64, uint256, uint256[] calldata) external {
        _delegateTo(realtimeEngine);
    }

    /** A settlement in chunks' progress: phase, done, total, last party key, parties. */
    function settlingOf(uint64) external returns (uint8, uint256, uint256, uint256, uint256) {
        _delegateTo(realtimeEngine);
    }

    /** Up to n party keys (owner << 96 | bus) of interval k from `from`, unsorted. */
    function settlementParties(uint64, uint256, uint256) external returns (uint256[] memory) {
        _delegateTo(realtimeEngine);
    }

    /** Metered net injection per bus of a cleared interval (MarketMetering, in the sealed engine): the real-time book's input. */
    function meteredInjections(uint64)
        external
        returns (uint256[] memory busIds, int256[] memory netWh, bool complete, uint256 meterCount)
    {
        _delegateTo(sealedEngine);
    }

    // ---- The debt ledger (MarketDebts, docs/market-rules.md §10a): payDebts runs in the real-time engine. ----

    /** Pays the caller's debts, oldest claim first, from its cash (allowance to the market); returns what it paid. */
    function payDebts() external returns (uint256 paid) {
        _delegateTo(realtimeEngine);
    }

    /** What `account` owes in total and what is owed to it, µ$ (debt > 0: in default). */
    function debtOf(address account) external view returns (uint256 debt, uint256 due) {
        return (_debt[account], _due[account]);
    }

    /** `account`'s unpaid claims, oldest first: creditors and amounts still owed, µ$ (EVM addition). */
    function claimsOf(address account) external view returns (address[] memory creditors, uint256[] memory amounts) {
        Claim[] storage q = _claims[account];
        uint256 h = _claimHead[account];
        creditors = new address[](q.length - h);
        amounts = new uint256[](q.length - h);
        for (uint256 i = h; i < q.length; i++) (creditors[i - h], amounts[i - h]) = (q[i].creditor, q[i].amount);
    }

    /** A grid operator resolves an interval flagged by the energy-balance check: pay or cancel (MarketBalance). */
    function resolveEnergyBalance(uint64, bool) external returns (uint256 amount) {
        _delegateTo(realtimeEngine);
    }

    /** The Meters contract hands over a late reading of an estimated meter: its true-up (MarketBalance). */
    function trueUpReading(uint256, uint64, uint256, uint256) external {
        _delegateTo(realtimeEngine);
    }

    /** Energy balance of an interval: flag (1 held, 2 released, 3 cancelled), mismatch Wh, held µ$ (MarketBalance). */
    function energyBalance(uint64) external returns (uint8 flag, int256 mismatchWh, uint256 heldPayments) {
        _delegateTo(realtimeEngine);
    }

    /** Names the real-time book (RealtimeBook) once: the deployer, at initialisation. */
    function setRealtimePricer(address book) external {
        require(msg.sender == _deployer, "market: only the deployer sets the real-time pricer");
        require(realtimePricer == address(0), "market: the real-time pricer is already set");
        require(book != address(0), "market: the real-time pricer must be non-zero");
        realtimePricer = book;
    }

    /** Names the upstream's tariff schedule (Tariffs) once: the deployer, at initialisation. */
    function setTariffs(address t) external {
        require(msg.sender == _deployer && tariffs == address(0) && t != address(0), "market: only the deployer names the tariffs, once");
        tariffs = t;
    }

    /** The upstream's import and export prices of interval k, µ$/MWh: Tariffs.tariffAt (the flat configured ones before it is named). */
    function tariffAt(uint64 k) external view returns (uint256, uint256) {
        if (tariffs == address(0)) return (_config.upstream.importPriceMicrosPerMWh, _config.upstream.exportPriceMicrosPerMWh);
        return Tariffs(tariffs).tariffAt(k);
    }

    // ---- Sealed bids (docs/market-rules.md §6b): MarketSealed's code on this storage; the views here. ----

    /** A commitment as the native `commitment(id)` view returns it. */
    struct CommitmentView {
        address owner;
        uint64 interval;
        bytes32 commitment;
        uint256 deposit;
        uint8 status;
        uint256 order;
    }

    /** Commits to an order of `interval` before its gate with a cash deposit > 0; returns its id. */
    function commitOrder(uint64 interval, bytes32 commitment, uint256 deposit) external returns (uint256 id) {
        _delegateTo(sealedEngine);
    }

    /** Reveals a commitment in its reveal window; the order enters the book; returns the order id. */
    function revealOrder(uint256 commitId, uint256 bus, uint8 side, Step[] calldata steps, bytes32 salt)
        external
        returns (uint256 orderId)
    {
        _delegateTo(sealedEngine);
    }

    /** Cancels one of the caller's commitments before its gate (the whole deposit back). */
    function cancelCommitment(uint256 commitId) external {
        _delegateTo(sealedEngine);
    }

    /** Anyone, after interval k's reveal window: forfeits its unrevealed commitments (EVM addition). */
    function closeReveal(uint64 interval) external {
        _delegateTo(sealedEngine);
    }

    function commitment(uint256 commitId) external view returns (CommitmentView memory) {
        Commitment storage m = _commits[commitId];
        if (m.owner == address(0)) revert(string.concat("market: unknown commitment ", _u(commitId)));
        return CommitmentView(m.owner, m.interval, m.hash, m.deposit, m.status, m.order);
    }

    /** Every commitment id of interval k (any status), ascending (EVM addition, as orderIds). */
    function commitmentIds(uint64 k) external view returns (uint256[] memory) {
        return _intervalCommits[k];
    }

    /** The reveal window of interval k in market time, ms (floored at 0): [gate, gate + revealWindowMs). */
    function revealWindow(uint64 interval) external view returns (uint256 opensMs, uint256 closesMs) {
        if (_config.sealedBids.revealWindowMs == 0) revert("market: this market has no sealed bids; place orders with placeOrder");
        return (_nonNeg(_gateMs(interval)), _nonNeg(_clearingMs(interval)));
    }
}
