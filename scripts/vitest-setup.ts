// Test setup for every vitest worker: property tests (fast-check) run from a fixed seed, so a run on CI
// is the run the developer saw; set FC_SEED=<integer> to try another sequence, FC_SEED=random for a fresh
// one each run (fast-check prints the seed and path of any counterexample, to paste back as FC_SEED).
import fc from 'fast-check';

const DEFAULT_SEED = 20_261_203;
const env = process.env.FC_SEED;
if (env !== 'random') {
  const seed = env === undefined || env === '' ? DEFAULT_SEED : Number(env);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer or "random", got ${env}`);
  fc.configureGlobal({ seed });
}
