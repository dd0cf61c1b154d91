// A module-resolution hook for tests: appends the URL of every module the process resolves to the file
// named by GRIDLEDGER_MODULE_LOG. Load it with `node --import ./module-log.mjs`; lazy-load.test.ts uses it
// to see which libraries a command loads.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

let file;

/** Runs in the hooks thread: receives the log file's path. */
export function initialize(data) {
  file = data.file;
}

/** Records each resolved URL, then returns the resolution unchanged. */
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}

if (process.env.GRIDLEDGER_MODULE_LOG && !import.meta.url.includes('?hooks')) {
  register(`${import.meta.url}?hooks`, { data: { file: process.env.GRIDLEDGER_MODULE_LOG } });
}
