// The layer rules of the workspace, as data and as a check (`npm run check:layers`, scripts/check-layers.mjs)
// and the generated dependency graph (`npm run dep-graph`, scripts/dep-graph.mjs). Plain Node, no build:
// imports are read with TypeScript's pre-processor (static imports, `export … from`, `import type`,
// dynamic `import()` and `require()`, comments and strings skipped), so type-only imports count as edges.
//
// What the check refuses (each error names the file, the specifier and both layers):
//  - a package without `"gridledger": {"layer": ...}` in its package.json, or with an unknown layer;
//  - a file importing a package in a higher layer (relative paths into another package count too);
//  - a `@gridledger/*` or npm import not declared in the importing package's package.json (runtime files
//    use `dependencies` or `optionalDependencies`; test and bench files may also use `devDependencies` and the root's tooling), and
//    a `dependencies` entry that only test or bench files import (it belongs in `devDependencies`);
//  - a package.json dependency on a higher layer, or on an unknown `@gridledger/*` package;
//  - any cycle between packages (declared dependencies and imports), and any cycle between files
//    (type-only imports included), except the cycles listed in scripts/layer-cycles.allow, each of which
//    must still exist (a stale entry is an error too), and biome.json's noImportCycles exemptions must
//    name exactly the files of that list;
//  - a docs/dependency-graph.md that is not what scripts/dep-graph.mjs writes.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** The six layers, lowest first (ARCHITECTURE.md). A package may depend on its own layer or lower. */
export const LAYERS = ['base', 'domain', 'execution', 'protocol', 'services', 'apps'];

/** Folders of a package whose files are read; `test` and `bench` hold test files, the rest runtime files. */
const SOURCE_DIRS = ['src', 'test', 'bench', 'bin', 'web'];
const SOURCE_EXT = /\.(ts|mts|mjs|js)$/;
const TEST_FILE = /\.(test|bench)\.(ts|mts|mjs|js)$/;

/** Where the generated graph lives, relative to the workspace root. */
export const GRAPH_FILE = 'docs/dependency-graph.md';
/** The allowlist of file cycles that are known and being removed, relative to the workspace root. */
export const ALLOW_FILE = 'scripts/layer-cycles.allow';

const rel = (root, p) => relative(root, p).split(sep).join('/');

/**
 * Reads the workspace at `root`: its packages (name, folder, layer, dependencies) and the root's tooling.
 * @returns {{ root: string, rootDevDeps: Set<string>, packages: Map<string, object>, errors: string[] }}
 */
export function readWorkspace(root) {
  const errors = [];
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const patterns = rootPkg.workspaces ?? [];
  const dirs = [];
  for (const pattern of patterns) {
    if (!pattern.endsWith('/*'))
      throw new Error(`layers: workspace pattern ${pattern} is not of the form dir/*`);
    const base = join(root, pattern.slice(0, -2));
    for (const entry of readdirSync(base).sort()) {
      const dir = join(base, entry);
      try {
        if (statSync(join(dir, 'package.json')).isFile()) dirs.push(dir);
      } catch {
        // a folder without package.json is not a workspace package
      }
    }
  }
  const packages = new Map();
  for (const dir of dirs) {
    const file = join(dir, 'package.json');
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    const layer = pkg.gridledger?.layer;
    if (layer === undefined) {
      errors.push(
        `${rel(root, file)}: ${pkg.name} declares no layer: add "gridledger": {"layer": one of ${LAYERS.join(' | ')}}`,
      );
    } else if (!LAYERS.includes(layer)) {
      errors.push(
        `${rel(root, file)}: ${pkg.name} declares layer "${layer}", expected one of ${LAYERS.join(' | ')}`,
      );
    }
    packages.set(pkg.name, {
      name: pkg.name,
      dir,
      layer: LAYERS.includes(layer) ? layer : undefined,
      description: pkg.description ?? '',
      // optionalDependencies are runtime dependencies that may be absent (a binary for one platform)
      deps: new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]),
      devDeps: new Set(Object.keys(pkg.devDependencies ?? {})),
    });
  }
  const rootDevDeps = new Set(Object.keys(rootPkg.devDependencies ?? {}));
  return { root, rootDevDeps, packages, errors };
}

/** Every source file of a package (sorted), with whether it is a test or bench file. */
function sourceFiles(pkg) {
  const out = [];
  const walk = (dir, inTestDir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, inTestDir);
      else if (SOURCE_EXT.test(e.name) && !e.name.endsWith('.d.ts'))
        out.push({ path: p, test: inTestDir || TEST_FILE.test(e.name) });
    }
  };
  for (const d of SOURCE_DIRS) walk(join(pkg.dir, d), d === 'test' || d === 'bench');
  return out;
}

let ts;
/** Module resolutions TypeScript's pre-processor does not see: `require.resolve('x')` and
 * `createRequire(url)('x')` (how the native add-ons are loaded). */
const RESOLVE_CALLS = [
  // a plain `require('x')` call (not a method such as `registry.require('0x…')`)
  /(?<![.\w$])require\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\.resolve\(\s*['"]([^'"]+)['"]/g,
  /\bcreateRequire\([^()]*(?:\([^()]*\))?[^()]*\)\(\s*['"]([^'"]+)['"]/g,
];

/** The module specifiers a file imports, in order of appearance (type-only and dynamic ones included). */
export function importsOf(text) {
  ts ??= createRequire(import.meta.url)('typescript');
  const specs = ts.preProcessFile(text, true, false).importedFiles.map((f) => f.fileName);
  for (const re of RESOLVE_CALLS) for (const m of text.matchAll(re)) specs.push(m[1]);
  return specs;
}

/** `@scope/name/sub` -> `@scope/name`; `name/sub` -> `name`. */
function packageNameOf(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function resolveRelative(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // try the next form
    }
  }
  return undefined;
}

/** The package whose folder holds `path`, or undefined. */
function packageOfPath(ws, path) {
  for (const pkg of ws.packages.values()) if (path === pkg.dir || path.startsWith(pkg.dir + sep)) return pkg;
  return undefined;
}

/** The entry file of a workspace package for a `@gridledger/x[/sub]` specifier (its `exports`), if any. */
function entryFile(pkg, spec) {
  const pj = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8'));
  const sub = spec === pkg.name ? '.' : `.${spec.slice(pkg.name.length)}`;
  const target = typeof pj.exports === 'string' ? (sub === '.' ? pj.exports : undefined) : pj.exports?.[sub];
  return typeof target === 'string' ? resolve(pkg.dir, target) : undefined;
}

const layerIndex = (layer) => LAYERS.indexOf(layer);

/**
 * Builds the import graph of the workspace: package edges (declared and imported) and file edges.
 * @returns {{ ws: object, errors: string[], fileEdges: Map<string, Set<string>>, pkgEdges: Map<string, Set<string>>, importedPkgs: Map<string, Set<string>> }}
 */
export function buildGraph(root) {
  const ws = readWorkspace(root);
  const errors = [...ws.errors];
  const fileEdges = new Map();
  const pkgEdges = new Map();
  /** package -> packages its files import (runtime files only), for the generated graph. */
  const importedPkgs = new Map();
  const addPkgEdge = (a, b) => {
    if (!pkgEdges.has(a)) pkgEdges.set(a, new Set());
    pkgEdges.get(a).add(b);
  };
  for (const pkg of ws.packages.values()) {
    importedPkgs.set(pkg.name, new Set());
    /** Names (npm or workspace) this package's runtime files and test files import. */
    const usedRuntime = new Set();
    const usedTest = new Set();
    // Declared dependencies: only on known workspace packages at the same layer or lower.
    for (const [field, names] of [
      ['dependencies', pkg.deps],
      ['devDependencies', pkg.devDeps],
    ]) {
      for (const dep of names) {
        const target = ws.packages.get(dep);
        if (target === undefined) {
          if (dep.startsWith('@gridledger/'))
            errors.push(
              `${rel(root, join(pkg.dir, 'package.json'))}: ${field} names ${dep}, which is no workspace package`,
            );
          continue;
        }
        addPkgEdge(pkg.name, dep);
        if (pkg.layer && target.layer && layerIndex(target.layer) > layerIndex(pkg.layer)) {
          errors.push(
            `${rel(root, join(pkg.dir, 'package.json'))}: ${field} names ${dep} (layer ${target.layer}), above ${pkg.name} (layer ${pkg.layer})`,
          );
        }
      }
    }
    for (const file of sourceFiles(pkg)) {
      const from = rel(root, file.path);
      if (!fileEdges.has(from)) fileEdges.set(from, new Set());
      for (const spec of importsOf(readFileSync(file.path, 'utf8'))) {
        if (spec.startsWith('node:') || isBuiltin(spec)) continue;
        let target;
        let targetFile;
        if (spec.startsWith('.') || spec.startsWith('/')) {
          targetFile = resolveRelative(file.path, spec);
          if (targetFile === undefined) {
            errors.push(`${from}: imports '${spec}', which does not resolve to a file`);
            continue;
          }
          target = packageOfPath(ws, targetFile);
          if (target === undefined) {
            errors.push(`${from}: imports '${spec}', a file outside every workspace package`);
            continue;
          }
        } else {
          const name = packageNameOf(spec);
          target = ws.packages.get(name);
          if (target === undefined && name.startsWith('@gridledger/')) {
            errors.push(`${from}: imports '${spec}', but no workspace package is called ${name}`);
            continue;
          }
          if (target === undefined) {
            (file.test ? usedTest : usedRuntime).add(name);
            // An npm package: declared in this package's dependencies (test files: or devDependencies,
            // or the root's tooling).
            const declared =
              pkg.deps.has(name) || (file.test && (pkg.devDeps.has(name) || ws.rootDevDeps.has(name)));
            if (!declared) {
              errors.push(
                `${from}: imports '${spec}', but ${pkg.name} does not declare ${name} in its ${file.test ? 'dependencies or devDependencies' : 'dependencies'}`,
              );
            }
            continue;
          }
          targetFile = entryFile(target, spec);
        }
        if (targetFile !== undefined) fileEdges.get(from).add(rel(root, targetFile));
        if (target === pkg) continue;
        (file.test ? usedTest : usedRuntime).add(target.name);
        // A workspace package: at this layer or lower, and declared.
        if (pkg.layer && target.layer && layerIndex(target.layer) > layerIndex(pkg.layer)) {
          errors.push(
            `${from}: imports '${spec}' (${target.name}, layer ${target.layer}) from ${pkg.name} (layer ${pkg.layer}): a package may import only its own layer or lower`,
          );
        }
        const declared = pkg.deps.has(target.name) || (file.test && pkg.devDeps.has(target.name));
        if (!declared) {
          errors.push(
            `${from}: imports '${spec}', but ${pkg.name} does not declare ${target.name} in its ${file.test ? 'dependencies or devDependencies' : 'dependencies'}`,
          );
        }
        addPkgEdge(pkg.name, target.name);
        if (!file.test) importedPkgs.get(pkg.name).add(target.name);
      }
    }
    // Declared where used: a runtime dependency that only test or bench files import is a
    // devDependency. (A dependency no file imports is not flagged: some are reached another way, e.g.
    // files the dashboard serves from a package folder, or packages a test starts as processes.)
    const pj = rel(root, join(pkg.dir, 'package.json'));
    for (const dep of [...pkg.deps].sort()) {
      if (usedTest.has(dep) && !usedRuntime.has(dep)) {
        errors.push(
          `${pj}: dependencies names ${dep}, which only test or bench files import: move it to devDependencies`,
        );
      }
    }
  }
  return { ws, errors, fileEdges, pkgEdges, importedPkgs };
}

/** Strongly connected components of a graph (Tarjan), each sorted; only those that contain a cycle. */
export function cyclicComponents(edges) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const out = [];
  let next = 0;
  const nodes = [...edges.keys()].sort();
  for (const start of nodes) {
    if (index.has(start)) continue;
    // Iterative Tarjan: frames of [node, iterator over its successors].
    const frames = [[start, [...(edges.get(start) ?? [])].sort()[Symbol.iterator]()]];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const [v, it] = frame;
      const step = it.next();
      if (!step.done) {
        const w = step.value;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          frames.push([w, [...(edges.get(w) ?? [])].sort()[Symbol.iterator]()]);
        } else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v), index.get(w)));
        }
        continue;
      }
      frames.pop();
      if (frames.length > 0) {
        const parent = frames[frames.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(v)));
      }
      if (low.get(v) === index.get(v)) {
        const comp = [];
        let w;
        do {
          w = stack.pop();
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1 || edges.get(v)?.has(v)) out.push(comp.sort());
      }
    }
  }
  return out;
}

/** A shortest path from `from` to `to` through `members` (breadth-first), both ends included. */
function pathWithin(edges, members, from, to) {
  if (from === to) return [from];
  const inComp = new Set(members);
  const prev = new Map([[from, undefined]]);
  const queue = [from];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of [...(edges.get(v) ?? [])].sort()) {
      if (!inComp.has(w) || prev.has(w)) continue;
      prev.set(w, v);
      if (w === to) {
        const path = [to];
        while (path[0] !== from) path.unshift(prev.get(path[0]));
        return path;
      }
      queue.push(w);
    }
  }
  return [from, to];
}

/** The cycle made by the edge v -> w and a shortest way back from w to v, as a closed path. */
function cycleOf(edges, members, v, w) {
  return [v, ...pathWithin(edges, members, w, v)];
}

/**
 * Reads the allowlist of known file cycles: one cycle per line as `a.ts -> b.ts -> a.ts` (paths from the
 * workspace root), `#` starts a comment.
 */
export function readAllowlist(root) {
  let text;
  try {
    text = readFileSync(join(root, ALLOW_FILE), 'utf8');
  } catch {
    return [];
  }
  const cycles = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const files = line.split('->').map((s) => s.trim());
    if (files.length < 2 || files[0] !== files[files.length - 1] || files.some((f) => f === '')) {
      throw new Error(
        `${ALLOW_FILE}:${i + 1}: expected a closed cycle "a.ts -> b.ts -> a.ts", got "${line}"`,
      );
    }
    cycles.push({ line: i + 1, files });
  }
  return cycles;
}

/** The files biome.json's overrides exempt from noImportCycles (sorted), or undefined without a biome.json. */
function biomeCycleOverrides(root) {
  let config;
  try {
    config = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const files = [];
  for (const o of config.overrides ?? []) {
    if (o.linter?.rules?.suspicious?.noImportCycles === 'off') files.push(...(o.includes ?? []));
  }
  return [...new Set(files)].sort();
}

/** The Mermaid graph of the workspace packages by layer, from what their runtime files import. */
export function renderGraph(graph) {
  const { ws, importedPkgs } = graph;
  const id = (name) => name.replace('@gridledger/', '').replace(/[^a-zA-Z0-9]/g, '_');
  const lines = [
    '# Package dependency graph',
    '',
    "<!-- Generated by `npm run dep-graph` (scripts/dep-graph.mjs) from the imports of each package's",
    '     runtime files; `npm run check:layers` fails when this file is not current. Do not edit. -->',
    '',
    'Each package imports only packages in its own layer or below (lowest layer at the bottom); test and',
    'benchmark files are left out. The layers are declared in each `package.json` (`"gridledger": {"layer": ...}`).',
    '',
    '```mermaid',
    'flowchart BT',
  ];
  for (const layer of LAYERS) {
    const members = [...ws.packages.values()]
      .filter((p) => p.layer === layer)
      .map((p) => p.name)
      .sort();
    if (members.length === 0) continue;
    lines.push(`  subgraph ${layer}`);
    for (const m of members) lines.push(`    ${id(m)}[${m.replace('@gridledger/', '')}]`);
    lines.push('  end');
  }
  for (const name of [...importedPkgs.keys()].sort()) {
    for (const dep of [...importedPkgs.get(name)].sort()) lines.push(`  ${id(name)} --> ${id(dep)}`);
  }
  lines.push('```', '');
  return lines.join('\n');
}

/**
 * Runs every layer rule on the workspace at `root`.
 * @param {string} root
 * @param {{ checkGraphFile?: boolean }} [options] checkGraphFile (default true): also require GRAPH_FILE to be current
 * @returns {{ errors: string[], packages: number, files: number, edges: number }}
 */
export function checkLayers(root, options = {}) {
  const graph = buildGraph(root);
  const { errors, fileEdges, pkgEdges, ws } = graph;

  for (const comp of cyclicComponents(pkgEdges)) {
    const v = comp[0];
    const w = [...pkgEdges.get(v)].sort().find((x) => comp.includes(x));
    const cycle = cycleOf(pkgEdges, comp, v, w);
    errors.push(`package cycle: ${cycle.join(' -> ')} (through package.json dependencies or imports)`);
  }

  const allow = readAllowlist(root);
  const allowedEdges = new Set();
  for (const { line, files } of allow) {
    const missing = [];
    for (let i = 0; i + 1 < files.length; i++) {
      const key = `${files[i]}\0${files[i + 1]}`;
      allowedEdges.add(key);
      if (!fileEdges.get(files[i])?.has(files[i + 1])) missing.push(`${files[i]} -> ${files[i + 1]}`);
    }
    if (missing.length > 0) {
      errors.push(
        `${ALLOW_FILE}:${line}: the allowlisted cycle ${files.join(' -> ')} no longer exists (no import ${missing.join(', ')}): remove it from the list`,
      );
    }
  }
  // Biome's noImportCycles (biome.json) is switched off for exactly the files of the allowlist.
  const biomeOff = biomeCycleOverrides(root);
  if (biomeOff !== undefined) {
    const allowFiles = [...new Set(allow.flatMap((c) => c.files))].sort();
    if (biomeOff.join('\n') !== allowFiles.join('\n')) {
      errors.push(
        `biome.json: the overrides that switch off suspicious/noImportCycles name [${biomeOff.join(', ')}], but ${ALLOW_FILE} names [${allowFiles.join(', ')}]: keep them equal`,
      );
    }
  }

  for (const comp of cyclicComponents(fileEdges)) {
    // A component is allowed when every import inside it lies on an allowlisted cycle.
    const extra = [];
    for (const v of comp) {
      for (const w of fileEdges.get(v) ?? []) {
        if (comp.includes(w) && !allowedEdges.has(`${v}\0${w}`)) extra.push([v, w]);
      }
    }
    if (extra.length === 0) continue;
    const [v, w] = extra[0];
    const cycle = cycleOf(fileEdges, comp, v, w);
    errors.push(
      `file cycle: ${cycle.join(' -> ')} (type-only imports count; break it, e.g. move the shared types down)`,
    );
  }

  if (options.checkGraphFile !== false) {
    const want = renderGraph(graph);
    let have;
    try {
      have = readFileSync(join(root, GRAPH_FILE), 'utf8');
    } catch {
      have = undefined;
    }
    if (have !== want) errors.push(`${GRAPH_FILE} is not current: run npm run dep-graph`);
  }

  let edges = 0;
  for (const s of fileEdges.values()) edges += s.size;
  return { errors, packages: ws.packages.size, files: fileEdges.size, edges };
}
