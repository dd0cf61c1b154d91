// Where the shared MATPOWER cases are (never copied into the repository).
import { fileURLToPath } from 'node:url';

export const GRID_CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));
