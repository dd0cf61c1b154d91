// SPDX-License-Identifier: Apache-2.0
// Energy promises (ERC-721; as the native 0x…1003 "Energy Promise", PROMISE): one token per cleared
// bilateral trade, minted to the buyer by the market's clearing and burned by its settlement. The trade's
// attributes live on the market (`promiseOf(id)`); until settlement a promise is an ordinary token, and
// the credits of its delivery go to whoever holds it then.
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

contract Promises is ERC721 {
    /** The one account that mints and burns: the market (fixed once by the deployer). */
    address public minter;
    address private immutable _deployer;

    constructor() ERC721("Energy Promise", "PROMISE") {
        _deployer = msg.sender;
    }

    /** Names the minter once (the deployer, at initialisation). */
    function setMinter(address m) external {
        require(msg.sender == _deployer, "promises: only the deployer sets the minter");
        require(minter == address(0), "promises: the minter is already set");
        require(m != address(0), "promises: the minter must be non-zero");
        minter = m;
    }

    function _onlyMinter() private view {
        if (msg.sender != minter) {
            revert(string.concat("promises: only the market mints and burns, not ", Strings.toHexString(msg.sender)));
        }
    }

    /** Mints promise `id` to `to` (the market's clearing). */
    function mint(address to, uint256 id) external {
        _onlyMinter();
        _mint(to, id);
    }

    /** Burns promise `id` (the market's settlement). */
    function burn(uint256 id) external {
        _onlyMinter();
        _burn(id);
    }
}
