import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundlerNote, testRunnerNote } from '../dist/esm/doctor/internals.js';

// The doctor measures the clients as installed; where the project has a bundler it says that a
// bundle is another matter, and what makes register reach the clients there.
describe('doctor --clients, for a project with a bundler', () => {
  const projects: string[] = [];
  afterEach(() => {
    for (const project of projects.splice(0)) rmSync(project, { recursive: true, force: true });
  });
  const projectWith = (manifest: object | string) => {
    const project = mkdtempSync(join(tmpdir(), 'h2ac-bundler-'));
    projects.push(project);
    writeFileSync(join(project, 'package.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
    return project;
  };

  it('with esbuild: names the plugin, and external for any other bundler', () => {
    const note = bundlerNote(projectWith({ devDependencies: { esbuild: '0.28.2', webpack: '5.0.0' } }));
    expect(note).toBe(
      'Bundles: this project depends on esbuild, webpack. These results are for the clients as installed; in a ' +
        'bundle that inlines them, register patches only node:http2. With esbuild, add the plugin from ' +
        'http2-async-context/esbuild; with another bundler, mark the client libraries external.',
    );
  });

  it('with webpack or Next.js only: mark the client libraries external', () => {
    expect(bundlerNote(projectWith({ dependencies: { next: '15.0.0' } }))).toMatch(
      /depends on next\. .* register patches only node:http2\. Mark the client libraries external\.$/,
    );
  });

  it('says nothing without a bundler, or without a readable package.json', () => {
    expect(bundlerNote(projectWith({ dependencies: { undici: '8.0.0' } }))).toBeUndefined();
    expect(bundlerNote(projectWith('{ not json'))).toBeUndefined();
  });
});

describe('doctor --clients, for a project with a test runner', () => {
  const projects: string[] = [];
  afterEach(() => {
    for (const project of projects.splice(0)) rmSync(project, { recursive: true, force: true });
  });
  const projectWith = (manifest: object) => {
    const project = mkdtempSync(join(tmpdir(), 'h2ac-runner-'));
    projects.push(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify(manifest));
    return project;
  };

  it('with Jest and vitest: says that the preload alone may not reach the clients, and the route for each', () => {
    const note = testRunnerNote(projectWith({ devDependencies: { jest: '30.5.2', vitest: '5.1.2' } }));
    expect(note).toBe(
      'Test runners: this project depends on jest, vitest. These results are for the clients as the runtime loads ' +
        'them; a test runner with a module registry of its own loads them where the preload alone cannot reach: with ' +
        'Jest, use withHttp2AsyncContext(config) from http2-async-context/jest; with vitest, add ' +
        "'http2-async-context/register' to setupFiles (its vmThreads and vmForks pools need it).",
    );
  });

  it('says nothing without a test runner of that kind', () => {
    expect(testRunnerNote(projectWith({ devDependencies: { mocha: '11.0.0', esbuild: '0.28.2' } }))).toBeUndefined();
  });
});
