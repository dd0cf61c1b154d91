// `npm run test:faults` (not part of `npm test`): the fault tests of packages/*/faults: a Byzantine
// validator, partitions through a TCP proxy, SIGKILL of random validators under load. Long and
// multi-process: one file at a time.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/faults/**/*.faults.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 2_400_000,
    hookTimeout: 240_000,
    reporters: ['default'],
  },
});
