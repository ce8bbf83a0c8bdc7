import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  bun,
  type CodeBlock,
  deno,
  makeProject,
  nodeRuntimes,
  providedPackages,
  type Runtime,
  readmeBlocks,
  removeProject,
} from './helpers/readme-project.js';

// Every code block of the README, run as written in a fresh project that has the packed tarball
// installed, on every runtime its text names: each block starts what it talks to, so the test
// brings no server, port, certificate or environment of its own. The Development block is the
// repository's own commands (npm test among them): it is checked against package.json, and CI
// runs it.
const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = readmeBlocks();
const development = blocks.find((block) => block.text.includes('npm run test:unit'));
const shellLines = blocks
  .filter((block) => block.lang === 'sh' && block !== development)
  .flatMap((block) => block.text.split('\n'))
  .map((line) => line.replace(/\s+#.*$/, '').trim())
  .filter((line) => line !== '');
const files = blocks.filter((block): block is CodeBlock & { file: string } => block.file !== undefined);
const nodes = nodeRuntimes();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(project: string, command: string, args: string[], timeout = 60_000): Promise<Run> {
  // A user's PATH: the project's bins, the Node running the suite, then Bun and Deno (from npm
  // here). DENO_NO_UPDATE_CHECK keeps Deno off the network; nothing a block does depends on it.
  const path = [join(project, 'node_modules/.bin'), dirname(process.execPath), join(root, 'node_modules/.bin')];
  const env = { ...process.env, PATH: [...path, process.env.PATH].join(':'), DENO_NO_UPDATE_CHECK: '1' };
  return new Promise((resolve) => {
    execFile(command, args, { cwd: project, env, timeout, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** `line` with its first word, the runtime's command, replaced by `runtime`'s binary. */
function on(runtime: Runtime, line: string): [string, string[]] {
  const [, ...args] = line.split(' ');
  return [runtime.bin, args];
}

/** What app.mjs printed: for each call, the store its callback ran in. */
function answered(result: Run): Record<string, string> {
  expect(result.code, result.stderr).toBe(0);
  const calls = result.stdout
    .trim()
    .split('\n')
    .map((line) => /^(\w+) answered in (\S+)$/.exec(line));
  expect(calls.every(Boolean), result.stdout).toBe(true);
  return Object.fromEntries(calls.map((call) => [call![1]!, call![2]!]));
}

const appLines = shellLines.filter((line) => line.endsWith(' app.mjs'));
const preloaded = appLines.filter((line) => line.includes('http2-async-context/register'));

describe('the README, run as written', () => {
  let project: string;
  beforeAll(() => {
    project = makeProject(inject('tarball'));
    for (const { file, text } of files) writeFileSync(join(project, file), text);
  }, 60_000);
  afterAll(() => {
    if (project) removeProject(project);
  });

  it('has only blocks the suite runs, and the first is the quick start app, named on its first line', () => {
    expect(blocks.map((block) => block.lang).filter((lang) => !['sh', 'js', 'ts'].includes(lang))).toEqual([]);
    expect(blocks.filter((block) => block.lang !== 'sh' && block.file === undefined)).toEqual([]);
    expect(files.map((block) => block.file)).toEqual(['app.mjs', 'main.mjs', 'connect.mts', 'clients.mjs']);
    expect(blocks[0]!.text).toMatch(/^\/\/ app\.mjs\n/);
  });

  it('stays within 13 000 bytes', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(13_000);
  });

  it('npm install: the packed tarball installs in a fresh project, beside what the line names', () => {
    const [command, ...packages] = shellLines[0]!.split(' ');
    expect([command, packages[0], packages[1]]).toEqual(['npm', 'install', 'http2-async-context']);
    expect(providedPackages).toEqual(expect.arrayContaining(packages.slice(2)));
    const installed = JSON.parse(readFileSync(join(project, 'node_modules/http2-async-context/package.json'), 'utf8'));
    expect(installed.name).toBe('http2-async-context');
  });

  // The symptom the quick start shows: natively a queued call's callback runs in the store of
  // the call that opened the connection, on every runtime.
  const native = appLines.filter((line) => !preloaded.includes(line));
  it.each([...nodes, bun, deno])(
    "the quick start app without a preload ($name): a call answered in another call's store",
    async (runtime) => {
      expect(native).toEqual(['node app.mjs']);
      const args = runtime === deno ? ['run', '-A', 'app.mjs'] : ['app.mjs'];
      const stores = answered(await run(project, runtime.bin, args));
      expect(Object.keys(stores).sort()).toEqual(['a', 'b', 'c']);
      expect(Object.entries(stores).filter(([call, store]) => call !== store).length).toBeGreaterThan(0);
    },
  );

  const tracer = preloaded.filter((line) => line.includes('dd-trace'));
  const runs = [
    ...preloaded
      .filter((line) => !tracer.includes(line))
      .flatMap((line) =>
        line.startsWith('bun ') ? [[line, bun] as const] : nodes.map((node) => [line, node] as const),
      ),
    // dd-trace: the version this Node has (5 on Node 20).
    ...tracer.map((line) => [line, nodes[0]!] as const),
  ];
  it.each(runs.map(([line, runtime]) => [line, runtime.name, runtime] as const))(
    '%s (%s): every call answered in its own store',
    async (line, _, runtime) => {
      const [command, args] = on(runtime, line);
      expect(answered(await run(project, command, args))).toEqual({ a: 'a', b: 'b', c: 'c' });
    },
  );

  it('deno run -A main.mjs: register as the first import, every call answered in its own store on Deno', async () => {
    expect(readme).toContain('`deno run -A main.mjs`');
    expect(readFileSync(join(project, 'main.mjs'), 'utf8')).toMatch(
      /^\/\/ main\.mjs\nimport 'http2-async-context\/register';/,
    );
    expect(answered(await run(project, deno.bin, ['run', '-A', 'main.mjs']))).toEqual({ a: 'a', b: 'b', c: 'c' });
  });

  it('connect.mts type-checks under --strict', async () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const strict = ['--strict', '--noEmit', '--module', 'nodenext', '--target', 'es2022', '--types', 'node'];
    const checked = await run(project, process.execPath, [tsc, ...strict, 'connect.mts']);
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.code).toBe(0);
    // tsc alone takes about 10 s of CPU on this suite's two-core machines.
  }, 60_000);

  // Type stripping: Node 22.6 and later, so every Node here but 20.
  const connectLines = shellLines.filter((line) => line.endsWith(' connect.mts'));
  const connectRuns = connectLines.flatMap((line) =>
    line.startsWith('node ')
      ? nodes.filter((node) => node.major >= 22).map((node) => [line, node.name, on(node, line)] as const)
      : [[line, nodes[0]!.name, [line.split(' ')[0]!, line.split(' ').slice(1)]] as const],
  );
  it.each(connectRuns)('%s (%s) prints its store', async (_, __, [command, args]) => {
    const result = await run(project, command, args);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('abc\n');
  });

  // The runtimes its text names: got 16 and undici 8, what npm installs today, need Node 22.
  it.each([...nodes.filter((node) => node.major >= 22), bun, deno])(
    'clients.mjs ($name): the explicit helpers keep every client callback in its store',
    async (runtime) => {
      expect(readme).toMatch(/On Node\.js 22 and later, Bun and Deno:\n\n```js\n\/\/ clients\.mjs/);
      const args = runtime === deno ? ['run', '-A', 'clients.mjs'] : ['clients.mjs'];
      const result = await run(project, runtime.bin, args);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim().split('\n').sort()).toEqual(['got abc', 'grpc-js abc', 'undici abc']);
    },
  );

  for (const line of shellLines.filter((candidate) => candidate.includes(' doctor'))) {
    it(`${line}: exits 0 and ends with what to do next`, async () => {
      const [command, ...args] = line.split(' ');
      const result = await run(project, command!, args, 120_000);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stdout.trim().split('\n').pop()).toMatch(/^Next: /);
    }, 130_000);
  }

  it('runs every shell line', () => {
    const covered = [shellLines[0], ...appLines, ...connectLines];
    expect(shellLines.filter((line) => !covered.includes(line) && !line.includes(' doctor'))).toEqual([]);
  });

  it('the Development block names only commands and scripts the repository has', () => {
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<string, string>;
    const commands = development!.text
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== '');
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const command of commands) {
      const script = /^npm (?:run (\S+)|(test))$/.exec(command);
      if (command === 'npm ci') expect(existsSync(join(root, 'package-lock.json'))).toBe(true);
      else expect(scripts, command).toHaveProperty(script?.[1] ?? script?.[2] ?? command);
    }
  });
});
describe('the README API section', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const api = readme.slice(readme.indexOf('## API'), readme.indexOf('### Command line'));
  const entries = {
    'http2-async-context': '../dist/esm/index.js',
    'http2-async-context/grpc-js': '../dist/esm/grpc-js.js',
    'http2-async-context/undici': '../dist/esm/undici.js',
    'http2-async-context/http2-wrapper': '../dist/esm/http2-wrapper.js',
    'http2-async-context/esbuild': '../dist/esm/esbuild.js',
    'http2-async-context/doctor': '../dist/esm/doctor.js',
  };

  for (const [entry, file] of Object.entries(entries)) {
    it(`documents every export of ${entry}, under that entry`, async () => {
      const names = Object.keys(await import(file)).sort();
      expect(names.length).toBeGreaterThan(0);
      const from = api.indexOf(`From \`${entry}\``);
      expect(from, entry).toBeGreaterThanOrEqual(0);
      const next = api.indexOf('From `', from + 1);
      const section = api.slice(from, next === -1 ? undefined : next);
      expect(names.filter((name) => !section.includes(`\`${name}`))).toEqual([]);
    });
  }

  it('the doctor entry exports exactly what the README documents: runDoctor, formatDoctorReport, startDemoServer', async () => {
    expect(Object.keys(await import('../dist/esm/doctor.js')).sort()).toEqual([
      'formatDoctorReport',
      'runDoctor',
      'startDemoServer',
    ]);
  });
});
