import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http2AsyncContext } from '../dist/esm/esbuild.js';
import { type BundledRun, bundleApp, runBundle } from './helpers/bundle.js';
import { type ClientSet, installedVersion, nodeBinaries } from './helpers/clients.js';

// An app using grpc-js, http2-wrapper, got and undici, bundled with esbuild (platform node) and
// run under the register preload: with the plugin every callback runs in its own request's store,
// as unbundled; without it the bundle loses them as natively (register patches node:http2 alone).
// Node 20 runs the previous majors (undici 7, got 15: through http2-wrapper), Node 24 the newest.
const nodes: Array<{ name: string; bin: string; set: ClientSet }> = [
  { name: `node ${process.versions.node}`, bin: process.execPath, set: 'previous' },
  { name: 'node 24', bin: nodeBinaries[24], set: 'newest' },
];
const clients = ['grpc-js', 'http2-wrapper', 'got', 'undici'];
const phases = ['cold', 'after GOAWAY'];

let outdir: string;
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'h2ac-bundle-'));
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** The copies patchStatus() names: each bundled library, with the version its package.json had at build time. */
const bundledCopies = (set: ClientSet) => [
  `@grpc/grpc-js ${installedVersion('newest', '@grpc/grpc-js')} node_modules/@grpc/grpc-js`,
  `http2-wrapper ${installedVersion('newest', 'http2-wrapper')} node_modules/http2-wrapper`,
  `undici ${installedVersion(set, 'undici')} ${set === 'newest' ? '' : 'test/clients/previous/'}node_modules/undici`,
];

/** Every callback of every request ran, each time in its own request's store, in `phasesRun`. */
function expectEveryCallbackInItsStore(run: BundledRun, phasesRun = phases): void {
  for (const client of clients)
    for (const phase of phasesRun) {
      const { ran, total, wrongCallbacks, errors } = run.clients[client]![phase]!;
      expect({ ran, wrongCallbacks, errors }, `${client} ${phase}`).toEqual({
        ran: total,
        wrongCallbacks: [],
        errors: undefined,
      });
      expect(total, `${client} ${phase}`).toBeGreaterThanOrEqual(12);
    }
}

/** Some callback of `client` saw another request's store in `phase`, every callback still ran. */
function expectLoss(run: BundledRun, client: string, phase: string): void {
  const { ran, total, wrongCallbacks } = run.clients[client]![phase]!;
  expect(ran, `${client} ${phase}`).toBe(total);
  expect(wrongCallbacks.length, `${client} ${phase}`).toBeGreaterThan(0);
}

describe.each(nodes)('an esbuild bundle under register ($name)', ({ bin, set }) => {
  const variants = [
    { format: 'esm', minify: false },
    { format: 'esm', minify: true },
    { format: 'cjs', minify: false },
    { format: 'cjs', minify: true },
  ] as const;

  it.each(variants)(
    'built with the plugin ($format, minify: $minify): every callback in its own store, cold and after GOAWAY, and patchStatus() names each bundled copy',
    async (variant) => {
      const app = await bundleApp(outdir, { ...variant, plugin: true, set });
      const run = await runBundle(bin, app);
      expectEveryCallbackInItsStore(run);
      expect(run.patchedClients).toEqual(bundledCopies(set));
      expect(run.stderr).toBe('');
    },
    60_000,
  );

  it('built without it: register patches no copy, and grpc-js, http2-wrapper and undici lose the store as natively', async () => {
    const app = await bundleApp(outdir, { format: 'esm', minify: false, plugin: false, set });
    const run = await runBundle(bin, app);
    expect(run.patchedClients).toEqual([]);
    for (const client of ['grpc-js', 'http2-wrapper', 'undici'])
      for (const phase of phases) expectLoss(run, client, phase);
    // got 15 goes through http2-wrapper; got 16's own client keeps the store with node:http2 patched.
    if (set === 'previous') for (const phase of phases) expectLoss(run, 'got', phase);
    // Not silently: where the bundle keeps function names, register names each library it could
    // not reach, once per library and bundle (http2-wrapper's session opener has no telling name).
    for (const name of ['@grpc/grpc-js', 'undici'])
      expect(
        run.stderr.split(
          `[HTTP2_ASYNC_CONTEXT_UNREACHED] Http2AsyncContextWarning: ${name} opened an HTTP/2 session from ${app},`,
        ),
      ).toHaveLength(2);
  }, 60_000);

  it('NODE_DEBUG says each bundled copy was patched by its main entry too, as unbundled, and none left alone', async () => {
    const app = await bundleApp(outdir, { format: 'esm', minify: true, plugin: true, set });
    const run = await runBundle(bin, app, [], { ...process.env, NODE_DEBUG: 'http2-async-context' });
    expectEveryCallbackInItsStore(run);
    // What it says of the client copies (it also says node:http2 was patched).
    const said = run.stderr
      .split('\n')
      .filter((line) => /patched|left alone/.test(line) && !line.includes('node:http2'));
    expect(said.map((line) => line.replace(/^.*?(patched|left alone)/, '$1'))).toEqual(
      bundledCopies(set).map((copy) => `patched ${copy.replace(/ (\S+)$/, ' at $1')}`),
    );
    // grpc-js's main entry finds its interceptors file, undici's its UnwrapHandler, among the bundled files.
  }, 60_000);

  it('unpatchClients() reaches the bundled copies: fresh clients lose the store again', async () => {
    const app = await bundleApp(outdir, { format: 'cjs', minify: true, plugin: true, set });
    const run = await runBundle(bin, app, ['--unpatch']);
    expectEveryCallbackInItsStore(run);
    for (const client of ['grpc-js', 'http2-wrapper', 'undici']) expectLoss(run, client, 'after unpatchClients()');
  }, 60_000);
});

describe('the esbuild plugin', () => {
  it('is the default export too, named http2-async-context', async () => {
    const entry = await import('../dist/esm/esbuild.js');
    expect(entry.default).toBe(http2AsyncContext);
    expect(http2AsyncContext().name).toBe('http2-async-context');
  });

  it('a bundled copy outside the supported range is left alone, with the warning, by the version it had at build time', async () => {
    const project = join(outdir, 'out-of-range');
    const wrapper = join(project, 'node_modules/http2-wrapper');
    mkdirSync(wrapper, { recursive: true });
    writeFileSync(join(wrapper, 'package.json'), JSON.stringify({ name: 'http2-wrapper', version: '3.0.0' }));
    writeFileSync(
      join(wrapper, 'index.js'),
      'class Agent {\n  request() {\n    return 3;\n  }\n}\nmodule.exports = { Agent };\n',
    );
    const status = join(process.cwd(), 'dist/cjs/index.js');
    writeFileSync(
      join(project, 'app.js'),
      `const { Agent } = require('http2-wrapper');\nconst { patchStatus } = require(${JSON.stringify(status)});\n` +
        'console.log(JSON.stringify({ ...patchStatus(), own: String(Agent.prototype.request).includes("return 3") }));\n',
    );
    await esbuild.build({
      entryPoints: ['app.js'],
      absWorkingDir: project,
      bundle: true,
      platform: 'node',
      outfile: 'bundle.cjs',
      external: [status],
      logLevel: 'error',
      plugins: [http2AsyncContext()],
    });
    const register = join(process.cwd(), 'dist/esm/register.js');
    const child = spawnSync(process.execPath, ['--import', register, join(project, 'bundle.cjs')], {
      encoding: 'utf8',
    });
    const { patchedClients, unsupportedClients, own } = JSON.parse(child.stdout);
    expect(patchedClients).toEqual([]);
    expect(unsupportedClients).toEqual([
      { name: 'http2-wrapper', version: '3.0.0', path: 'node_modules/http2-wrapper', versions: '>=2.0.0 <3.0.0' },
    ]);
    expect(own).toBe(true);
    expect(child.stderr).toMatch(
      /\[HTTP2_ASYNC_CONTEXT_UNSUPPORTED\] Http2AsyncContextWarning: http2-wrapper 3\.0\.0 at node_modules\/http2-wrapper is outside/,
    );
  });

  it('leaves a copy whose package.json states no version unmarked, and says so once when building', async () => {
    const project = join(outdir, 'no-version');
    const undici = join(project, 'node_modules/undici');
    mkdirSync(join(undici, 'lib'), { recursive: true });
    writeFileSync(join(undici, 'package.json'), JSON.stringify({ name: 'undici' }));
    writeFileSync(join(undici, 'index.js'), "module.exports = { Client: require('./lib/client.js') };\n");
    writeFileSync(join(undici, 'lib/client.js'), 'module.exports = class Client {};\n');
    writeFileSync(join(project, 'app.js'), "console.log(require('undici'));\n");
    const built = await esbuild.build({
      entryPoints: ['app.js'],
      absWorkingDir: project,
      bundle: true,
      platform: 'node',
      write: false,
      logLevel: 'silent',
      plugins: [http2AsyncContext()],
    });
    expect(built.warnings.map(({ text }) => text)).toEqual([
      `http2-async-context: ${undici}: no package.json naming undici with a version, so register will leave this copy alone`,
    ]);
    expect(built.outputFiles[0]!.text).toContain('class Client');
    expect(built.outputFiles[0]!.text).not.toContain('http2-async-context');
  });

  it('refuses Bun.build, whose bundler would rename what it appends, with what to do instead', () => {
    const bunBuild = { config: {}, initialOptions: {}, onLoad: () => undefined };
    expect(() => http2AsyncContext().setup(bunBuild)).toThrow(
      /serves esbuild only: .* mark @grpc\/grpc-js, http2-wrapper and undici external/,
    );
  });
});
