#!/usr/bin/env node
// Entry point of the `gridledger` command. Runs the TypeScript sources through tsx, so there is no
// build step between `npm ci` and `npx gridledger`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
