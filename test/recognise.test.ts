import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recognise } from '../dist/esm/integrations/recognise.js';

// recognise(), the one answer every loader hook asks for, on files laid out in throwaway projects
// (each case its own folders: the answer is kept per folder for the life of the process).
const projects: string[] = [];
afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

/** A fresh project with `files` (path → content) written below it; its real path. */
function project(files: Record<string, string>): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'h2ac-recognise-')));
  projects.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
const manifest = (name: string, version = '7.1.0') => JSON.stringify({ name, version });
const named = (filename: string) => {
  const found = recognise(filename);
  return found && { name: found.integration.name, folder: found.folder, file: found.file, version: found.version };
};

describe('recognise(filename)', () => {
  it('names the library, its copy, the file below it and the version its package.json states', () => {
    const dir = project({
      'node_modules/undici/package.json': manifest('undici'),
      'node_modules/undici/lib/dispatcher/client.js': '',
    });
    expect(named(join(dir, 'node_modules/undici/lib/dispatcher/client.js'))).toEqual({
      name: 'undici',
      folder: join(dir, 'node_modules/undici'),
      file: 'lib/dispatcher/client.js',
      version: '7.1.0',
    });
  });

  it('goes by the name in package.json: an npm alias is the library, a folder named undici holding another package is not', () => {
    const dir = project({
      'node_modules/my-undici/package.json': manifest('undici'),
      'node_modules/my-undici/index.js': '',
      'node_modules/undici/package.json': manifest('undici-fork'),
      'node_modules/undici/index.js': '',
    });
    expect(named(join(dir, 'node_modules/my-undici/index.js'))?.file).toBe('index.js');
    expect(named(join(dir, 'node_modules/undici/index.js'))).toBeUndefined();
  });

  it('walks past a package.json that only sets the module type, as packages keep in subfolders', () => {
    const dir = project({
      'node_modules/@grpc/grpc-js/package.json': manifest('@grpc/grpc-js', '1.14.7'),
      'node_modules/@grpc/grpc-js/build/src/package.json': '{"type":"commonjs"}',
      'node_modules/@grpc/grpc-js/build/src/client.js': '',
    });
    expect(named(join(dir, 'node_modules/@grpc/grpc-js/build/src/client.js'))).toMatchObject({
      name: '@grpc/grpc-js',
      file: 'build/src/client.js',
      version: '1.14.7',
    });
  });

  it('a linked copy is known at its real path, by its package.json, whatever its folder is called', () => {
    const dir = project({
      'checkouts/dev/package.json': manifest('http2-wrapper', '2.2.1'),
      'checkouts/dev/source/agent.js': '',
    });
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(dir, 'checkouts/dev'), join(dir, 'node_modules/http2-wrapper'), 'dir');
    expect(named(join(dir, 'node_modules/http2-wrapper/source/agent.js'))).toEqual({
      name: 'http2-wrapper',
      folder: join(dir, 'checkouts/dev'),
      file: 'source/agent.js',
      version: '2.2.1',
    });
  });

  it('a copy in node_modules/<library> whose package.json is missing or not JSON comes back with no version', () => {
    const dir = project({
      'package.json': manifest('app'),
      'node_modules/undici/index.js': '',
      'a/node_modules/undici/package.json': '{ not json',
      'a/node_modules/undici/index.js': '',
    });
    expect(named(join(dir, 'node_modules/undici/index.js'))).toMatchObject({ name: 'undici', version: undefined });
    expect(named(join(dir, 'a/node_modules/undici/index.js'))).toMatchObject({ name: 'undici', version: undefined });
  });

  it("any other package's file, or an app's, is not a library's", () => {
    const dir = project({
      'package.json': manifest('app'),
      'app.js': '',
      'node_modules/undici-extra/package.json': manifest('undici-extra'),
      'node_modules/undici-extra/index.js': '',
    });
    expect(named(join(dir, 'app.js'))).toBeUndefined();
    expect(named(join(dir, 'node_modules/undici-extra/index.js'))).toBeUndefined();
  });
});
