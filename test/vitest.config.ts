import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/flush-coverage.ts'],
    // Packs the tarball once for the tests of the published package (test/package*.test.ts).
    globalSetup: ['test/helpers/pack.ts'],
    // Load the built package with Node's own loader, untransformed, exactly as users get it,
    // so that V8 coverage lines up with dist/'s source maps back to src/.
    server: { deps: { external: [/\/dist\//] } },
    // Child processes (not worker threads) so c8 collects coverage through NODE_V8_COVERAGE,
    // and two of them: the machine has two cores.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1, execArgv: ['--expose-gc'] } },
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
