#!/usr/bin/env node
// `npm run dep-graph`: writes docs/dependency-graph.md, the Mermaid graph of which package imports which
// (runtime files only), grouped by layer. `npm run check:layers` fails when the file is not current.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGraph, GRAPH_FILE, renderGraph } from './layers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(join(root, GRAPH_FILE), renderGraph(buildGraph(root)));
process.stdout.write(`dep-graph: wrote ${GRAPH_FILE}\n`);
