import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

let project: string;

/** Runs a file of the consumer project with this Node; returns its stdout. */
const run = (file: string, args: string[] = [], nodeArgs: string[] = []) =>
  execFileSync(process.execPath, [...nodeArgs, file, ...args], {
    cwd: project,
    encoding: 'utf8',
    stdio: 'pipe',
  }).trim();

// What a consumer does first: look the package up, connect, make a request, read the store.
const probeBody = `
  const server = http2.createServer((req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1', () => {
    const session = connect('http://127.0.0.1:' + server.address().port);
    als.run('caller', () => {
      const req = session.request({ ':path': '/' });
      req.on('end', () => { console.log(JSON.stringify([typeof wrapSession, typeof patchHttp2, als.getStore()])); session.close(); server.close(); });
      req.resume();
    });
  });`;

describe('the npm pack tarball, installed into an empty project', () => {
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'h2ac-consumer-'));
    writeFileSync(join(project, 'package.json'), '{ "name": "consumer", "private": true }\n');
    // The tarball has no dependencies, so npm needs no registry.
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', inject('tarball')], {
      cwd: project,
      stdio: 'pipe',
    });
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('works with import { connect }', () => {
    writeFileSync(
      join(project, 'esm.mjs'),
      `
      import { AsyncLocalStorage } from 'node:async_hooks';
      import http2 from 'node:http2';
      import { connect, wrapSession, patchHttp2 } from 'http2-async-context';
      const als = new AsyncLocalStorage();${probeBody}`,
    );
    expect(JSON.parse(run('esm.mjs'))).toEqual(['function', 'function', 'caller']);
  });

  it('works with require', () => {
    writeFileSync(
      join(project, 'cjs.cjs'),
      `
      const { AsyncLocalStorage } = require('node:async_hooks');
      const http2 = require('node:http2');
      const { connect, wrapSession, patchHttp2 } = require('http2-async-context');
      const als = new AsyncLocalStorage();${probeBody}`,
    );
    expect(JSON.parse(run('cjs.cjs'))).toEqual(['function', 'function', 'caller']);
  });

  it('the bin npm links answers --version with the installed package.json version', () => {
    const { version } = JSON.parse(
      readFileSync(join(project, 'node_modules/http2-async-context/package.json'), 'utf8'),
    ) as { version: string };
    // Through the symlink in node_modules/.bin, as npx and npm scripts run it.
    expect(run('node_modules/.bin/http2-async-context', ['--version'])).toBe(version);
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('under --enable-source-maps, a stack names source files that the package ships', () => {
    writeFileSync(
      join(project, 'throws.cjs'),
      `
      try { require('http2-async-context').wrapSession(42); } catch (error) { console.log(error.stack); }`,
    );
    const frames = [...run('throws.cjs', [], ['--enable-source-maps']).matchAll(/\((\/[^():]+\.ts):\d+:\d+\)/g)].map(
      (match) => match[1]!,
    );
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.filter((file) => !file.includes('/node_modules/http2-async-context/src/'))).toEqual([]);
    expect(frames.filter((file) => !existsSync(file))).toEqual([]);
  });
});
