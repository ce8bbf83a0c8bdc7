import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeBinaries } from './helpers/clients.js';
import { bun, linkPackage, makeProject, removeProject } from './helpers/readme-project.js';

// Test runners that load modules through a registry of their own, in a user's project (the
// packed package, grpc-js and undici, and today's vitest and Jest from test/runners; the previous
// vitest major, 4, from test/runners-vitest4, in a second project of its own): the routes
// the README gives make every grpc-js and undici callback run in its own request's store, across
// two test files in one worker (one for `bun test`); the preload alone under such a runner says
// so with a warning. vitest 5 needs Node 22.12, so vitest and Jest run on Node 24.
const root = fileURLToPath(new URL('..', import.meta.url));
const packageDir = (workspace: string, name: string) =>
  dirname(createRequire(join(root, workspace, 'package.json')).resolve(`${name}/package.json`));
const testFiles = ['a', 'b'];

/** The configs of the README's routes, and two without them, as a user writes them. */
const configs: Record<string, string> = {
  'vitest.vm-threads.config.mjs': `export default { test: { include: ['test/*.test.mjs'], pool: 'vmThreads', setupFiles: ['http2-async-context/register'] } };`,
  'vitest.vm-forks.config.mjs': `export default { test: { include: ['test/*.test.mjs'], pool: 'vmForks', setupFiles: ['http2-async-context/register'] } };`,
  'vitest.threads.config.mjs': `export default { test: { include: ['test/*.test.mjs'], pool: 'threads', setupFiles: ['http2-async-context/register'] } };`,
  'vitest.inline.config.mjs': `export default { test: { include: ['test/*.test.mjs'], server: { deps: { inline: true } }, setupFiles: ['http2-async-context/register'] } };`,
  'vitest.preload-only.config.mjs': `export default { test: { include: ['test/*.test.mjs'], pool: 'vmThreads', execArgv: ['--import', 'http2-async-context/register'] } };`,
  'jest.config.js': `const { withHttp2AsyncContext } = require('http2-async-context/jest');\nmodule.exports = withHttp2AsyncContext({ testEnvironment: 'node', testMatch: ['**/test/*.test.cjs'] });`,
  'jest.preload-only.config.js': `module.exports = { testEnvironment: 'node', testMatch: ['**/test/*.test.cjs'] };`,
};

interface Run {
  code: number | null;
  stderr: string;
  results: Record<string, { ran: number; total: number; wrong: string[]; errors: string[]; patchedClients: string[] }>;
}

let project: string;
/** The same project with vitest 4 in place of vitest 5. */
let project4: string;
/** The loopback servers of test/fixtures/client-app-servers.mjs (h2c with a gRPC service, TLS with `/hello`). */
interface LoopbackServer {
  authority: string;
  origin: string;
  close(): Promise<void>;
}
type StartServer = (options: { secure: boolean }) => Promise<LoopbackServer>;
let servers: LoopbackServer[];
let env: NodeJS.ProcessEnv;

/** A user's project with the packed package, the fixtures and configs, and `runners` linked in. */
function projectWith(runners: Record<string, string>): string {
  const dir = makeProject(inject('tarball'));
  for (const [name, workspace] of Object.entries(runners)) linkPackage(dir, name, packageDir(workspace, name));
  cpSync(join(root, 'test/fixtures/runners'), join(dir, 'test'), { recursive: true });
  for (const [file, text] of Object.entries(configs)) writeFileSync(join(dir, file), `${text}\n`);
  return dir;
}

beforeAll(async () => {
  project = projectWith({ vitest: 'test/runners', jest: 'test/runners' });
  project4 = projectWith({ vitest: 'test/runners-vitest4' });
  const serversModule = new URL('fixtures/client-app-servers.mjs', import.meta.url).href;
  const { startServer } = (await import(serversModule)) as { startServer: StartServer };
  servers = await Promise.all([startServer({ secure: false }), startServer({ secure: true })]);
  const { NODE_OPTIONS: _, ...rest } = process.env;
  env = {
    ...rest,
    H2AC_GRPC_AUTHORITY: servers[0]!.authority,
    H2AC_UNDICI_ORIGIN: servers[1]!.origin,
    H2AC_CA: join(root, 'test/fixtures/cert.pem'),
  };
}, 60_000);

afterAll(async () => {
  await Promise.all(servers?.map((server) => server.close()) ?? []);
  if (project) removeProject(project);
  if (project4) removeProject(project4);
});

/**
 * Runs `runner` in the project (`dir`, the vitest 4 one for vitest 4), one worker, and reads what
 * each test file recorded.
 */
function run(runner: 'vitest' | 'jest' | 'bun', config: string, nodeOptions?: string, dir = project): Promise<Run> {
  const results = join(dir, `results-${runner}-${config.replace(/\W+/g, '-')}`);
  mkdirSync(results, { recursive: true });
  const vitest = join(dir, 'node_modules/vitest/vitest.mjs');
  const jest = join(dir, 'node_modules/jest/bin/jest.js');
  const commands: Record<typeof runner, [string, ...string[]]> = {
    vitest: [nodeBinaries[24], vitest, 'run', '--config', config, '--maxWorkers=1'],
    jest: [nodeBinaries[24], jest, '--config', config, '--runInBand', '--cacheDirectory', join(results, 'cache')],
    bun: [bun.bin, 'test', ...config.split(' ')],
  };
  const [command, ...args] = commands[runner];
  const childEnv = { ...env, H2AC_RESULTS: results, ...(nodeOptions && { NODE_OPTIONS: nodeOptions }) };
  return new Promise((resolve) => {
    execFile(command, args, { cwd: dir, env: childEnv, timeout: 90_000 }, (error, _stdout, stderr) => {
      const read = (name: string) => {
        const file = join(results, `${name}.json`);
        return existsSync(file) ? [[name, JSON.parse(readFileSync(file, 'utf8'))]] : [];
      };
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stderr, results: Object.fromEntries(testFiles.flatMap((file) => read(`${runner}-${file}`))) });
      rmSync(results, { recursive: true, force: true });
    });
  });
}

/** Both test files ran every callback, each in its own request's store, with both clients patched. */
function expectEveryCallbackInItsStore(runner: string, { code, stderr, results }: Run): void {
  for (const file of runner === 'bun' ? ['a'] : testFiles) {
    const result = results[`${runner}-${file}`];
    expect(result, `${runner}-${file} ran: ${stderr.slice(-2000)}`).toBeDefined();
    const { ran, total, wrong, errors, patchedClients } = result!;
    expect({ ran, wrong, errors }, file).toEqual({ ran: total, wrong: [], errors: [] });
    expect(total).toBe(40);
    expect(patchedClients, file).toEqual(expect.arrayContaining(['@grpc/grpc-js', 'undici']));
  }
  expect(code, stderr.slice(-2000)).toBe(0);
  expect(stderr).not.toContain('HTTP2_ASYNC_CONTEXT_UNREACHED');
}

/** Natively lost stores, and the preload said, for each library, that it could not reach it. */
function expectUnreachedAndSaid(runner: string, { stderr, results }: Run): void {
  const result = results[`${runner}-a`];
  expect(result, stderr.slice(-2000)).toBeDefined();
  expect(result!.ran).toBe(result!.total);
  expect(result!.wrong.filter((wrong) => wrong.includes('of grpc-js')).length).toBeGreaterThan(0);
  expect(result!.patchedClients).toEqual([]);
  for (const library of ['@grpc/grpc-js', 'undici'])
    expect(stderr).toMatch(new RegExp(`HTTP2_ASYNC_CONTEXT_UNREACHED.*${library}.*opened an HTTP/2 session`));
}

describe.each([
  { major: 5, dir: () => project },
  { major: 4, dir: () => project4 },
])('vitest $major with register as a setup file', ({ major, dir }) => {
  it(`the project runs vitest ${major}`, () => {
    const { version } = JSON.parse(readFileSync(join(dir(), 'node_modules/vitest/package.json'), 'utf8'));
    expect(version).toMatch(new RegExp(`^${major}\\.`));
  });

  it.each([
    ['vmThreads', 'vitest.vm-threads.config.mjs'],
    ['vmForks', 'vitest.vm-forks.config.mjs'],
    ['threads', 'vitest.threads.config.mjs'],
    ['server.deps.inline (the default pool)', 'vitest.inline.config.mjs'],
  ])(
    '%s: every callback runs in its own request store, in every test file',
    async (_, config) => {
      expectEveryCallbackInItsStore('vitest', await run('vitest', config, undefined, dir()));
    },
    120_000,
  );

  it('vmThreads with the preload alone warns, per library, that it could not reach them', async () => {
    expectUnreachedAndSaid('vitest', await run('vitest', 'vitest.preload-only.config.mjs', undefined, dir()));
  }, 120_000);
});

describe('Jest 30', () => {
  it('withHttp2AsyncContext(config): every callback runs in its own request store, in every test file', async () => {
    expectEveryCallbackInItsStore('jest', await run('jest', 'jest.config.js'));
  }, 120_000);

  it('the preload alone warns, per library, that it could not reach them', async () => {
    expectUnreachedAndSaid(
      'jest',
      await run('jest', 'jest.preload-only.config.js', '--import http2-async-context/register'),
    );
  }, 120_000);
});

describe('bun test', () => {
  it('--preload register: every callback runs in its own request store', async () => {
    expectEveryCallbackInItsStore(
      'bun',
      await run('bun', '--preload http2-async-context/register ./test/calls_bun.spec.mjs'),
    );
  }, 120_000);
});
