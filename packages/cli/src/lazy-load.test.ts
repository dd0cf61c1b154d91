// Which libraries a command loads: the CLI runs under a hook that logs every module it resolves
// (module-log.mjs). `--help` must load no solver, chain or Ethereum library.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/gridledger.mjs', import.meta.url));
const hook = fileURLToPath(new URL('./module-log.mjs', import.meta.url));
const case14 = fileURLToPath(new URL('../../../../shared/grid-cases/case14.m', import.meta.url));
/** tsx and what it loads: the TypeScript loader on a Node that does not strip types itself (Node 20). */
const LOADER = new Set(['tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps']);
const dir = mkdtempSync(join(tmpdir(), 'gl-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI and returns the npm packages and workspace packages whose modules it resolved. */
function loaded(name: string, args: string[]): { libraries: string[]; workspace: string[] } {
  const log = join(dir, `${name}.log`);
  const r = spawnSync(process.execPath, ['--import', hook, bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GRIDLEDGER_MODULE_LOG: log },
  });
  expect(r.status, r.stderr).toBe(0);
  const urls = readFileSync(log, 'utf8').split('\n');
  const names = (re: RegExp) => [...new Set(urls.map((u) => re.exec(u)?.[1]).filter((x) => x !== undefined))];
  return {
    libraries: names(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//).filter((p) => !LOADER.has(p)),
    workspace: names(/\/packages\/([^/]+)\/src\//),
  };
}

describe('lazy command loading', () => {
  it('--help loads commander and the error base class, no solver, chain or Ethereum library', () => {
    const { libraries, workspace } = loaded('help', ['--help']);
    expect(libraries).toEqual(['commander']);
    expect(workspace.sort()).toEqual(['base', 'cli']);
  });

  it('opf loads the grid, the market and HiGHS, and nothing of the chain', () => {
    const { libraries, workspace } = loaded('opf', ['opf', case14, '--format', 'json']);
    expect(libraries.sort()).toEqual(['commander', 'highs']);
    expect(workspace.sort()).toEqual(['base', 'cli', 'grid', 'market']);
  });
});
