// @gridledger/cli: the command-line program. Composes the other packages; holds no domain logic.
export { buildProgram, main, programFor } from './main.ts';
