// SPDX-License-Identifier: Apache-2.0
// Meter readings (as the native 0x…1012 module): anyone submits readings, one or many per transaction,
// each EIP-712 typed data signed by the meter's registered key or by a grid operator's key (GRID_OPERATOR_ROLE
// of the registry: the head-end submitting on a participant's behalf, as native):
//   domain  { name: "gridledger-meters", version: "1", chainId, verifyingContract: this contract }
//   Reading(uint256 meter,uint64 interval,uint64 importedWh,uint64 exportedWh)
// The transaction reverts as a whole, naming the reading, for an unknown meter, a signature that does not
// recover to the meter's key (forged or tampered), a second reading of the same meter and interval (also
// within the batch), a reading whose imported + exported Wh exceed the meter's registered capacity × the
// interval, a reading before its interval ended, or at/after its settlement deadline or once
// settled, except a reading of a meter the settlement estimated, which the market takes until the
// true-up deadline and trues up (Market.trueUpReading, MarketBalance). EVM differences: verifyingContract is this contract's address (not 0x…1012), and signatures
// with a high s (malleable) are refused (OpenZeppelin ECDSA).
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IMarketBook} from "./interfaces/IClearingSink.sol";
import {Registry} from "./Registry.sol";

/** The market's true-up of a late reading (MarketBalance, through the Market). */
interface IMarketTrueUp {
    function trueUpReading(uint256 meter, uint64 interval, uint256 importedWh, uint256 exportedWh) external;
}

contract Meters is EIP712 {
    using Strings for uint256;

    bytes32 public constant READING_TYPEHASH =
        keccak256("Reading(uint256 meter,uint64 interval,uint64 importedWh,uint64 exportedWh)");
    /** Most readings in one transaction (as the native module). */
    uint256 public constant MAX_READINGS_PER_TX = 200;
    uint8 private constant SETTLED = 3;

    struct Reading {
        uint256 meter;
        uint64 interval;
        uint64 importedWh;
        uint64 exportedWh;
    }

    struct Stored {
        bool seen;
        uint64 importedWh;
        uint64 exportedWh;
    }

    Registry public immutable registry;
    /** The market whose clock and interval status the readings follow (fixed once by the deployer). */
    IMarketBook public market;
    address private immutable _deployer;
    mapping(uint256 meter => mapping(uint64 interval => Stored)) private _readings;

    event ReadingAccepted(uint256 indexed meter, uint64 indexed interval, uint256 importedWh, uint256 exportedWh);

    constructor(Registry registry_) EIP712("gridledger-meters", "1") {
        registry = registry_;
        _deployer = msg.sender;
    }

    /** Names the market once (the deployer, at initialisation). */
    function setMarket(IMarketBook m) external {
        require(msg.sender == _deployer, "meters: only the deployer sets the market");
        require(address(market) == address(0), "meters: the market is already set");
        require(address(m) != address(0), "meters: the market must be non-zero");
        market = m;
    }

    /** The EIP-712 digest a meter signs for `r`. */
    function readingDigest(Reading calldata r) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(READING_TYPEHASH, r.meter, r.interval, r.importedWh, r.exportedWh)));
    }

    function _where(uint256 i, Reading calldata r) private pure returns (string memory) {
        return string.concat(
            "meters: reading ", (i + 1).toString(), " (meter ", r.meter.toString(), ", interval ", uint256(r.interval).toString(), ")"
        );
    }

    /** Submits readings with their 65-byte signatures (r, s, v with v in 27, 28, 0, 1); all or nothing. */
    function submitReadings(Reading[] calldata readings, bytes[] calldata signatures) external {
        require(address(market) != address(0), "meters: no market set");
        uint256 n = readings.length;
        if (n == 0 || n > MAX_READINGS_PER_TX) {
            revert(string.concat("meters: expected 1..", MAX_READINGS_PER_TX.toString(), " readings, got ", n.toString()));
        }
        if (signatures.length != n) {
            revert(string.concat("meters: ", n.toString(), " readings but ", signatures.length.toString(), " signatures"));
        }
        uint256 t = market.marketTimeMs();
        for (uint256 i = 0; i < n; i++) {
            Reading calldata r = readings[i];
            (address key,,, uint256 capacityW) = registry.meterOf(r.meter);
            if (key == address(0)) revert(string.concat(_where(i, r), ": unknown meter"));
            (, uint256 startMs, uint256 endMs, uint256 deadlineMs) = market.clock(r.interval);
            if (t < endMs) {
                revert(string.concat(_where(i, r), ": the interval ends at ", endMs.toString(), " ms, market time is ", t.toString()));
            }
            (uint8 status,,,) = market.intervalState(r.interval);
            // After the deadline a settled interval takes a reading in place of an estimate (the market checks).
            bool late = t >= deadlineMs || status == SETTLED;
            if (late && status != SETTLED) {
                revert(string.concat(_where(i, r), ": the settlement deadline (", deadlineMs.toString(), " ms) has passed or the interval is settled (a reading that was estimated is taken after the settlement, until the true-up deadline)"));
            }
            bytes calldata sig = signatures[i];
            if (sig.length != 65) revert(string.concat(_where(i, r), ": expected a 65-byte signature"));
            uint8 v = uint8(sig[64]);
            if (v < 27) v += 27;
            (address signer, ECDSA.RecoverError err,) =
                ECDSA.tryRecover(readingDigest(r), v, bytes32(sig[0:32]), bytes32(sig[32:64]));
            if (err != ECDSA.RecoverError.NoError || (signer != key && !_isHeadEnd(signer))) {
                revert(string.concat(_where(i, r), ": not signed by the meter's key ", Strings.toHexString(key), " or the grid operator's head-end"));
            }
            Stored storage s = _readings[r.meter][r.interval];
            if (s.seen) revert(string.concat(_where(i, r), ": already reported"));
            _checkCapacity(i, r, capacityW, endMs - startMs);
            _readings[r.meter][r.interval] = Stored(true, r.importedWh, r.exportedWh);
            emit ReadingAccepted(r.meter, r.interval, r.importedWh, r.exportedWh);
            if (late) IMarketTrueUp(address(market)).trueUpReading(r.meter, r.interval, r.importedWh, r.exportedWh);
        }
    }

    /** A grid operator's key (the head-end) may sign readings on a participant's behalf. */
    function _isHeadEnd(address signer) private view returns (bool) {
        return signer != address(0) && registry.hasRole(registry.GRID_OPERATOR_ROLE(), signer);
    }

    /** Refuses a reading whose imported + exported Wh exceed the meter's capacity × the interval (as native). */
    function _checkCapacity(uint256 i, Reading calldata r, uint256 capacityW, uint256 intervalMs) private pure {
        uint256 maxWh = capacityW * intervalMs / 3_600_000;
        if (uint256(r.importedWh) + r.exportedWh > maxWh) {
            revert(string.concat(
                _where(i, r), ": imported ", uint256(r.importedWh).toString(), " + exported ", uint256(r.exportedWh).toString(),
                " Wh exceeds the meter's capacity of ", capacityW.toString(), " W \u00d7 the interval = ", maxWh.toString(), " Wh"
            ));
        }
    }

    function readingOf(uint256 meter, uint64 interval) external view returns (bool seen, uint256 importedWh, uint256 exportedWh) {
        Stored storage s = _readings[meter][interval];
        return (s.seen, s.importedWh, s.exportedWh);
    }
}
