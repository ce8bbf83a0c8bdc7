import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type Runtime, runtimes } from './helpers/child.js';

// Register knows a library's file by its real path and the package.json above it, whatever the
// request that loaded it: each form below loads undici 7 into a fresh project in a child process
// under the register preload (on this Node, and on Bun, where a bare 'undici' is Bun's built-in
// and the fixture names npm's by its file instead), and three dispatches at once on a cold client
// to a loopback server must each see only their own store (natively some do not).
interface FormRun {
  form: string;
  right: number | null;
  fakeUntouched?: boolean;
  patched: string[];
  leftAlone: string[];
}

/** Runs test/fixtures/load-form.mjs with `form` on `runtime`, under register unless `native`; its JSON and stderr. */
function load(runtime: Runtime, form: string, native = false): Promise<{ run: FormRun; stderr: string }> {
  const preload = native ? [] : [runtime.preload, './dist/esm/register.js'];
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_DEBUG: 'http2-async-context' };
  if (runtime.bin !== process.execPath) delete env.NODE_V8_COVERAGE;
  return new Promise((resolve, reject) => {
    execFile(
      runtime.bin,
      [...preload, 'test/fixtures/load-form.mjs', form],
      { env, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${form}: ${error.message}\n${stderr}`));
        resolve({ run: JSON.parse(stdout.trim().split('\n').pop()!) as FormRun, stderr });
      },
    );
  });
}

const warnings = (stderr: string) =>
  stderr.split('\n').filter((line) => line.includes('[HTTP2_ASYNC_CONTEXT_UNSUPPORTED]'));

const onThisNodeAndBun = runtimes.filter(({ name }) => name !== 'node 24');

describe.each(onThisNodeAndBun)('every way of loading a library reaches the same patch, on $name', (runtime) => {
  it('natively, the cold client of the fixture loses stores, so the checks below mean something', async () => {
    const { run } = await load(runtime, 'bare', true);
    expect(run.right).toBeLessThan(3);
    expect(run.patched).toEqual([]);
  });

  for (const [form, request] of [
    ['bare', "require('undici')"],
    ['slash', "require('undici/')"],
    ['relative', "require('./node_modules/undici')"],
    ['absolute', 'require() of the absolute folder'],
  ] as const) {
    it(`${request} is patched, once, and its cold client's callbacks each run in their own store`, async () => {
      const { run, stderr } = await load(runtime, form);
      expect(run.right).toBe(3);
      expect(run.patched).toEqual(['undici 7.30.3 <project>/node_modules/undici']);
      expect(stderr).toMatch(/HTTP2-ASYNC-CONTEXT \d+: patched undici 7\.30\.3 at /);
    });
  }

  it('a linked copy (node_modules/undici a symlink to a checkout) is patched at its real path, with its version', async () => {
    const { run } = await load(runtime, 'linked');
    expect(run.right).toBe(3);
    expect(run.patched).toEqual(['undici 7.30.3 <project>/checkouts/undici-dev']);
  });

  it('a linked copy outside the supported range is left alone, warned of once and said under NODE_DEBUG', async () => {
    const { run, stderr } = await load(runtime, 'linked-nine');
    expect(run.patched).toEqual([]);
    expect(run.leftAlone).toEqual(['undici 9.0.0 <project>/checkouts/undici-dev']);
    expect(stderr).toMatch(/left alone undici 9\.0\.0 at .*undici-dev: outside the supported range >=6\.0\.0 <9\.0\.0/);
    expect(warnings(stderr)).toHaveLength(1);
  });

  it('a copy whose package.json cannot be read is left alone and reported, never patched blind', async () => {
    const { run, stderr } = await load(runtime, 'unreadable');
    expect(run.patched).toEqual([]);
    expect(run.leftAlone).toEqual(['undici undefined <project>/node_modules/undici']);
    // Left alone: as natively.
    expect(run.right).toBeLessThan(3);
    expect(stderr).toMatch(/left alone undici \(version unknown\) at .*: its package\.json could not be read/);
    expect(warnings(stderr)).toEqual([expect.stringContaining('has a package.json that could not be read')]);
  });

  // Bun calls Module._load for no package: a double there replaces nothing.
  it.skipIf(runtime.name === 'bun')(
    'what a Module._load test double returns for undici is not patched: it came from no package file',
    async () => {
      const { run } = await load(runtime, 'double', true);
      expect(run.fakeUntouched).toBe(true);
      expect(run.patched).toEqual([]);
    },
  );
});
