#!/usr/bin/env node
// Ensures Debian's chromium is installed for the dashboard's browser tests (run first by `npm test`).
// If /usr/bin/chromium is missing it runs `apt-get update && apt-get install -y chromium` and fails with a
// message that says what to do when that is not possible (no root, no network).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';

if (existsSync(CHROMIUM)) process.exit(0);

console.error(`ensure-chromium: ${CHROMIUM} is missing; installing Debian's chromium with apt-get`);
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const prefix = asRoot ? [] : ['sudo', '-n'];
for (const args of [
  ['apt-get', 'update'],
  ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium'],
]) {
  const cmd = [...prefix, ...args];
  const result = spawnSync(cmd[0], cmd.slice(1), {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : `exit code ${result.status}`;
    console.error(
      `ensure-chromium: \`${cmd.join(' ')}\` failed (${why}).\n` +
        "The dashboard browser tests need Debian's chromium at /usr/bin/chromium: install it as root with\n" +
        '  apt-get update && apt-get install -y chromium\nand run the tests again.',
    );
    process.exit(1);
  }
}
if (!existsSync(CHROMIUM)) {
  console.error(
    `ensure-chromium: apt-get finished but ${CHROMIUM} is still missing; install chromium by hand.`,
  );
  process.exit(1);
}
console.error(`ensure-chromium: installed ${CHROMIUM}`);
