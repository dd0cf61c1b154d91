#!/usr/bin/env node
// `npm run check:layers` (part of `npm test`): refuses upward imports and dependencies, undeclared
// dependencies, and cycles between packages or files (the rules: scripts/layers.mjs; the layers:
// ARCHITECTURE.md). Prints every violation and exits 1, or prints a one-line summary. Checks the workspace
// this script belongs to, or the one whose root is given as the first argument.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLayers } from './layers.mjs';

const root =
  process.argv[2] === undefined
    ? join(dirname(fileURLToPath(import.meta.url)), '..')
    : resolve(process.argv[2]);
const { errors, packages, files, edges } = checkLayers(root);
if (errors.length > 0) {
  for (const e of errors) process.stderr.write(`check:layers: ${e}\n`);
  process.stderr.write(
    `check:layers: ${errors.length} violation(s); the layers: README.md "Layout", ARCHITECTURE.md\n`,
  );
  process.exitCode = 1;
} else {
  process.stdout.write(
    `check:layers: ${packages} packages, ${files} files, ${edges} imports: layers down, no cycles\n`,
  );
}
