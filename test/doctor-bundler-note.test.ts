import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundlerNote } from '../dist/esm/doctor/internals.js';

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
