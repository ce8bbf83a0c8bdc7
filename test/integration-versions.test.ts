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
 * `dispatch`, derived, as undici's are, from a `Dispatcher` that extends `EventEmitter` and
 * which, when `looksLikeUndici`, is exported beside it.
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
      "class Dispatcher extends require('node:events') { dispatch() { return true; } }",
      'class Client extends Dispatcher { dispatch() { return true; } }',
      `module.exports = { Client${looksLikeUndici ? ', Dispatcher' : ''} };`,
    ].join('\n'),
  );
  return dir;
}

interface Loaded {
  ownDispatch: boolean;
  keys: string[];
  unsupported: Array<{ name: string; version: string; path: string; versions: string }>;
}

/** Runs the fake-client fixture under register with NODE_DEBUG on; its stdout JSON and stderr. */
function loadUnderRegister(project: string, nodeArgs: string[] = []): Promise<{ result: Loaded; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...nodeArgs, '--import', './dist/esm/register.js', 'test/fixtures/fake-client.mjs', project, 'undici'],
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
    // node:http2 itself, said first.
    expect(stderr).toMatch(/^HTTP2-ASYNC-CONTEXT \d+: patched node:http2: http2\.connect/);
  });

  it('register leaves a copy outside its range alone and says so once, in a warning with its own code', async () => {
    const project = projectWithUndici('9.0.0', true);
    const { result, stderr } = await loadUnderRegister(project);
    expect(stderr).toMatch(/left alone undici 9\.0\.0 at .*: outside the supported range >=6\.0\.0 <9\.0\.0/);
    expect(stderr).not.toMatch(/patched undici/);
    // The fixture requires the copy twice: one warning.
    const warnings = stderr.split('\n').filter((line) => line.includes('[HTTP2_ASYNC_CONTEXT_UNSUPPORTED]'));
    expect(warnings).toEqual([
      expect.stringContaining(
        `Http2AsyncContextWarning: undici 9.0.0 at ${join(project, 'node_modules', 'undici')} is outside the ` +
          'versions http2-async-context supports (>=6.0.0 <9.0.0), so it is left alone: ',
      ),
    ]);
    expect(result.unsupported).toEqual([
      { name: 'undici', version: '9.0.0', path: join(project, 'node_modules', 'undici'), versions: '>=6.0.0 <9.0.0' },
    ]);
  });

  it('--disable-warning with the code silences that warning, and nothing else changes', async () => {
    const project = projectWithUndici('5.28.4', true);
    const { result, stderr } = await loadUnderRegister(project, ['--disable-warning=HTTP2_ASYNC_CONTEXT_UNSUPPORTED']);
    expect(stderr).not.toContain('HTTP2_ASYNC_CONTEXT_UNSUPPORTED');
    expect(stderr).toMatch(/left alone undici 5\.28\.4 at /);
    expect(result.unsupported.map(({ version }) => version)).toEqual(['5.28.4']);
  });

  it('register leaves exports that do not look like the library alone and reports it', async () => {
    const { stderr } = await loadUnderRegister(projectWithUndici('7.2.0', false));
    expect(stderr).toMatch(/left alone undici 7\.2\.0 at .*: its exports do not look like undici/);
  });
});
