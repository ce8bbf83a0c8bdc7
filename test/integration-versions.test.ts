import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { satisfies } from '../dist/esm/integrations/integration.js';

const projects: string[] = [];
afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

/**
 * A project with a package named `undici` at `version` installed: a class `Client` with its own
 * `dispatch`, and, when `looksLikeUndici`, the `Dispatcher` class undici exports beside it.
 */
function projectWithUndici(version: string, looksLikeUndici: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'h2ac-versions-'));
  projects.push(dir);
  const folder = join(dir, 'node_modules', 'undici');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"name":"app","private":true}');
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'undici', version, main: 'index.js' }));
  writeFileSync(
    join(folder, 'index.js'),
    [
      'class Dispatcher { dispatch() { return true; } }',
      'class Client extends Dispatcher { dispatch() { return true; } }',
      `module.exports = { Client${looksLikeUndici ? ', Dispatcher' : ''} };`,
    ].join('\n'),
  );
  return dir;
}

/** Runs the fake-client fixture under register with NODE_DEBUG on; its stdout JSON and stderr. */
function loadUnderRegister(
  project: string,
): Promise<{ result: { ownDispatch: boolean; keys: string[] }; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', './dist/esm/register.js', 'test/fixtures/fake-client.mjs', project, 'undici'],
      {
        env: { ...process.env, NODE_DEBUG: 'http2-async-context' },
      },
      (error, stdout, stderr) => (error ? reject(error) : resolve({ result: JSON.parse(stdout), stderr })),
    );
  });
}

describe('declared version ranges', () => {
  it('reads versions the way the ranges mean them', () => {
    expect(['1.8.0', '1.14.7', '1.15.0', '1.7.3'].map((v) => satisfies(v, '>=1.8.0 <1.15.0'))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(satisfies('7.0.0-rc.1', '>=6.0.0 <8.0.0')).toBe(true);
    expect(satisfies('not a version', '>=6.0.0 <8.0.0')).toBe(false);
  });

  it('register patches a copy inside its range and says so under NODE_DEBUG', async () => {
    const { result, stderr } = await loadUnderRegister(projectWithUndici('7.1.0', true));
    expect(result.ownDispatch).toBe(true);
    expect(result.keys).toEqual([]);
    expect(stderr).toMatch(/HTTP2-ASYNC-CONTEXT \d+: patched undici 7\.1\.0 at .*node_modules[\\/]undici/);
  });

  it('register leaves a copy outside its range alone and reports it', async () => {
    const { stderr } = await loadUnderRegister(projectWithUndici('5.28.4', true));
    expect(stderr).toMatch(/left alone undici 5\.28\.4 at .*: outside the supported range >=6\.0\.0 <8\.0\.0/);
    expect(stderr).not.toMatch(/patched undici/);
  });

  it('register leaves exports that do not look like the library alone and reports it', async () => {
    const { stderr } = await loadUnderRegister(projectWithUndici('7.2.0', false));
    expect(stderr).toMatch(/left alone undici 7\.2\.0 at .*: its exports do not look like undici/);
  });
});
