// Types of scripts/layers.mjs (plain JavaScript, so that `npm run check:layers` runs on Node alone).

/** The six layers, lowest first. */
export declare const LAYERS: readonly ['base', 'domain', 'execution', 'protocol', 'services', 'apps'];
export declare const GRAPH_FILE: string;
export declare const ALLOW_FILE: string;

export interface LayerCheckResult {
  /** Every violation, one message each (file, specifier and layers named); empty when the tree is clean. */
  errors: string[];
  packages: number;
  files: number;
  edges: number;
}

export interface WorkspaceGraph {
  errors: string[];
  fileEdges: Map<string, Set<string>>;
  pkgEdges: Map<string, Set<string>>;
  importedPkgs: Map<string, Set<string>>;
}

/** Runs every layer rule on the workspace at `root`. */
export declare function checkLayers(root: string, options?: { checkGraphFile?: boolean }): LayerCheckResult;
/** The import graph of the workspace at `root`. */
export declare function buildGraph(root: string): WorkspaceGraph;
/** The Markdown + Mermaid text of GRAPH_FILE for a graph. */
export declare function renderGraph(graph: WorkspaceGraph): string;
/** The module specifiers a source text imports (static, type-only, `export … from`, dynamic, require). */
export declare function importsOf(text: string): string[];
/** The strongly connected components of a graph that contain a cycle, each sorted. */
export declare function cyclicComponents(edges: Map<string, Set<string>>): string[][];
