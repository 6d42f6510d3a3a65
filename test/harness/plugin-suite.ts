/**
 * @file Test support: the whole bpf_conformance suite through the
 * TypeScript re-implementation of the upstream runner against the built
 * plugin (`dist/src/cli/conformance-plugin.js`, built by `npm test`'s tsc
 * step), for one backend. Each backend's run is its own test file, so the
 * runs spread over the test runner's workers and each has its own time limit.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { report, runConformance } from '../../scripts/conformance-runner.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The suite's test files, from `../shared`. */
export const suite = resolve(root, '..', 'shared', 'bpf-conformance', 'tests');
/** The built plugin. */
export const built = resolve(root, 'dist', 'src', 'cli', 'conformance-plugin.js');
/** The environment for plugin processes: without the test runner's TypeScript loader, which would slow every start. */
export const pluginEnv = (): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS'));

/** Why the suite cannot run here, or undefined. */
export function suiteUnavailable(): string | undefined {
  if (!existsSync(suite)) return `../shared/bpf-conformance is absent (no ${suite})`;
  if (!existsSync(built)) return `the plugin is not built (no ${built}; run npm test or npm run build)`;
  return undefined;
}

/** All 313 cases at v4 with callx on `backend`, raw bytes or (`elf`) as ELF objects. */
export function suiteOnBackend(backend: string, elf: boolean): void {
  const why = suiteUnavailable();
  if (why !== undefined) {
    t.pass(`skipped: ${why}`, { skip: why });
    return;
  }
  t.test(`runner over the suite against the built plugin, --backend ${backend}${elf ? ' --elf true' : ''}: 313/313 at v4 with callx`, async (t) => {
    const result = await runConformance({
      testFileDirectory: suite, pluginPath: built, pluginOptions: `--backend ${backend}`, cpuVersion: 4,
      includeGroups: ['callx'], excludeGroups: [], elf, jobs: 2, env: pluginEnv(),
    });
    t.comment(report(result).split('\n').pop()!);
    t.same(result.outcomes.filter((o) => o.status !== 'PASS').map((o) => `${o.status} ${o.file} ${o.reason}`), []);
    t.equal(result.total, 313);
    t.equal(result.passed, 313);
  });
}
