// Test runner configuration: unit tests sit beside the code (src/**/*.test.ts), slow and multi-process
// suites in packages/*/test, the repository's own checks in scripts/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'scripts/**/*.test.ts'],
    pool: 'forks',
    // Property tests from a fixed seed (FC_SEED to change it): see scripts/vitest-setup.ts.
    setupFiles: ['scripts/vitest-setup.ts'],
    // Generous: many suites spawn CLI and validator processes, and two suites share the two cores.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
