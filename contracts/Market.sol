// SPDX-License-Identifier: Apache-2.0
// The energy market on an EVM chain (docs/market-rules.md §10, docs/evm.md): orders and escrow in a cash
// ERC-20 named at deployment and the views (MarketOrders, here); clearings accepted only from the clearing
// verifier (IClearingSink) and settlement of metered delivery into credits, whose code lives in
// MarketEngine and runs on this contract's storage by delegatecall (EIP-170 code-size limit).
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Credits} from "./Credits.sol";
import {IClearingSink} from "./interfaces/IClearingSink.sol";
import {MarketBase} from "./MarketBase.sol";
import {MarketEngine} from "./MarketEngine.sol";
import {MarketOrders} from "./MarketOrders.sol";
import {Meters} from "./Meters.sol";
import {Promises} from "./Promises.sol";
import {Registry} from "./Registry.sol";

contract Market is MarketOrders, IClearingSink {
    /** The clearing and settlement code (deployed with the same arguments as this market). */
    address public immutable engine;

    constructor(
        Config memory c,
        IERC20 cash_,
        Registry registry_,
        Meters meters_,
        Promises promises_,
        Credits credits_,
        MarketEngine engine_
    ) MarketBase(c, cash_, registry_, meters_, promises_, credits_) {
        require(
            address(engine_.cash()) == address(cash_) && address(engine_.registry()) == address(registry_)
                && address(engine_.meters()) == address(meters_) && address(engine_.promises()) == address(promises_)
                && address(engine_.credits()) == address(credits_)
                && keccak256(abi.encode(engine_.config())) == keccak256(abi.encode(c)),
            "market: the engine was deployed with other arguments"
        );
        engine = address(engine_);
    }

    /** Runs the same call in the engine on this contract's storage and returns (or reverts) as it does. */
    function _delegate() private {
        address e = engine;
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
    function applyClearing(Clearing calldata) external {
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

    /** Anyone: settles a cleared interval once its readings are in or its deadline has passed. */
    function settle(uint64) external {
        _delegate();
    }
}
