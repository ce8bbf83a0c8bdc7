import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeBinaries } from './helpers/clients.js';
import {
  type CodeBlock,
  makeProject,
  readmeBlocks,
  removeProject,
  snippetEnvironment,
  startSnippetServers,
} from './helpers/readme-project.js';

// Every code block of the README, run as written in a fresh project that has the packed tarball
// installed, against loopback servers on the addresses the snippets name. The Development block
// is the repository's own commands (npm test among them): it is checked against package.json,
// and CI runs it.
const root = fileURLToPath(new URL('..', import.meta.url));
const blocks = readmeBlocks();
const development = blocks.find((block) => block.text.includes('npm run test:unit'));
const shellLines = blocks
  .filter((block) => block.lang === 'sh' && block !== development)
  .flatMap((block) => block.text.split('\n'))
  .map((line) => line.replace(/\s+#.*$/, '').trim())
  .filter((line) => line !== '');
const files = blocks.filter((block): block is CodeBlock & { file: string } => block.file !== undefined);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(project: string, command: string, args: string[], timeout = 60_000): Promise<Run> {
  const env = {
    ...process.env,
    ...snippetEnvironment,
    PATH: `${join(project, 'node_modules/.bin')}:${join(root, 'node_modules/.bin')}:${process.env.PATH}`,
  };
  return new Promise((resolve) => {
    execFile(command, args, { cwd: project, env, timeout, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

const lines = (text: string) => text.trim().split('\n').sort();

/** What app.mjs prints with the fix: each request's events in its own store. */
function expectAppRight(result: Run): void {
  expect(result.code, result.stderr).toBe(0);
  expect(lines(result.stdout)).toEqual(['a end in a', 'a trailers in a', 'b end in b', 'b trailers in b']);
}

describe('the README, run as written', () => {
  let project: string;
  let stopServers: () => Promise<void>;
  beforeAll(async () => {
    project = makeProject(inject('tarball'));
    for (const { file, text } of files) writeFileSync(join(project, file), text);
    stopServers = await startSnippetServers();
  }, 60_000);
  afterAll(async () => {
    await stopServers?.();
    if (project) removeProject(project);
  });

  it('has only blocks the suite runs: shell lines, and JavaScript and TypeScript files it names', () => {
    expect(blocks.map((block) => block.lang).filter((lang) => !['sh', 'js', 'ts'].includes(lang))).toEqual([]);
    expect(blocks.filter((block) => block.lang !== 'sh' && block.file === undefined)).toEqual([]);
    expect(files.map((block) => block.file)).toEqual(['app.mjs', 'main.mjs', 'connect.ts', 'clients.mjs']);
  });

  it('npm install http2-async-context: the packed tarball installs in a fresh project', () => {
    expect(shellLines[0]).toBe('npm install http2-async-context');
    const installed = JSON.parse(readFileSync(join(project, 'node_modules/http2-async-context/package.json'), 'utf8'));
    expect(installed.name).toBe('http2-async-context');
  });

  for (const line of shellLines.filter((candidate) => candidate.endsWith('app.mjs'))) {
    it(`${line}: every event of each request in its own store`, async () => {
      const [command, ...args] = line.split(' ');
      expectAppRight(await run(project, command!, args));
    });
  }

  it('app.mjs without a preload runs too (what the doctor compares against)', async () => {
    const result = await run(project, process.execPath, ['app.mjs']);
    expect(result.code, result.stderr).toBe(0);
    expect(lines(result.stdout)).toHaveLength(4);
  });

  it('deno run -A main.mjs: register as the first import, every event in its store on Deno', async () => {
    expect(shellLines).toContain('deno run -A main.mjs');
    expect(readFileSync(join(project, 'main.mjs'), 'utf8')).toMatch(
      /^\/\/ main\.mjs\nimport 'http2-async-context\/register';/,
    );
    expectAppRight(await run(project, 'deno', ['run', '-A', 'main.mjs']));
  });

  it('connect.ts type-checks under --strict and prints its store', async () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const strict = ['--strict', '--noEmit', '--module', 'nodenext', '--target', 'es2022', '--types', 'node'];
    const checked = await run(project, process.execPath, [tsc, ...strict, 'connect.ts']);
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.code).toBe(0);
    // Node 24 runs TypeScript as it is (type stripping); the file is plain otherwise.
    const result = await run(project, join(root, 'node_modules/node24/bin/node'), ['connect.ts']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('abc\n');
    // tsc alone takes about 10 s of CPU on this suite's two-core machines.
  }, 60_000);

  it('clients.mjs: the explicit helpers keep every client callback in its store', async () => {
    // got 16 and undici 8, what npm installs today, need Node 22.
    const result = await run(project, nodeBinaries[24], ['clients.mjs']);
    expect(result.code, result.stderr).toBe(0);
    expect(lines(result.stdout)).toEqual(['got abc', 'grpc-js abc', 'undici abc']);
  });

  for (const line of shellLines.filter((candidate) => candidate.includes(' doctor'))) {
    it(`${line}: exits 0 and ends with what to do next`, async () => {
      const [command, ...args] = line.split(' ');
      const result = await run(project, command!, args, 120_000);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stdout.trim().split('\n').pop()).toMatch(/^Next: /);
    }, 130_000);
  }

  it('runs every shell line', () => {
    const covered = (line: string) =>
      line === 'npm install http2-async-context' ||
      line === 'deno run -A main.mjs' ||
      line.endsWith('app.mjs') ||
      line.includes(' doctor');
    expect(shellLines.filter((line) => !covered(line))).toEqual([]);
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

  it('the doctor entry exports exactly what the README documents: runDoctor and formatDoctorReport', async () => {
    expect(Object.keys(await import('../dist/esm/doctor.js')).sort()).toEqual(['formatDoctorReport', 'runDoctor']);
  });
});
