// SPDX-License-Identifier: Apache-2.0
// The market's clearing code (MarketClearing), run by the Market contract through delegatecall on the
// Market's own storage (the two contracts share MarketBase's layout and are deployed with the same
// arguments, which the Market checks). Split off because one contract with both would exceed the EVM's
// 24,576-byte code limit (EIP-170). Settlement is MarketRealtime's (the second settlement, every market). Called directly, it acts on its own empty storage and changes nothing
// of any market.
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Credits} from "./Credits.sol";
import {MarketBase} from "./MarketBase.sol";
import {MarketClearing} from "./MarketClearing.sol";
import {Meters} from "./Meters.sol";
import {Promises} from "./Promises.sol";
import {Registry} from "./Registry.sol";

contract MarketEngine is MarketClearing {
    constructor(Config memory c, IERC20 cash_, Registry registry_, Meters meters_, Promises promises_, Credits credits_)
        MarketBase(c, cash_, registry_, meters_, promises_, credits_)
    {}
}
