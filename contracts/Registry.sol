// SPDX-License-Identifier: Apache-2.0
// The grid registry (as the native 0x…1010 module, docs/market-rules.md §10): the grid operator
// (GRID_OPERATOR_ROLE) registers the network, overrides line limits and registers meters (id,
// signing-key address, bus, owner, connection capacity W); the accounts admin (DEFAULT_ADMIN_ROLE) registers participants and
// the buses each may trade at. EVM difference: a contract cannot parse the network JSON, so
// registerNetwork takes the bus ids and the branch count beside the JSON text (which is stored as given
// and checked off chain by whoever reads it); the clearing verifier reads the network it checks against.
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

contract Registry is AccessControl {
    using Strings for uint256;
    using Strings for address;

    bytes32 public constant GRID_OPERATOR_ROLE = keccak256("GRID_OPERATOR_ROLE");
    /** Largest network JSON accepted, bytes (as the native module). */
    uint256 public constant MAX_NETWORK_JSON_BYTES = 100_000;
    /** Largest meter capacity, W (as the native MAX_METER_CAPACITY_W). */
    uint256 public constant MAX_METER_CAPACITY_W = 1e12;

    struct Meter {
        address key;
        uint256 bus;
        address owner;
        /** The connection's rating, W: caps its readings (Meters) and, if configured, its owner's orders. */
        uint256 capacityW;
    }

    uint256 public networkVersion;
    string private _networkJson;
    uint256[] private _buses;
    uint256 public branchCount;
    /** Bus membership and limit overrides are kept per network version (a new network starts clean). */
    mapping(uint256 version => mapping(uint256 bus => bool)) private _hasBus;
    mapping(uint256 version => mapping(uint256 branch => uint256)) private _limitPlusOne;
    mapping(uint256 meter => Meter) private _meters;
    mapping(address owner => mapping(uint256 bus => uint256[])) private _metersAt;
    mapping(address owner => mapping(uint256 bus => uint256)) private _capacityAt;
    /** Every meter id in registration order (the second settlement's meters of an interval). */
    uint256[] private _allMeters;
    mapping(address account => mapping(uint256 bus => bool)) private _canTrade;
    mapping(address account => bool) public isParticipant;

    event NetworkRegistered(uint256 indexed version, uint256 buses, uint256 branches);
    event LineLimitSet(uint256 indexed branch, bool overridden, uint256 limitW);
    event MeterRegistered(uint256 indexed meter, address indexed key, uint256 bus, address indexed owner, uint256 capacityW);
    event ParticipantRegistered(address indexed account, uint256[] buses);

    constructor(address admin, address gridOperator) {
        require(admin != address(0) && gridOperator != address(0), "registry: admin and grid operator must be non-zero");
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GRID_OPERATOR_ROLE, gridOperator);
    }

    function _onlyGridOperator(string memory what) private view {
        if (!hasRole(GRID_OPERATOR_ROLE, msg.sender)) {
            revert(string.concat("registry: ", what, " needs GRID_OPERATOR_ROLE, ", msg.sender.toHexString(), " does not hold it"));
        }
    }

    /**
     * Registers the network: its JSON (networkToJson form) and, since the EVM cannot parse it, its bus ids
     * (strictly ascending) and number of branches (indices 1..branches). Replaces any earlier network and
     * its line-limit overrides.
     */
    function registerNetwork(string calldata networkJson_, uint256[] calldata busIds, uint256 branches) external {
        _onlyGridOperator("registerNetwork");
        uint256 len = bytes(networkJson_).length;
        if (len == 0 || len > MAX_NETWORK_JSON_BYTES) {
            revert(string.concat("registry: network JSON of ", len.toString(), " bytes is not in 1..", MAX_NETWORK_JSON_BYTES.toString()));
        }
        require(busIds.length > 0, "registry: the network has no buses");
        uint256 v = networkVersion + 1;
        for (uint256 i = 0; i < busIds.length; i++) {
            if (i > 0 && busIds[i] <= busIds[i - 1]) {
                revert(string.concat("registry: bus ids must be strictly ascending, bus ", busIds[i].toString(), " follows ", busIds[i - 1].toString()));
            }
            _hasBus[v][busIds[i]] = true;
        }
        _networkJson = networkJson_;
        _buses = busIds;
        branchCount = branches;
        networkVersion = v;
        emit NetworkRegistered(v, busIds.length, branches);
    }

    function _requireBranch(uint256 branch) private view {
        require(networkVersion != 0, "registry: no network registered");
        if (branch < 1 || branch > branchCount) {
            revert(string.concat("registry: unknown branch ", branch.toString(), " (the network has ", branchCount.toString(), ")"));
        }
    }

    /** Overrides branch `branch`'s limit, W (used from the next clearing on). */
    function setLineLimit(uint256 branch, uint256 limitW) external {
        _onlyGridOperator("setLineLimit");
        _requireBranch(branch);
        require(limitW <= 1 << 64, "registry: limitW above 2^64");
        _limitPlusOne[networkVersion][branch] = limitW + 1;
        emit LineLimitSet(branch, true, limitW);
    }

    /** Removes branch `branch`'s override. */
    function clearLineLimit(uint256 branch) external {
        _onlyGridOperator("clearLineLimit");
        _requireBranch(branch);
        _limitPlusOne[networkVersion][branch] = 0;
        emit LineLimitSet(branch, false, 0);
    }

    /** Registers meter `meter` with its signing key at `bus`, owned by `owner`, rated `capacityW` W. */
    function registerMeter(uint256 meter, address key, uint256 bus, address owner, uint256 capacityW) external {
        _onlyGridOperator("registerMeter");
        require(key != address(0) && owner != address(0), "registry: meter key and owner must be non-zero");
        if (capacityW == 0 || capacityW > MAX_METER_CAPACITY_W) {
            revert(string.concat(
                "registry: meter capacity must be 1..", MAX_METER_CAPACITY_W.toString(), " W (the connection's rating), got ", capacityW.toString()
            ));
        }
        if (_meters[meter].key != address(0)) {
            revert(string.concat("registry: meter ", meter.toString(), " is already registered"));
        }
        if (!_hasBus[networkVersion][bus]) revert(string.concat("registry: unknown bus ", bus.toString()));
        _meters[meter] = Meter(key, bus, owner, capacityW);
        _metersAt[owner][bus].push(meter);
        _capacityAt[owner][bus] += capacityW;
        _allMeters.push(meter);
        emit MeterRegistered(meter, key, bus, owner, capacityW);
    }

    /** Registers `account` as a participant that may trade at `buses` (the accounts admin). */
    function registerParticipant(address account, uint256[] calldata buses) external {
        if (!hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert(string.concat("registry: registerParticipant needs the accounts admin, ", msg.sender.toHexString(), " is not"));
        }
        require(account != address(0), "registry: participant must be non-zero");
        require(buses.length <= 1000, "registry: at most 1000 buses per participant");
        for (uint256 i = 0; i < buses.length; i++) {
            if (!_hasBus[networkVersion][buses[i]]) revert(string.concat("registry: unknown bus ", buses[i].toString()));
            _canTrade[account][buses[i]] = true;
        }
        isParticipant[account] = true;
        emit ParticipantRegistered(account, buses);
    }

    function networkJson() external view returns (string memory) {
        return _networkJson;
    }

    /** The registered network's bus ids, ascending. */
    function buses() external view returns (uint256[] memory) {
        return _buses;
    }

    function hasBus(uint256 bus) public view returns (bool) {
        return _hasBus[networkVersion][bus];
    }

    function lineLimit(uint256 branch) external view returns (bool overridden, uint256 limitW) {
        uint256 v = _limitPlusOne[networkVersion][branch];
        return (v != 0, v == 0 ? 0 : v - 1);
    }

    function meterOf(uint256 meter) external view returns (address key, uint256 bus, address owner, uint256 capacityW) {
        Meter storage m = _meters[meter];
        return (m.key, m.bus, m.owner, m.capacityW);
    }

    /** How many meters are registered (all owners and buses). */
    function meterCount() external view returns (uint256) {
        return _allMeters.length;
    }

    /** The `i`-th registered meter's id (0-based, registration order). */
    function meterAt(uint256 i) external view returns (uint256) {
        if (i >= _allMeters.length) revert(string.concat("registry: no meter at index ", i.toString()));
        return _allMeters[i];
    }

    /** How many meters `owner` has at `bus` and their summed capacity, W (EVM addition: one call for the market). */
    function capacityAt(address owner, uint256 bus) external view returns (uint256 meterCount, uint256 capacityW) {
        return (_metersAt[owner][bus].length, _capacityAt[owner][bus]);
    }

    /** The meters of `owner` at `bus`, in registration order. */
    function metersAt(address owner, uint256 bus) external view returns (uint256[] memory) {
        return _metersAt[owner][bus];
    }

    function canTrade(address account, uint256 bus) external view returns (bool) {
        return _canTrade[account][bus] && _hasBus[networkVersion][bus];
    }
}
