import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
let project: string;
let packed: string[];

/** Runs a file of the consumer project with this Node; returns its stdout. */
const run = (file: string) => execFileSync(process.execPath, [file], { cwd: project, encoding: 'utf8' }).trim();

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
    const [info] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project],
      { cwd: root, encoding: 'utf8' })) as Array<{ filename: string; files: Array<{ path: string }> }>;
    packed = info!.files.map((file) => file.path);
    const target = join(project, 'node_modules', 'http2-async-context');
    mkdirSync(target, { recursive: true });
    execFileSync('tar', ['-xzf', join(project, info!.filename), '-C', target, '--strip-components=1']);
    writeFileSync(join(project, 'package.json'), '{ "name": "consumer", "private": true }\n');
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('ships dist and package.json, and no sources, tests or fixtures', () => {
    expect(packed).toContain('dist/esm/index.js');
    expect(packed).toContain('dist/cjs/register.js');
    expect(packed).toContain('dist/esm/cli.js');
    expect(packed.filter((path) => /^(src|test|compat)\//.test(path))).toEqual([]);
  });

  it('works with import { connect }', () => {
    writeFileSync(join(project, 'esm.mjs'), `
      import { AsyncLocalStorage } from 'node:async_hooks';
      import http2 from 'node:http2';
      import { connect, wrapSession, patchHttp2 } from 'http2-async-context';
      const als = new AsyncLocalStorage();${probeBody}`);
    expect(JSON.parse(run('esm.mjs'))).toEqual(['function', 'function', 'caller']);
  });

  it('works with require', () => {
    writeFileSync(join(project, 'cjs.cjs'), `
      const { AsyncLocalStorage } = require('node:async_hooks');
      const http2 = require('node:http2');
      const { connect, wrapSession, patchHttp2 } = require('http2-async-context');
      const als = new AsyncLocalStorage();${probeBody}`);
    expect(JSON.parse(run('cjs.cjs'))).toEqual(['function', 'function', 'caller']);
  });
});
