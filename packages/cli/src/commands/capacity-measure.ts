// `gridledger capacity --measure`: runs the benchmarks whose JSON the capacity planner reads (bench:chain,
// and bench:e2e when the repository has it) as child processes on this machine, streams their progress
// to stderr, keeps each one's JSON output in a folder (so a later run can pass them with --measured), and
// returns the file paths. Owns nothing of the model: the files are parsed like any --measured file.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '@gridledger/base';
import { log } from '../output.ts';

/** The repository root (the CLI runs from its sources). */
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/** A benchmark --measure can run: its script and the arguments that keep it short. */
interface MeasureBench {
  script: string;
  args: (durationS: number) => string[];
}

/** The benchmarks --measure knows, by name. */
const MEASURE_BENCHES: Record<string, MeasureBench> = {
  chain: {
    script: 'packages/node/bench/chain.bench.ts',
    args: (d) => ['--duration', String(d)],
  },
  e2e: {
    script: 'packages/cli/bench/e2e.bench.ts',
    args: () => ['--quick'],
  },
};

/**
 * Parses the --measure value: `all` (every benchmark present in this checkout) or a comma list of names.
 * @throws InputError naming an unknown benchmark and the known ones.
 */
export function parseMeasureList(value: string | true): string[] {
  const known = Object.keys(MEASURE_BENCHES);
  if (value === true || value === 'all')
    return known.filter((n) => existsSync(join(REPO, MEASURE_BENCHES[n]!.script)));
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(n in MEASURE_BENCHES))
      throw new InputError(
        `--measure: unknown benchmark "${n}"; expected "all" or a list of ${known.join(', ')}`,
      );
    if (!existsSync(join(REPO, MEASURE_BENCHES[n]!.script)))
      throw new InputError(
        `--measure: benchmark "${n}" is not in this checkout (${MEASURE_BENCHES[n]!.script})`,
      );
  }
  return names;
}

/**
 * Runs the named benchmarks one after another with `--format json`, writes each one's output to
 * `outDir/<name>.json` and returns those paths.
 * @throws InputError when a benchmark fails (its exit code and where its output is).
 */
export async function runMeasureBenches(
  names: string[],
  outDir: string,
  durationS: number,
): Promise<string[]> {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const name of names) {
    const bench = MEASURE_BENCHES[name]!;
    log(`capacity --measure: running bench:${name} on this machine (progress below)`);
    const started = Date.now();
    const stdout = await new Promise<string>((resolveRun, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(REPO, bench.script), ...bench.args(durationS), '--format', 'json'],
        { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      const stop = () => child.kill('SIGTERM');
      process.once('SIGINT', stop);
      child.once('error', reject);
      child.once('exit', (code) => {
        process.off('SIGINT', stop);
        if (code === 0) resolveRun(out);
        else
          reject(
            new InputError(
              `--measure: bench:${name} exited with code ${code}; run npm run bench:${name} to see why`,
            ),
          );
      });
    });
    const file = join(dir, `${name}.json`);
    writeFileSync(file, stdout);
    log(
      `capacity --measure: bench:${name} done in ${((Date.now() - started) / 1000).toFixed(0)} s → ${file}`,
    );
    files.push(file);
  }
  return files;
}
