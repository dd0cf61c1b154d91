// MATPOWER runopf (AC-OPF, MIPS) reference for case30 (../shared/grid-cases/reference/case30.acopf.json): every
// bus's LMP within 0.05% of lam_P, the objective within 1e-5 relative, Vm within 1e-4 p.u.
import { it } from 'vitest';
import { expectMatchesAcopfReference } from './acopf-reference.ts';

it('case30: AC-OPF matches MATPOWER runopf', async () => {
  await expectMatchesAcopfReference('case30');
});
