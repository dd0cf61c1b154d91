// SPDX-License-Identifier: Apache-2.0
// A minimal book on chain for the clearing verifier's own tests and gas measurements, independent of the
// full market: orders placed before their interval's gate and listed as the market lists them
// (IMarketBook), the market clock, the network views of the registry (version, bus ids, line-limit
// overrides), the upstream configuration, and IClearingSink (a checked clearing is
// recorded by its hash, only from the verifier). It moves no money; the full market is contracts/Market.sol.
pragma solidity ^0.8.24;

import {IClearingSink, IMarketBook} from "../interfaces/IClearingSink.sol";
import {IMarketClearingView} from "./ClearingVerifier.sol";

contract BookCommitment is IClearingSink {
    struct StoredOrder {
        address owner;
        uint256 bus;
        uint8 side;
        IMarketBook.Step[] steps;
        uint256 escrow;
    }

    event OrderPlaced(uint64 indexed interval, uint256 indexed id, address owner);
    event ClearingApplied(uint64 indexed interval, bytes32 clearingHash, uint256 orders);
    event ClearingFailed(uint64 indexed interval, string reason);

    address public immutable deployer;
    address public verifier;
    IMarketClearingView.Config internal _config;
    uint256 public networkVersion;
    uint256[] internal _buses;
    string public networkJson;
    mapping(uint256 => uint256) internal _limitPlusOne;

    uint256 public nextOrderId = 1;
    mapping(uint256 => StoredOrder) internal _orders;
    mapping(uint64 => uint256[]) internal _intervalOrders;
    mapping(uint64 => uint8) internal _status;
    mapping(uint64 => bytes32) public clearingHash;
    mapping(uint64 => uint256) internal _applied;
    /** Per interval: import price · 2^64 + export price, when overridden (0: the configured prices). */
    mapping(uint64 => uint256) internal _tariff;

    constructor(IMarketClearingView.Config memory c, string memory networkJson_, uint256[] memory busIds) {
        deployer = msg.sender;
        _config = c;
        networkJson = networkJson_;
        _buses = busIds;
        networkVersion = 1;
    }

    function setVerifier(address v) external {
        require(msg.sender == deployer && verifier == address(0), "book: only the deployer names the verifier, once");
        verifier = v;
    }

    function setLineLimit(uint256 branch, uint256 limitW) external {
        require(msg.sender == deployer, "book: only the deployer sets line limits");
        _limitPlusOne[branch] = limitW + 1;
    }

    // ---- the market's views the verifier reads ----

    function config() external view returns (IMarketClearingView.Config memory) {
        return _config;
    }

    /** The upstream's prices of interval k: the configured ones, or the deployer's override for k (tests). */
    function tariffAt(uint64 k) external view returns (uint256, uint256) {
        uint256 w = _tariff[k];
        if (w == 0) return (_config.upstream.importPriceMicrosPerMWh, _config.upstream.exportPriceMicrosPerMWh);
        return (w >> 64, w & type(uint64).max);
    }

    /** Overrides the upstream's prices of interval k (the deployer; the market takes them from Tariffs). */
    function setTariffAt(uint64 k, uint64 importPrice, uint64 exportPrice) external {
        require(msg.sender == deployer, "book: only the deployer sets the tariff");
        _tariff[k] = (uint256(importPrice) << 64) | exportPrice;
    }

    function registry() external view returns (address) {
        return address(this);
    }

    function buses() external view returns (uint256[] memory) {
        return _buses;
    }

    function lineLimit(uint256 branch) external view returns (bool overridden, uint256 limitW) {
        uint256 v = _limitPlusOne[branch];
        return (v != 0, v == 0 ? 0 : v - 1);
    }

    function marketTimeMs() public view returns (uint256) {
        return block.timestamp * 1000;
    }

    function clock(uint64 k) public view returns (uint256 gateMs, uint256 startMs, uint256 endMs, uint256 deadlineMs) {
        startMs = uint256(k) * _config.intervalMs;
        gateMs = startMs > _config.gateLeadMs ? startMs - _config.gateLeadMs : 0;
        endMs = startMs + _config.intervalMs;
        deadlineMs = endMs + _config.settlementDelayMs;
    }

    function intervalState(uint64 k) external view returns (uint8 status, int256 congestionRent, uint256 orders, uint256 promises) {
        uint8 st = _status[k];
        return (st == 4 ? 0 : st, 0, _intervalOrders[k].length, 0);
    }

    // ---- the book ----

    function placeOrder(uint64 interval, uint256 bus, uint8 side, IMarketBook.Step[] calldata steps) external returns (uint256 id) {
        (uint256 gateMs,,,) = clock(interval);
        require(marketTimeMs() < gateMs, "book: the interval's gate has closed");
        require(side <= 1 && steps.length > 0, "book: expected side 0 or 1 and at least one step");
        bool known;
        for (uint256 i = 0; i < _buses.length; i++) if (_buses[i] == bus) known = true;
        require(known, "book: unknown bus");
        id = nextOrderId++;
        StoredOrder storage o = _orders[id];
        o.owner = msg.sender;
        o.bus = bus;
        o.side = side;
        uint256 value;
        for (uint256 j = 0; j < steps.length; j++) {
            o.steps.push(steps[j]);
            value += uint256(steps[j].energyWh) * (side == 0 ? steps[j].priceMicrosPerMWh : _config.shortfallPriceMicrosPerMWh);
        }
        // The escrow the market would take (buy: the steps' value; sell: collateral at the shortfall price).
        o.escrow = value == 0 ? 0 : (value - 1) / 1e6 + 1;
        _intervalOrders[interval].push(id);
        emit OrderPlaced(interval, id, msg.sender);
    }

    function openOrders(uint64 k) external view returns (IMarketBook.BookOrder[] memory out) {
        uint256[] storage ids = _intervalOrders[k];
        out = new IMarketBook.BookOrder[](ids.length);
        for (uint256 i = 0; i < ids.length; i++) {
            StoredOrder storage o = _orders[ids[i]];
            out[i] = IMarketBook.BookOrder(ids[i], o.owner, o.bus, o.side, o.steps);
        }
    }

    function bookPage(uint64 k, uint256 cursor, uint256 max)
        external
        view
        returns (IMarketBook.BookOrder[] memory out, uint256[] memory escrows, uint256 next)
    {
        uint256[] storage ids = _intervalOrders[k];
        uint256 left = cursor < ids.length ? ids.length - cursor : 0;
        uint256 n = max < left ? max : left;
        out = new IMarketBook.BookOrder[](n);
        escrows = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            StoredOrder storage o = _orders[ids[cursor + i]];
            out[i] = IMarketBook.BookOrder(ids[cursor + i], o.owner, o.bus, o.side, o.steps);
            escrows[i] = o.escrow;
        }
        next = cursor + n;
    }

    // ---- IClearingSink: a checked clearing is recorded as a hash chain of its header and applied chunks ----

    function beginApplying(ClearingHeader calldata h, uint256 orders, uint256 trades, uint256 sellersOwed, int256 rent)
        external
    {
        require(msg.sender == verifier, "book: only the verifier applies a clearing");
        require(_status[h.interval] == 0, "book: the interval is not open");
        _status[h.interval] = 4;
        clearingHash[h.interval] = keccak256(abi.encode(h, orders, trades, sellersOwed, rent));
    }

    function applyOrders(uint64 interval, AppliedOrder[] calldata orders) external {
        require(msg.sender == verifier, "book: only the verifier applies a clearing");
        require(_status[interval] == 4, "book: the interval is not being applied");
        clearingHash[interval] = keccak256(abi.encode(clearingHash[interval], orders));
        _applied[interval] += orders.length;
    }

    function finishApplying(uint64 interval) external {
        require(msg.sender == verifier, "book: only the verifier applies a clearing");
        require(_status[interval] == 4, "book: the interval is not being applied");
        _status[interval] = 1;
        emit ClearingApplied(interval, clearingHash[interval], _applied[interval]);
    }

    function failClearing(uint64 interval, string calldata reason) external {
        require(msg.sender == verifier, "book: only the verifier fails a clearing");
        require(_status[interval] == 0, "book: the interval is not open");
        _status[interval] = 2;
        emit ClearingFailed(interval, reason);
    }
}
