// @gridledger/evm: the energy market as Solidity contracts (contracts/ at the repository root) for any EVM
// chain — their generated ABIs and bytecode, the anvil launcher and the viem deploy helper.
export { type Anvil, AnvilError, type AnvilOptions, anvilBinary, startAnvil } from './anvil.ts';
export {
  DEV_MNEMONIC,
  type DeployMarketOptions,
  deployContract,
  deployMarket,
  devAccount,
  type EvmClients,
  type EvmMarketConfig,
  evmClients,
  type MarketAddresses,
  sendCall,
  setClearingVerifier,
} from './deploy.ts';
export { CreditsAbi } from './generated/Credits.ts';
export { IClearingSinkAbi, IMarketBookAbi } from './generated/IClearingSink.ts';
export { MarketAbi } from './generated/Market.ts';
export { MarketEngineAbi } from './generated/MarketEngine.ts';
export { MetersAbi } from './generated/Meters.ts';
export { PromisesAbi } from './generated/Promises.ts';
export { RegistryAbi } from './generated/Registry.ts';
export { TestStablecoinAbi } from './generated/TestStablecoin.ts';
