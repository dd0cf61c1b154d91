// The layer check (scripts/layers.mjs, `npm run check:layers`) on small fixture workspaces written to a
// temporary folder: each rule fails on a deliberately wrong tree with a message naming the file, the
// specifier and both layers, a clean tree passes, and so does this repository.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildGraph, checkLayers, GRAPH_FILE, importsOf, renderGraph } from './layers.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface PkgSpec {
  layer?: string;
  deps?: Record<string, string>;
  devDeps?: Record<string, string>;
  /** Path inside the package -> file text. */
  files?: Record<string, string>;
}

/** Writes a workspace with the given packages (folder name -> spec) and returns its root. */
function workspace(pkgs: Record<string, PkgSpec>, extra: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'gl-layers-'));
  dirs.push(root);
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write(
    'package.json',
    JSON.stringify({
      name: 'fixture',
      private: true,
      workspaces: ['packages/*'],
      devDependencies: { vitest: '*' },
    }),
  );
  for (const [dir, spec] of Object.entries(pkgs)) {
    write(
      `packages/${dir}/package.json`,
      JSON.stringify({
        name: `@gridledger/${dir}`,
        ...(spec.layer === undefined ? {} : { gridledger: { layer: spec.layer } }),
        exports: { '.': './src/index.ts' },
        dependencies: spec.deps ?? {},
        devDependencies: spec.devDeps ?? {},
      }),
    );
    const files = spec.files ?? { 'src/index.ts': 'export const x = 1;\n' };
    for (const [path, text] of Object.entries(files)) write(`packages/${dir}/${path}`, text);
  }
  for (const [path, text] of Object.entries(extra)) write(path, text);
  return root;
}

const check = (root: string) => checkLayers(root, { checkGraphFile: false }).errors;

/** A clean three-layer tree: base <- consensus (protocol) <- p2p (services). */
const clean = (): Record<string, PkgSpec> => ({
  base: { layer: 'base', files: { 'src/index.ts': 'export const one = 1;\n' } },
  consensus: {
    layer: 'protocol',
    deps: { '@gridledger/base': '0.1.0' },
    devDeps: { 'fast-check': '*' },
    files: {
      'src/index.ts': "export { machine } from './machine.ts';\n",
      'src/machine.ts': "import { one } from '@gridledger/base';\nexport const machine = () => one;\n",
      'src/machine.test.ts':
        "import fc from 'fast-check';\nimport { it } from 'vitest';\nimport { machine } from './machine.ts';\nit('runs', () => machine());\nvoid fc;\n",
    },
  },
  p2p: {
    layer: 'services',
    deps: { '@gridledger/base': '0.1.0', '@gridledger/consensus': '0.1.0' },
    files: {
      'src/index.ts':
        "import type { machine } from '@gridledger/consensus';\nexport type PeerMessage = ReturnType<typeof machine>;\n",
    },
  },
});

describe('check:layers on fixture workspaces', () => {
  it('passes a clean tree', () => {
    expect(check(workspace(clean()))).toEqual([]);
  });

  it('refuses an upward import, naming the file, the specifier and both layers', () => {
    const pkgs = clean();
    pkgs.base!.files!['src/index.ts'] = "export { machine } from '@gridledger/consensus';\n";
    pkgs.base!.deps = { '@gridledger/consensus': '0.1.0' };
    const errors = check(workspace(pkgs));
    expect(errors).toContain(
      "packages/base/src/index.ts: imports '@gridledger/consensus' (@gridledger/consensus, layer protocol) from @gridledger/base (layer base): a package may import only its own layer or lower",
    );
    expect(errors).toContain(
      'packages/base/package.json: dependencies names @gridledger/consensus (layer protocol), above @gridledger/base (layer base)',
    );
  });

  it('refuses an `import type` from p2p inside consensus', () => {
    const pkgs = clean();
    pkgs.p2p!.files!['src/index.ts'] = 'export interface PeerMessage { kind: string }\n';
    pkgs.p2p!.deps = { '@gridledger/base': '0.1.0' };
    pkgs.consensus!.files!['src/driver.ts'] =
      "import type { PeerMessage } from '@gridledger/p2p';\nexport const send = (m: PeerMessage) => m.kind;\n";
    pkgs.consensus!.deps = { '@gridledger/base': '0.1.0', '@gridledger/p2p': '0.1.0' };
    const errors = check(workspace(pkgs));
    expect(errors).toContain(
      "packages/consensus/src/driver.ts: imports '@gridledger/p2p' (@gridledger/p2p, layer services) from @gridledger/consensus (layer protocol): a package may import only its own layer or lower",
    );
  });

  it('refuses an upward dynamic import() and a relative path into a higher package', () => {
    const pkgs = clean();
    pkgs.consensus!.files!['src/late.ts'] =
      "export const load = () => import('@gridledger/p2p');\nexport { one } from '../../p2p/src/index.ts';\n";
    pkgs.consensus!.deps = { '@gridledger/base': '0.1.0', '@gridledger/p2p': '0.1.0' };
    const errors = check(workspace(pkgs)).filter((e) => e.startsWith('packages/consensus/src/late.ts'));
    expect(errors).toEqual([
      "packages/consensus/src/late.ts: imports '@gridledger/p2p' (@gridledger/p2p, layer services) from @gridledger/consensus (layer protocol): a package may import only its own layer or lower",
      "packages/consensus/src/late.ts: imports '../../p2p/src/index.ts' (@gridledger/p2p, layer services) from @gridledger/consensus (layer protocol): a package may import only its own layer or lower",
    ]);
  });

  it('refuses a two-file cycle, type-only imports included', () => {
    const pkgs = clean();
    pkgs.consensus!.files!['src/a.ts'] = "import type { B } from './b.ts';\nexport interface A { b?: B }\n";
    pkgs.consensus!.files!['src/b.ts'] = "import type { A } from './a.ts';\nexport interface B { a?: A }\n";
    expect(check(workspace(pkgs))).toEqual([
      'file cycle: packages/consensus/src/a.ts -> packages/consensus/src/b.ts -> packages/consensus/src/a.ts (type-only imports count; break it, e.g. move the shared types down)',
    ]);
  });

  it('refuses a cycle between packages of one layer', () => {
    const pkgs = clean();
    pkgs.store = { layer: 'protocol', deps: { '@gridledger/consensus': '0.1.0' } };
    pkgs.consensus!.devDeps = { 'fast-check': '*', '@gridledger/store': '0.1.0' };
    expect(check(workspace(pkgs))).toContain(
      'package cycle: @gridledger/consensus -> @gridledger/store -> @gridledger/consensus (through package.json dependencies or imports)',
    );
  });

  it('refuses undeclared dependencies: npm, workspace, and devDependencies used at run time', () => {
    const pkgs = clean();
    pkgs.consensus!.files!['src/machine.ts'] =
      "import { one } from '@gridledger/base';\nimport { z } from 'zod';\nimport fc from 'fast-check';\nexport const machine = () => [one, z, fc];\n";
    pkgs.consensus!.deps = {};
    const errors = check(workspace(pkgs));
    expect(errors).toEqual([
      "packages/consensus/src/machine.ts: imports '@gridledger/base', but @gridledger/consensus does not declare @gridledger/base in its dependencies",
      "packages/consensus/src/machine.ts: imports 'zod', but @gridledger/consensus does not declare zod in its dependencies",
      "packages/consensus/src/machine.ts: imports 'fast-check', but @gridledger/consensus does not declare fast-check in its dependencies",
    ]);
  });

  it('refuses a runtime dependency that only tests import', () => {
    const pkgs = clean();
    pkgs.consensus!.deps = { '@gridledger/base': '0.1.0', 'fast-check': '*' };
    pkgs.consensus!.devDeps = {};
    expect(check(workspace(pkgs))).toEqual([
      'packages/consensus/package.json: dependencies names fast-check, which only test or bench files import: move it to devDependencies',
    ]);
  });

  it('refuses a package without a layer, or with an unknown one', () => {
    const pkgs = clean();
    delete pkgs.base!.layer;
    pkgs.p2p!.layer = 'middleware';
    expect(check(workspace(pkgs))).toEqual([
      'packages/base/package.json: @gridledger/base declares no layer: add "gridledger": {"layer": one of base | domain | execution | protocol | services | apps}',
      'packages/p2p/package.json: @gridledger/p2p declares layer "middleware", expected one of base | domain | execution | protocol | services | apps',
    ]);
  });

  it('tolerates an allowlisted cycle, and refuses an allowlisted cycle that no longer exists', () => {
    const pkgs = clean();
    pkgs.consensus!.files!['src/a.ts'] = "import { b } from './b.ts';\nexport const a = () => b;\n";
    pkgs.consensus!.files!['src/b.ts'] = "import { a } from './a.ts';\nexport const b = () => a;\n";
    const allow = {
      'scripts/layer-cycles.allow':
        '# known, being removed\npackages/consensus/src/a.ts -> packages/consensus/src/b.ts -> packages/consensus/src/a.ts\n',
    };
    expect(check(workspace(pkgs, allow))).toEqual([]);
    pkgs.consensus!.files!['src/b.ts'] = 'export const b = () => 2;\n';
    expect(check(workspace(pkgs, allow))).toEqual([
      'scripts/layer-cycles.allow:2: the allowlisted cycle packages/consensus/src/a.ts -> packages/consensus/src/b.ts -> packages/consensus/src/a.ts no longer exists (no import packages/consensus/src/b.ts -> packages/consensus/src/a.ts): remove it from the list',
    ]);
  });

  it("keeps biome.json's noImportCycles exemptions equal to the allowlist's files", () => {
    const pkgs = clean();
    pkgs.consensus!.files!['src/a.ts'] = "import { b } from './b.ts';\nexport const a = () => b;\n";
    pkgs.consensus!.files!['src/b.ts'] = "import { a } from './a.ts';\nexport const b = () => a;\n";
    const biome = (files: string[]) =>
      JSON.stringify({
        overrides: [{ includes: files, linter: { rules: { suspicious: { noImportCycles: 'off' } } } }],
      });
    const allow =
      'packages/consensus/src/a.ts -> packages/consensus/src/b.ts -> packages/consensus/src/a.ts\n';
    const both = ['packages/consensus/src/a.ts', 'packages/consensus/src/b.ts'];
    expect(
      check(workspace(pkgs, { 'scripts/layer-cycles.allow': allow, 'biome.json': biome(both) })),
    ).toEqual([]);
    expect(
      check(workspace(pkgs, { 'scripts/layer-cycles.allow': allow, 'biome.json': biome([both[0]!]) })),
    ).toEqual([
      'biome.json: the overrides that switch off suspicious/noImportCycles name [packages/consensus/src/a.ts], but scripts/layer-cycles.allow names [packages/consensus/src/a.ts, packages/consensus/src/b.ts]: keep them equal',
    ]);
  });

  it('refuses a cycle that grows past its allowlisted imports', () => {
    const pkgs = clean();
    pkgs.consensus!.files!['src/a.ts'] = "import { b } from './b.ts';\nexport const a = () => b;\n";
    pkgs.consensus!.files!['src/b.ts'] =
      "import { a } from './a.ts';\nimport { c } from './c.ts';\nexport const b = () => [a, c];\n";
    pkgs.consensus!.files!['src/c.ts'] = "import { a } from './a.ts';\nexport const c = () => a;\n";
    const allow = {
      'scripts/layer-cycles.allow':
        'packages/consensus/src/a.ts -> packages/consensus/src/b.ts -> packages/consensus/src/a.ts\n',
    };
    expect(check(workspace(pkgs, allow))).toEqual([
      'file cycle: packages/consensus/src/b.ts -> packages/consensus/src/c.ts -> packages/consensus/src/a.ts -> packages/consensus/src/b.ts (type-only imports count; break it, e.g. move the shared types down)',
    ]);
  });

  it('requires the generated dependency graph to be current', () => {
    const root = workspace(clean());
    expect(checkLayers(root).errors).toEqual([`${GRAPH_FILE} is not current: run npm run dep-graph`]);
    const graph = renderGraph(buildGraph(root));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, GRAPH_FILE), graph);
    expect(checkLayers(root).errors).toEqual([]);
    expect(graph).toContain('  p2p --> consensus\n');
  });

  it('exits 1 from the command line with each violation on stderr', () => {
    const pkgs = clean();
    pkgs.base!.files!['src/index.ts'] =
      "import type { PeerMessage } from '@gridledger/p2p';\nexport type M = PeerMessage;\n";
    const root = workspace(pkgs);
    const run = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'check-layers.mjs'), root], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "check:layers: packages/base/src/index.ts: imports '@gridledger/p2p' (@gridledger/p2p, layer services) from @gridledger/base (layer base)",
    );
  });
});

describe('importsOf', () => {
  it('reads static, type-only, re-export, side-effect, dynamic and require imports, not comments or strings', () => {
    const text = [
      "import type { A } from 'a'; // import 'commented'",
      "export * from './b.ts';",
      "export type { C } from 'c';",
      'const s = \'import x from "in-a-string"\';',
      "async function f() { await import('d'); }",
      "import 'side';",
      "import {\n  m,\n} from 'multi';",
      "const r = createRequire(import.meta.url)('native/bindings');",
      "const p = require.resolve('pkg/package.json');",
      "/* import 'block-comment' */",
      "const legacy = require('legacy');",
      "const m = registry.require('0x0000000000000000000000000000000000000002', Module);",
    ].join('\n');
    expect(importsOf(text).sort()).toEqual(
      ['./b.ts', 'a', 'c', 'd', 'legacy', 'multi', 'native/bindings', 'pkg/package.json', 'side'].sort(),
    );
  });
});

describe('check:layers on this repository', () => {
  it('finds no violation', () => {
    const result = checkLayers(repoRoot);
    expect(result.errors).toEqual([]);
    expect(result.packages).toBeGreaterThanOrEqual(18);
  });
});
