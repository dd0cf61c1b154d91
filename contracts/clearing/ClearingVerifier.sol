// SPDX-License-Identifier: Apache-2.0
// The clearing verifier: checks an interval's DC clearing off its integer optimality certificate, in gas
// linear in the book and the network, and hands it to the market (IClearingSink.applyClearing), the only
// way a clearing reaches it. Anyone may act as operator; each operator's submission is its own session.
// A session is three kinds of transaction (docs/evm.md "Verifiable clearing"):
//   begin        the network part: prices π, flows f, angles θ, limit duals μ⁺/μ⁻, the upstream's
//                cleared Wh; checks Kirchhoff, limits, dual signs and complementarity, stationarity at
//                the angles, the upstream's steps; stores π and the running balance per bus;
//   submitOrders the book in chunks, in ascending order: each order must be the market's next open
//                order (read from it page by page, bookPage); per step bounds and complementary slackness
//                with the bus price, per bus the balance; the trades each order carries (per buy order
//                balanced across chunks) and the money each moves; a running keccak commitment of the
//                results (id, Wh, trades), checkpointed after each chunk. Nothing is applied yet;
//   finish       the header for the market: its prices, flows and upstream exchange must be the ones
//                checked; no open order after the last chunk; every bus and every buy order balances,
//                the congestion rent is not negative; then the market begins applying (prices, upstream);
//   applyChunk   (anyone) the verified chunks again, in order: each must reproduce its checkpoint; the
//                market pays its orders and mints its promises; the last one finishes the clearing.
// The same conditions, arithmetic and error names are in packages/evm/src/certificate/check.ts.
pragma solidity ^0.8.24;

import {IClearingSink, IMarketBook} from "../interfaces/IClearingSink.sol";

/** What the verifier reads from the market besides the book (views of evm's Market). */
interface IMarketClearingView {
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

    struct Config {
        address gridOperator;
        uint64 intervalMs;
        uint64 gateLeadMs;
        uint64 settlementDelayMs;
        uint64 firstInterval;
        Upstream upstream;
        uint64 shortfallPriceMicrosPerMWh;
        uint64 surplusPriceMicrosPerMWh;
        uint32 maxOrdersPerAccount;
        uint32 maxStepsPerOrder;
        uint64 minStepWh;
        uint64 maxOrderWh;
        MarketClock clock;
    }

    function config() external view returns (Config memory);
    /** The upstream's import and export prices of interval k, µ$/MWh (the market's tariff schedule). */
    function tariffAt(uint64 interval) external view returns (uint256 importPriceMicrosPerMWh, uint256 exportPriceMicrosPerMWh);
    function registry() external view returns (address);
}

/** The registry's network views (networkJson for the operator; the verifier reads the others). */
interface IRegistryNetworkView {
    function networkJson() external view returns (string memory);
    function networkVersion() external view returns (uint256);
    function buses() external view returns (uint256[] memory);
    function lineLimit(uint256 branch) external view returns (bool overridden, uint256 limitW);
}

contract ClearingVerifier {
    int256 internal constant PRAD_PER_RAD = 1e12;
    int256 internal constant WH_PER_MWH = 1e6;
    /** Bounds on |π| (µ$/MWh) and |f| (W) so that the packed per-bus state cannot wrap. */
    int256 internal constant MAX_PRICE = 2 ** 100;
    int256 internal constant MAX_FLOW = 2 ** 100;

    /** One branch in integers (by index − 1); see packages/evm/src/certificate/format.ts. */
    struct Branch {
        uint32 from;
        uint32 to;
        bool inService;
        uint64 limitW;
        int96 susceptanceWPerRad;
        int64 shiftPrad;
    }

    /** The stated tolerances (docs/evm.md). */
    struct Tolerances {
        uint64 priceMicrosPerMWh;
        uint64 flowW;
        uint64 quantityWh;
    }

    /** The network part of a certificate (vectors by bus position and branch index − 1). */
    struct NetworkPart {
        int256[] lmpMicrosPerMWh;
        int256[] flowW;
        int256[] anglePrad;
        uint256[] muForward;
        uint256[] muBackward;
        uint64 upstreamSoldWh;
        uint64 upstreamBoughtWh;
    }

    /**
     * One open order as the market lists it, with its cleared Wh per step and the trades it carries
     * (IClearingSink.AppliedOrder: a sell order every trade it sells in, a buy order its trades with the
     * upstream as seller).
     */
    struct ClearedOrder {
        uint256 id;
        address owner;
        uint256 bus;
        uint8 side;
        IMarketBook.Step[] steps;
        uint64[] clearedWh;
        IClearingSink.Trade[] trades;
    }

    struct Session {
        uint64 interval;
        uint32 nextOrder;
        bool open;
        uint64 upstreamSoldWh;
        uint64 upstreamBoughtWh;
        /** The upstream's Wh in the trades so far (sold, bought). */
        uint64 upstreamSoldTraded;
        uint64 upstreamBoughtTraded;
        uint32 trades;
        /** Buy orders whose trades do not yet add up to their cleared Wh. */
        uint32 unbalancedBuyers;
        /** Position in the market's order list after the last order checked. */
        uint256 bookCursor;
        /** Tells this session's per-order trade balances from an earlier session's. */
        uint256 nonce;
        bytes32 resultChain;
        bytes32 pricesHash;
        bytes32 flowsHash;
        /** µ$ the orders pay (buy) and receive (sell) so far, as the market will move them. */
        int256 buyersPay;
        int256 sellersReceive;
        /** µ$ the sell orders are owed so far (their positive amounts: the upstream's shortfall is shared by these). */
        uint256 sellersOwed;
    }

    /** The running commitment after one verified chunk: the position after it and the result chain. */
    struct Checkpoint {
        uint32 end;
        bytes32 chain;
    }

    /** A verified clearing being applied (one per interval). */
    struct Applying {
        bytes32 session;
        uint32 nextChunk;
    }

    error NotAdmin();
    error NetworkLocked();
    error NetworkNotReady();
    error NetworkChanged(uint256 registryVersion, uint256 verifierVersion);
    error BusesDiffer();
    error GateNotClosed(uint64 interval);
    error IntervalNotOpen(uint64 interval, uint8 status);
    error ShapeMismatch(uint256 what);
    error UnknownBus(uint256 order);
    error FlowOutOfService(uint256 branch);
    error FlowOverLimit(uint256 branch);
    error KirchhoffViolated(uint256 branch);
    error DualWithoutBinding(uint256 branch);
    error AngleStationarityViolated(uint256 bus);
    error UpstreamStepViolated(bool sell);
    error QuantityOutOfRange(uint256 order, uint256 step);
    error ReducedCostViolated(uint256 order, uint256 step);
    error BusImbalance(uint256 bus);
    error NoSession(uint64 interval, address operator);
    error ChunkOutOfOrder(uint256 expected, uint256 got);
    error PricesDiffer();
    error FlowsDiffer();
    error ResultsDiffer();
    error UpstreamDiffers();
    error BookDiffers(uint256 marketOrders, uint256 submittedOrders);
    error TradeInvalid(uint256 order, uint256 trade);
    error TradesDiffer(uint256 order);
    error BuyersUnbalanced(uint256 buyers);
    error SellerCannotPay(uint256 order);
    error AmountTooLarge(uint256 order);
    error NegativeRent(int256 rent);
    error NotApplying(uint64 interval);
    error ChunkDiffers(uint256 chunk);
    error BeingApplied(uint64 interval);

    event NetworkSet(uint256 networkVersion, uint256 buses, uint256 branches);
    event ClearingBegun(uint64 indexed interval, address indexed operator);
    event ClearingVerified(uint64 indexed interval, address indexed operator, uint256 orders);
    event ClearingChunkApplied(uint64 indexed interval, uint256 chunk, uint256 chunks);

    IClearingSink public immutable market;
    IMarketClearingView public immutable marketView;
    address public immutable admin;
    /** k = 60 / interval minutes: W per Wh cleared over the interval. */
    int256 public immutable wattsPerWh;

    Tolerances public tolerances;
    uint256 public networkVersion;
    bool public locked;
    uint256[] internal _busIds;
    mapping(uint256 => uint256) internal _busPosPlusOne;
    Branch[] internal _branches;

    mapping(bytes32 => Session) internal _sessions;
    /** Per session and bus: π (high 128 bits) and the running balance in W (low 128 bits). */
    mapping(bytes32 => mapping(uint256 => uint256)) internal _busState;
    /** Per session: the running commitment after each verified chunk. */
    mapping(bytes32 => Checkpoint[]) internal _checkpoints;
    /** keccak(session key, nonce, buy order id) → its trades' Wh so far minus its cleared Wh. */
    mapping(bytes32 => int256) internal _buyerGap;
    uint256 internal _nonces;
    /** Per interval: the verified clearing being applied. */
    mapping(uint64 => Applying) internal _applying;

    constructor(address market_, uint64 intervalMinutes, Tolerances memory tolerances_) {
        require(intervalMinutes > 0 && 60 % intervalMinutes == 0, "verifier: the interval must divide an hour");
        market = IClearingSink(market_);
        marketView = IMarketClearingView(market_);
        admin = msg.sender;
        wattsPerWh = int256(uint256(60 / intervalMinutes));
        tolerances = tolerances_;
    }

    // ---- network (the admin, once, before lock) ----

    /** Starts the integer network for the registry's network version `version`; clears any earlier one. */
    function setNetwork(uint256 version, uint256[] calldata ids) external {
        if (msg.sender != admin) revert NotAdmin();
        if (locked) revert NetworkLocked();
        for (uint256 i = 0; i < _busIds.length; i++) delete _busPosPlusOne[_busIds[i]];
        delete _branches;
        _busIds = ids;
        for (uint256 i = 0; i < ids.length; i++) _busPosPlusOne[ids[i]] = i + 1;
        networkVersion = version;
    }

    /** Appends branches (by index − 1), in chunks for a large network. */
    function addBranches(Branch[] calldata list) external {
        if (msg.sender != admin) revert NotAdmin();
        if (locked) revert NetworkLocked();
        uint256 n = _busIds.length;
        for (uint256 i = 0; i < list.length; i++) {
            if (list[i].from >= n || list[i].to >= n) revert ShapeMismatch(3);
            _branches.push(list[i]);
        }
    }

    /** Fixes the network after checking it against the registry's (version and bus ids). */
    function lockNetwork() external {
        if (msg.sender != admin) revert NotAdmin();
        if (locked) revert NetworkLocked();
        _checkRegistry();
        locked = true;
        emit NetworkSet(networkVersion, _busIds.length, _branches.length);
    }

    function _checkRegistry() internal view returns (IRegistryNetworkView reg) {
        reg = IRegistryNetworkView(marketView.registry());
        uint256 v = reg.networkVersion();
        if (v != networkVersion) revert NetworkChanged(v, networkVersion);
        if (keccak256(abi.encode(reg.buses())) != keccak256(abi.encode(_busIds))) revert BusesDiffer();
    }

    function busIds() external view returns (uint256[] memory) {
        return _busIds;
    }

    function branches() external view returns (Branch[] memory) {
        return _branches;
    }

    // ---- a session ----

    function _key(uint64 interval, address operator) internal pure returns (bytes32) {
        return keccak256(abi.encode(interval, operator));
    }

    /**
     * The upstream's offer and bid for `interval`: its capacity at the market's tariff of the interval
     * (tariffAt). The bid is not capped by the upstream account's cash (market-rules §10b): what it cannot
     * pay is its debt, recorded by the market.
     */
    function upstreamBook(uint64 interval)
        public
        view
        returns (uint256 bus, IMarketBook.Step memory sell, IMarketBook.Step memory buy)
    {
        IMarketClearingView.Upstream memory up = marketView.config().upstream;
        (uint256 importPrice, uint256 exportPrice) = marketView.tariffAt(interval);
        return (
            up.bus,
            IMarketBook.Step(up.capacityWh, uint64(importPrice)),
            IMarketBook.Step(up.capacityWh, uint64(exportPrice))
        );
    }

    /** Opens (or restarts) the caller's session for `interval` with the network part of its certificate. */
    function begin(uint64 interval, NetworkPart calldata p) external {
        if (!locked) revert NetworkNotReady();
        IRegistryNetworkView reg = _checkRegistry();
        // A verified clearing being applied keeps its checkpoints: no session may restart the interval.
        if (_applying[interval].session != bytes32(0)) revert BeingApplied(interval);
        {
            (uint8 status,,,) = IMarketBook(address(market)).intervalState(interval);
            if (status != 0) revert IntervalNotOpen(interval, status);
            (uint256 gateMs,,,) = IMarketBook(address(market)).clock(interval);
            if (IMarketBook(address(market)).marketTimeMs() < gateMs) revert GateNotClosed(interval);
        }
        uint256 n = _busIds.length;
        uint256 m = _branches.length;
        if (
            p.lmpMicrosPerMWh.length != n || p.anglePrad.length != n || p.flowW.length != m
                || p.muForward.length != m || p.muBackward.length != m
        ) revert ShapeMismatch(0);
        for (uint256 i = 0; i < n; i++) {
            if (_abs(p.lmpMicrosPerMWh[i]) > MAX_PRICE) revert ShapeMismatch(4);
        }
        for (uint256 l = 0; l < m; l++) {
            if (_abs(p.flowW[l]) > MAX_FLOW) revert ShapeMismatch(5);
        }
        int256[] memory balance = new int256[](n);
        int256[] memory stat = new int256[](n);
        int256[] memory bSum = new int256[](n);
        Tolerances memory tol = tolerances;
        for (uint256 l = 0; l < m; l++) {
            Branch memory br = _branches[l];
            (bool overridden, uint256 limitOverride) = reg.lineLimit(l + 1);
            int256 limit = int256(overridden ? limitOverride : uint256(br.limitW));
            _checkBranch(l, br, limit, p, tol);
            if (!br.inService) continue;
            int256 b = int256(br.susceptanceWPerRad);
            int256 eta = p.lmpMicrosPerMWh[br.from] - p.lmpMicrosPerMWh[br.to] + int256(p.muForward[l])
                - int256(p.muBackward[l]);
            stat[br.from] += b * eta;
            stat[br.to] -= b * eta;
            bSum[br.from] += b;
            bSum[br.to] += b;
            balance[br.from] -= p.flowW[l];
            balance[br.to] += p.flowW[l];
        }
        for (uint256 i = 0; i < n; i++) {
            if (_abs(stat[i]) > int256(uint256(tol.priceMicrosPerMWh)) * _abs(bSum[i])) revert AngleStationarityViolated(i);
        }
        {
            (uint256 upBus, IMarketBook.Step memory sell, IMarketBook.Step memory buy) = upstreamBook(interval);
            uint256 pos = _busPosPlusOne[upBus];
            if (pos == 0) revert UnknownBus(type(uint256).max);
            int256 price = p.lmpMicrosPerMWh[pos - 1];
            if (!_stepOk(sell, p.upstreamSoldWh, price, true, tol)) revert UpstreamStepViolated(true);
            if (!_stepOk(buy, p.upstreamBoughtWh, price, false, tol)) revert UpstreamStepViolated(false);
            balance[pos - 1] += (int256(uint256(p.upstreamSoldWh)) - int256(uint256(p.upstreamBoughtWh))) * wattsPerWh;
        }
        bytes32 key = _key(interval, msg.sender);
        mapping(uint256 => uint256) storage state = _busState[key];
        for (uint256 i = 0; i < n; i++) state[i] = _pack(p.lmpMicrosPerMWh[i], balance[i]);
        _sessions[key] = Session({
            interval: interval,
            nextOrder: 0,
            open: true,
            upstreamSoldWh: p.upstreamSoldWh,
            upstreamBoughtWh: p.upstreamBoughtWh,
            upstreamSoldTraded: 0,
            upstreamBoughtTraded: 0,
            trades: 0,
            unbalancedBuyers: 0,
            bookCursor: 0,
            nonce: ++_nonces,
            resultChain: bytes32(0),
            pricesHash: keccak256(abi.encode(p.lmpMicrosPerMWh)),
            flowsHash: keccak256(abi.encode(p.flowW)),
            buyersPay: 0,
            sellersReceive: 0,
            sellersOwed: 0
        });
        delete _checkpoints[key];
        emit ClearingBegun(interval, msg.sender);
    }

    function _checkBranch(uint256 l, Branch memory br, int256 limit, NetworkPart calldata p, Tolerances memory tol)
        internal
        pure
    {
        int256 f = p.flowW[l];
        uint256 mf = p.muForward[l];
        uint256 mb = p.muBackward[l];
        if (mf > uint256(MAX_PRICE) || mb > uint256(MAX_PRICE)) revert DualWithoutBinding(l);
        if (!br.inService) {
            if (f != 0 || mf != 0 || mb != 0) revert FlowOutOfService(l);
            return;
        }
        int256 tf = int256(uint256(tol.flowW));
        if (limit > 0) {
            if (_abs(f) > limit + tf) revert FlowOverLimit(l);
            if (mf > 0 && f < limit - tf) revert DualWithoutBinding(l);
            if (mb > 0 && f > -limit + tf) revert DualWithoutBinding(l);
        } else if (mf != 0 || mb != 0) {
            revert DualWithoutBinding(l);
        }
        int256 dTheta = p.anglePrad[br.from] - p.anglePrad[br.to] - int256(br.shiftPrad);
        if (_abs(f * PRAD_PER_RAD - int256(br.susceptanceWPerRad) * dTheta) > tf * PRAD_PER_RAD) {
            revert KirchhoffViolated(l);
        }
    }

    /** Bounds and complementary slackness of one step at bus price `price`. */
    function _stepOk(IMarketBook.Step memory s, uint64 q, int256 price, bool sell, Tolerances memory tol)
        internal
        pure
        returns (bool)
    {
        if (q > s.energyWh) return false;
        int256 p = int256(uint256(s.priceMicrosPerMWh));
        int256 r = sell ? p - price : price - p;
        int256 tp = int256(uint256(tol.priceMicrosPerMWh));
        if (r > tp && q > tol.quantityWh) return false;
        if (r < -tp && uint256(q) + tol.quantityWh < s.energyWh) return false;
        return true;
    }

    /**
     * Checks the next chunk of the book (orders `first`.. in ascending order, as the market lists them,
     * read from it page by page) against the prices of the caller's session: steps, bus balances, the
     * trades each order carries and the money each moves; extends the running commitment (the result
     * chain) and records it as the chunk's checkpoint. Applies nothing.
     */
    function submitOrders(uint64 interval, uint256 first, ClearedOrder[] calldata orders) external {
        bytes32 key = _key(interval, msg.sender);
        Session storage s = _sessions[key];
        if (!s.open) revert NoSession(interval, msg.sender);
        if (first != s.nextOrder) revert ChunkOutOfOrder(s.nextOrder, first);
        if (orders.length == 0) revert ShapeMismatch(6);
        (IMarketBook.BookOrder[] memory page, uint256[] memory escrows, uint256 next) =
            IMarketBook(address(market)).bookPage(interval, s.bookCursor, orders.length);
        if (page.length != orders.length) revert BookDiffers(first + page.length, first + orders.length);
        uint256 shortfall = marketView.config().shortfallPriceMicrosPerMWh;
        mapping(uint256 => uint256) storage state = _busState[key];
        Tolerances memory tol = tolerances;
        bytes32 results = s.resultChain;
        int256 buyersPay;
        int256 sellersReceive;
        uint256 sellersOwed;
        for (uint256 k = 0; k < orders.length; k++) {
            ClearedOrder calldata o = orders[k];
            uint256 idx = first + k;
            {
                IMarketBook.BookOrder memory b = page[k];
                if (
                    b.id != o.id || b.owner != o.owner || b.bus != o.bus || b.side != o.side
                        || keccak256(abi.encode(b.steps)) != keccak256(abi.encode(o.steps))
                ) revert BookDiffers(idx, idx);
            }
            if (o.clearedWh.length != o.steps.length) revert ShapeMismatch(2);
            uint256 pos = _busPosPlusOne[o.bus];
            if (pos == 0) revert UnknownBus(idx);
            (int256 price, int256 bal) = _unpack(state[pos - 1]);
            uint256 total;
            for (uint256 j = 0; j < o.steps.length; j++) {
                uint64 q = o.clearedWh[j];
                IMarketBook.Step calldata st = o.steps[j];
                if (q > st.energyWh) revert QuantityOutOfRange(idx, j);
                if (!_stepOk(st, q, price, o.side == 1, tol)) revert ReducedCostViolated(idx, j);
                total += q;
            }
            bal += (o.side == 1 ? int256(total) : -int256(total)) * wattsPerWh;
            state[pos - 1] = _pack(price, bal);
            _checkTrades(s, key, idx, o, total);
            (int256 paid, int256 received) = _money(idx, o.side, total, price, escrows[k], shortfall);
            buyersPay += paid;
            sellersReceive += received;
            if (received > 0) sellersOwed += uint256(received);
            results = keccak256(abi.encode(results, o.id, uint64(total), o.trades));
        }
        s.buyersPay += buyersPay;
        s.sellersReceive += sellersReceive;
        s.sellersOwed += sellersOwed;
        s.resultChain = results;
        s.bookCursor = next;
        s.nextOrder = uint32(first + orders.length);
        _checkpoints[key].push(Checkpoint(s.nextOrder, results));
    }

    /**
     * The trades order `o` carries: a sell order carries trades it sells in (to a buy order or the
     * upstream), summing to its cleared Wh; a buy order carries its trades with the upstream as seller.
     * What a buy order gets from sell orders is balanced per buy order across chunks (finish requires
     * every buy order balanced).
     */
    function _checkTrades(Session storage s, bytes32 key, uint256 idx, ClearedOrder calldata o, uint256 total)
        internal
    {
        uint256 carried;
        uint256 nonce = s.nonce;
        for (uint256 t = 0; t < o.trades.length; t++) {
            IClearingSink.Trade calldata tr = o.trades[t];
            if (tr.energyWh == 0) revert TradeInvalid(idx, t);
            carried += tr.energyWh;
            if (o.side == 1) {
                if (tr.sellerOrder != o.id) revert TradeInvalid(idx, t);
                if (tr.buyerOrder == 0) s.upstreamBoughtTraded += tr.energyWh;
                else _addGap(s, keccak256(abi.encode(key, nonce, tr.buyerOrder)), int256(uint256(tr.energyWh)));
            } else {
                if (tr.sellerOrder != 0 || tr.buyerOrder != o.id) revert TradeInvalid(idx, t);
                s.upstreamSoldTraded += tr.energyWh;
            }
        }
        s.trades += uint32(o.trades.length);
        if (o.side == 1) {
            if (carried != total) revert TradesDiffer(idx);
        } else {
            if (carried > total) revert TradesDiffer(idx);
            if (carried < total) _addGap(s, keccak256(abi.encode(key, nonce, o.id)), -int256(total - carried));
        }
    }

    function _addGap(Session storage s, bytes32 slot, int256 delta) internal {
        int256 before = _buyerGap[slot];
        int256 after_ = before + delta;
        _buyerGap[slot] = after_;
        if (before == 0 && after_ != 0) s.unbalancedBuyers += 1;
        else if (before != 0 && after_ == 0) s.unbalancedBuyers -= 1;
    }

    /** What the market will move for one order (its _payOrder, docs/market-rules.md §7), or reverts. */
    function _money(uint256 idx, uint8 side, uint256 wh, int256 price, uint256 escrow, uint256 shortfall)
        internal
        pure
        returns (int256 paid, int256 received)
    {
        int256 value = int256(wh) * price;
        int256 amount;
        if (side == 0) {
            amount = _ceilMicros(value);
            paid = amount > int256(escrow) ? int256(escrow) : amount;
        } else {
            amount = _floorMicros(value);
            uint256 keep = wh == 0 ? 0 : (wh * shortfall - 1) / uint256(WH_PER_MWH) + 1;
            if (keep > escrow) keep = escrow;
            if (int256(escrow - keep) + amount < 0) revert SellerCannotPay(idx);
            received = amount;
        }
        if (amount > type(int128).max || amount < type(int128).min) revert AmountTooLarge(idx);
    }

    function _ceilMicros(int256 a) internal pure returns (int256) {
        int256 q = a / WH_PER_MWH;
        return (a % WH_PER_MWH > 0) ? q + 1 : q;
    }

    function _floorMicros(int256 a) internal pure returns (int256) {
        int256 q = a / WH_PER_MWH;
        return (a % WH_PER_MWH < 0) ? q - 1 : q;
    }

    /**
     * Ends verifying the caller's session: the header must carry the checked prices, flows and upstream
     * exchange; every open order of the market was checked (none after the last chunk); every bus balances;
     * every buy order's trades add up, and the upstream's; the congestion rent is not negative. Then the
     * market starts applying (beginApplying: prices, the upstream's payments) and the verified chunks are
     * applied by applyChunk (anyone may send them; they must reproduce the checkpoints).
     */
    function finish(IClearingSink.ClearingHeader calldata c) external {
        bytes32 key = _key(c.interval, msg.sender);
        Session storage s = _sessions[key];
        if (!s.open) revert NoSession(c.interval, msg.sender);
        if (keccak256(abi.encode(c.lmpMicrosPerMWh)) != s.pricesHash) revert PricesDiffer();
        if (keccak256(abi.encode(c.busIds)) != keccak256(abi.encode(_busIds))) revert BusesDiffer();
        if (keccak256(abi.encode(c.branchFlowW)) != s.flowsHash) revert FlowsDiffer();
        {
            (IMarketBook.BookOrder[] memory rest,,) = IMarketBook(address(market)).bookPage(c.interval, s.bookCursor, 1);
            if (rest.length != 0) revert BookDiffers(s.nextOrder + 1, s.nextOrder);
        }
        if (
            c.upstreamImportWh != s.upstreamSoldWh || c.upstreamExportWh != s.upstreamBoughtWh
                || s.upstreamSoldTraded != s.upstreamSoldWh || s.upstreamBoughtTraded != s.upstreamBoughtWh
        ) revert UpstreamDiffers();
        if (s.unbalancedBuyers != 0) revert BuyersUnbalanced(s.unbalancedBuyers);
        mapping(uint256 => uint256) storage state = _busState[key];
        uint256 n = _busIds.length;
        int256 upPrice;
        {
            uint256 upBus = marketView.config().upstream.bus;
            for (uint256 i = 0; i < n; i++) {
                (int256 price, int256 bal) = _unpack(state[i]);
                if (bal != 0) revert BusImbalance(i);
                if (_busIds[i] == upBus) upPrice = price;
                state[i] = 0;
            }
        }
        int256 rent = s.buyersPay - s.sellersReceive
            + _ceilMicros(int256(uint256(s.upstreamBoughtWh)) * upPrice)
            - _floorMicros(int256(uint256(s.upstreamSoldWh)) * upPrice);
        if (rent < 0) revert NegativeRent(rent);
        uint256 orders = s.nextOrder;
        uint256 trades = s.trades;
        uint256 sellersOwed = s.sellersOwed;
        delete _sessions[key];
        emit ClearingVerified(c.interval, msg.sender, orders);
        market.beginApplying(c, orders, trades, sellersOwed, rent);
        if (orders == 0) {
            market.finishApplying(c.interval);
        } else {
            _applying[c.interval] = Applying(key, 0);
        }
    }

    /**
     * Applies verified chunk `chunk` of interval `interval` (anyone may send it: the orders must be the
     * ones verified, reproducing the chunk's checkpoint); the last chunk finishes the clearing.
     */
    function applyChunk(uint64 interval, uint256 chunk, IClearingSink.AppliedOrder[] calldata orders) external {
        Applying storage a = _applying[interval];
        if (a.session == bytes32(0)) revert NotApplying(interval);
        if (chunk != a.nextChunk) revert ChunkOutOfOrder(a.nextChunk, chunk);
        Checkpoint[] storage cps = _checkpoints[a.session];
        uint256 start = chunk == 0 ? 0 : cps[chunk - 1].end;
        bytes32 chain = chunk == 0 ? bytes32(0) : cps[chunk - 1].chain;
        if (orders.length != cps[chunk].end - start) revert ChunkDiffers(chunk);
        for (uint256 k = 0; k < orders.length; k++) {
            chain = keccak256(abi.encode(chain, orders[k].id, orders[k].clearedWh, orders[k].trades));
        }
        if (chain != cps[chunk].chain) revert ChunkDiffers(chunk);
        uint256 chunks = cps.length;
        market.applyOrders(interval, orders);
        emit ClearingChunkApplied(interval, chunk, chunks);
        if (chunk + 1 == chunks) {
            delete _checkpoints[a.session];
            delete _applying[interval];
            market.finishApplying(interval);
        } else {
            a.nextChunk = uint32(chunk + 1);
        }
    }

    /**
     * An operator's session for `interval`: open, the next order position, each verified chunk's end and
     * the running commitment so far (to resume it after a crash, or start anew when it differs).
     */
    function sessionOf(uint64 interval, address operator)
        external
        view
        returns (bool open, uint256 nextOrder, uint32[] memory chunkEnds, bytes32 resultChain)
    {
        bytes32 key = _key(interval, operator);
        Session storage s = _sessions[key];
        return (s.open, s.nextOrder, _ends(key), s.resultChain);
    }

    /** A verified clearing being applied: whether one is, the next chunk, and each chunk's end position. */
    function applyingOf(uint64 interval) external view returns (bool active, uint256 nextChunk, uint32[] memory chunkEnds) {
        Applying storage a = _applying[interval];
        if (a.session == bytes32(0)) return (false, 0, new uint32[](0));
        return (true, a.nextChunk, _ends(a.session));
    }

    function _ends(bytes32 key) internal view returns (uint32[] memory ends) {
        Checkpoint[] storage cps = _checkpoints[key];
        ends = new uint32[](cps.length);
        for (uint256 i = 0; i < cps.length; i++) ends[i] = cps[i].end;
    }

    function _pack(int256 price, int256 balance) internal pure returns (uint256) {
        return (uint256(uint128(int128(price))) << 128) | uint256(uint128(int128(balance)));
    }

    function _unpack(uint256 v) internal pure returns (int256 price, int256 balance) {
        price = int256(int128(uint128(v >> 128)));
        balance = int256(int128(uint128(v)));
    }

    function _abs(int256 x) internal pure returns (int256) {
        return x < 0 ? -x : x;
    }
}
