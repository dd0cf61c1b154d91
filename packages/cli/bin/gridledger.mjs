#!/usr/bin/env node
// Entry point of the `gridledger` command (bin/gridledger starts it on the project's Node 24; tests and
// the validator processes start it with `node`): runs the TypeScript sources with no build step. A Node
// that strips types itself (22.18 and later) runs them as they are and keeps the stripped modules in its
// compile cache; an older Node (20) runs them through tsx.
import module from 'node:module';

if (process.features.typescript) module.enableCompileCache?.();
else {
  const { register } = await import('tsx/esm/api');
  register();
}
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
