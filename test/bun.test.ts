import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { StackReport } from '../dist/esm/doctor/internals.js';
import { runNode } from './helpers/child.js';
import {
  type AppRun,
  app,
  expectEveryCallbackInItsStore,
  expectQueuedRequestsLoseTheirStore,
  oldestCopies,
  patchedCopies,
} from './helpers/client-app.js';
import { nodeBinaries } from './helpers/clients.js';

// The register preload on Bun, on real loopback servers: it reaches grpc-js, http2-wrapper (and
// got through it) and npm's undici whether the app imports or requires them, nested copies too.
// The app (test/fixtures/client-app.mjs) counts the stores itself; the doctor is tested at the end.
const root = fileURLToPath(new URL('..', import.meta.url));
const bun = ['node_modules/bun/bin/bun.exe', 'node_modules/bun/bin/bun']
  .map((path) => `${root}${path}`)
  .find(existsSync);
const register = `${root}dist/esm/register.js`;

/** Runs `file` (from the repository root) on Bun with `bunArgs` before it; parses the JSON it prints last. */
function runBun(file: string, args: string[] = [], bunArgs: string[] = []): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      bun!,
      [...bunArgs, file, ...args],
      { cwd: root, timeout: 60_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const last = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(last));
        } catch {
          reject(new Error(`bun ${file} failed: ${error?.message ?? ''}\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

// Skipped only where the `bun` devDependency did not install its binary (a platform Bun does not
// ship for); npm ci installs it on every machine CI and this project run on.
describe.skipIf(bun === undefined)('bun --preload register', () => {
  for (const [how, set] of [
    ['import', 'newest'],
    ['require', 'newest'],
    ['import', 'oldest'],
    ['require', 'oldest'],
  ] as const) {
    it(`scopes every client the app ${how}s (${set}${set === 'oldest' ? ', nested node_modules' : ''}), cold, warm, after GOAWAY and across a grpc-js server restart`, async () => {
      const run = (await runBun(app, [how, set, '--report'], ['--preload', register])) as AppRun;
      expect(run.runtime).toMatch(/^bun /);
      expectEveryCallbackInItsStore(run, set);
      // The preload patched every copy as it loaded: a later call finds nothing left to do.
      expect(run.patchClients).toBe(false);
    });
  }

  it('without it the same app loses the stores of queued requests, so the checks above mean something', async () => {
    const run = (await runBun(app, ['import', 'newest'])) as AppRun;
    expect(run.runtime).toMatch(/^bun /);
    expectQueuedRequestsLoseTheirStore(run, 'newest');
  });

  it('patchClients() after the imports, with no preload, patches and names every copy loaded', async () => {
    const run = (await runBun(app, ['import', 'oldest', '--late'])) as AppRun;
    expectEveryCallbackInItsStore(run, 'oldest');
    // got 12.0.0 brings an http2-wrapper of its own, nested below it.
    expect(patchedCopies(run)).toEqual(oldestCopies);
  });

  it('leaves every other file to Bun: required .js files with JSX load, and still do after unpatchHttp2()', async () => {
    // Run from the fixture's folder: Bun reads the JSX factory from the tsconfig.json where it runs.
    const run = (cwd: string, args: string[]) =>
      new Promise<unknown>((resolve, reject) =>
        execFile(bun!, [...args, 'app.cjs'], { cwd, timeout: 30_000 }, (error, stdout, stderr) =>
          error
            ? reject(new Error(`${error.message}\n${stderr}`))
            : resolve(JSON.parse(stdout.trim().split('\n').pop()!)),
        ),
      );
    const jsx = `${root}test/fixtures/jsx`;
    const rendered = { greeting: { type: 'p', children: ['hello'] }, farewell: { type: 'p', children: ['goodbye'] } };
    expect(await run(jsx, [])).toEqual(rendered);
    expect(await run(jsx, ['--preload', register])).toEqual(rendered);
  });

  it("NODE_DEBUG says what the preload patched on Bun, and why Bun's built-in undici is left alone", async () => {
    const stderr = await new Promise<string>((resolve, reject) =>
      execFile(
        bun!,
        ['--preload', register, 'test/fixtures/undici-builtin.mjs'],
        { cwd: root, timeout: 30_000, env: { ...process.env, NODE_DEBUG: 'http2-async-context' } },
        (error, _stdout, stderr) => (error ? reject(error) : resolve(stderr)),
      ),
    );
    expect(stderr).toMatch(/^HTTP2-ASYNC-CONTEXT \d+: patched node:http2: http2\.connect$/m);
    expect(stderr).toMatch(/: Bun's built-in undici \(what 'undici' names on Bun\) is left alone: it has no dispatch/);
    expect(stderr).toMatch(/: patched undici 8\.\d+\.\d+ at .*node_modules[\\/]undici$/m);
  });

  it("Bun's built-in undici is a stand-in with no dispatch to patch; npm's, imported by its file, is patched", async () => {
    const run = await runBun('test/fixtures/undici-builtin.mjs', [], ['--preload', register]);
    expect(run).toEqual({
      bareIsNpm: false,
      requireIsNpm: false,
      stub: { compose: 'undefined', dispatch: 'undefined' },
      dispatchers: expect.any(Number),
      unpatchedDispatchers: [],
      patchClients: false,
    });
    // undici 8.14: Client, Pool, BalancedPool, RoundRobinPool, Agent, ProxyAgent, Socks5ProxyAgent, … and the mocks.
    expect((run as { dispatchers: number }).dispatchers).toBeGreaterThanOrEqual(15);
  });

  // On Node 24: undici 8 needs Node 22.
  for (const how of ['import', 'require'] as const) {
    it(`the same app on Node under --import register, ${how === 'import' ? 'importing' : 'requiring'} undici by its file as on Bun, is scoped too`, async () => {
      const run = (await runNode(
        app,
        [how, 'newest', '--report'],
        ['--import', 'http2-async-context/register'],
        nodeBinaries[24],
      )) as AppRun;
      expect(run.runtime).toMatch(/^node /);
      expectEveryCallbackInItsStore(run, 'newest');
      expect(run.patchClients).toBe(false);
    });
  }

  it("on Node the bare name is npm's undici, patched the same way", async () => {
    const run = await runNode(
      'test/fixtures/undici-builtin.mjs',
      [],
      ['--import', 'http2-async-context/register'],
      nodeBinaries[24],
    );
    expect(run).toEqual({
      bareIsNpm: true,
      requireIsNpm: true,
      stub: { compose: 'function', dispatch: 'function' },
      dispatchers: expect.any(Number),
      unpatchedDispatchers: [],
      patchClients: false,
    });
  });
});

// Skipped, as above, only without a Bun binary.
describe.skipIf(bun === undefined)('the client doctor on Bun', () => {
  const doctor = (preload: string) =>
    runBun('test/fixtures/stack-doctor.mjs', [preload, 'undici']) as Promise<StackReport>;

  it('runs the register mode with the preload and judges it like every other fixed mode', async () => {
    const report = await doctor(register);
    expect(report).toMatchObject({
      runtime: { name: 'bun' },
      modes: ['native', 'register', 'explicit'],
      // Run in the repository, which bundles its tests' apps with esbuild and runs its tests with vitest.
      notes: [
        expect.stringMatching(/^Bundles: this project depends on esbuild\. /),
        expect.stringMatching(/^Test runners: this project depends on vitest\. /),
      ],
      ok: true,
    });
    const phases = report.clients[0]!.modes.register!.run!.phases;
    expect(phases.map(({ right, total }) => right === total && total > 0)).toEqual([true, true, true]);
  });

  it('is not ok when the register column is wrong', async () => {
    const report = await doctor(`${root}test/fixtures/register-unreached.mjs`);
    const phases = report.clients[0]!.modes.register!.run!.phases;
    expect(phases.some(({ right, total }) => right < total)).toBe(true);
    expect(report.ok).toBe(false);
  });
});
