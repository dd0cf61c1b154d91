// `npm run build:contracts`: compiles contracts/ with the pinned solc-js and rewrites
// packages/evm/src/generated/*.ts (ABIs and bytecode); prints what changed.
import { compileContracts, GENERATED_DIR, writeGenerated } from '../src/compile.ts';

const t0 = process.cpuUsage();
const files = compileContracts();
const { written, removed } = writeGenerated(files);
const cpu = process.cpuUsage(t0);
for (const f of written) console.log(`wrote ${GENERATED_DIR}/${f}`);
for (const f of removed) console.log(`removed ${GENERATED_DIR}/${f}`);
if (written.length === 0 && removed.length === 0) console.log('generated files are up to date');
console.error(
  `compiled ${Object.keys(files).length} files in ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`,
);
