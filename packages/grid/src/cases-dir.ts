// Where the shared MATPOWER test cases live, relative to this repository (never copied into it).
import { fileURLToPath } from 'node:url';

/** Absolute path of `../shared/grid-cases` seen from the repository root. */
export const GRID_CASES_DIR = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));
