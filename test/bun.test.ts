import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { StackReport } from '../dist/esm/doctor/internals.js';
import { runNode } from './helpers/child.js';

// The register preload on Bun, on real loopback servers: it reaches grpc-js, http2-wrapper (and
// got through it) and npm's undici whether the app imports or requires them, nested copies too.
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

interface AppRun {
  runtime: string;
  patchClients: false | Array<{ name: string; version: string; path: string }> | undefined;
  clients: Record<string, { clean: boolean; phases: string[] }>;
}
const app = 'test/fixtures/clients-as-app.mjs';
const clientNames = ['grpc-js', 'http2-wrapper', 'got', 'undici'];
const clean = (run: AppRun) =>
  Object.fromEntries(Object.entries(run.clients).map(([name, { clean, phases }]) => [name, clean || phases]));
const allClean = Object.fromEntries(clientNames.map((name) => [name, true]));

// Skipped only where the `bun` devDependency did not install its binary (a platform Bun does not
// ship for); npm ci installs it on every machine CI and this project run on.
describe.skipIf(bun === undefined)('bun --preload register', () => {
  for (const [how, set] of [
    ['import', 'newest'],
    ['require', 'newest'],
    ['import', 'oldest'],
    ['require', 'oldest'],
  ] as const) {
    it(`scopes every client the app ${how}s (${set}${set === 'oldest' ? ', nested node_modules' : ''}), cold, warm and after GOAWAY`, async () => {
      const run = (await runBun(app, [how, set, '--report'], ['--preload', register])) as AppRun;
      expect(run.runtime).toMatch(/^bun /);
      expect(clean(run)).toEqual(allClean);
      // The preload patched every copy as it loaded: a later call finds nothing left to do.
      expect(run.patchClients).toBe(false);
    });
  }

  it('without it the same app loses the stores of queued requests, so the checks above mean something', async () => {
    const run = (await runBun(app, ['import', 'newest'])) as AppRun;
    expect(Object.values(run.clients).map(({ clean }) => clean)).toEqual([false, false, false, false]);
  });

  it('patchClients() after the imports, with no preload, patches and names every copy loaded', async () => {
    const run = (await runBun(app, ['import', 'oldest', '--late'])) as AppRun;
    expect(clean(run)).toEqual(allClean);
    const patched = (run.patchClients || [])
      .map(({ name, version, path }) => `${name} ${version} ${path.replace(/.*\/node_modules\//, '')}`)
      .sort();
    // got 12.0.0 brings an http2-wrapper of its own, nested below it.
    expect(patched).toEqual([
      '@grpc/grpc-js 1.8.22 @grpc/grpc-js',
      'http2-wrapper 2.0.3 http2-wrapper',
      'http2-wrapper 2.2.4 http2-wrapper',
      'undici 6.0.0 undici',
    ]);
  });

  it("Bun's built-in undici is a stand-in with no dispatch to patch; npm's, imported by its file, is patched", async () => {
    const run = await runBun('test/fixtures/undici-builtin.mjs', [], ['--preload', register]);
    expect(run).toEqual({
      bareIsNpm: false,
      requireIsNpm: false,
      stub: { compose: 'undefined', dispatch: 'undefined' },
      unpatchedDispatchers: [],
      patchClients: false,
    });
  });

  for (const how of ['import', 'require'] as const) {
    it(`the same app on Node under --import register, ${how === 'import' ? 'importing' : 'requiring'} undici by its file as on Bun, is scoped too`, async () => {
      const run = (await runNode(
        app,
        [how, 'newest', '--report'],
        ['--import', 'http2-async-context/register'],
      )) as AppRun;
      expect(run.runtime).toMatch(/^node /);
      expect(clean(run)).toEqual(allClean);
      expect(run.patchClients).toBe(false);
    });
  }

  it("on Node the bare name is npm's undici, patched the same way", async () => {
    const run = await runNode('test/fixtures/undici-builtin.mjs', [], ['--import', 'http2-async-context/register']);
    expect(run).toEqual({
      bareIsNpm: true,
      requireIsNpm: true,
      stub: { compose: 'function', dispatch: 'function' },
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
      notes: [],
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
