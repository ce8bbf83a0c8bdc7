import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runClientStack, type StackReport } from '../dist/esm/doctor/internals.js';
import { runCli } from './helpers/cli.js';
import { clientDirs, expectAllRight } from './helpers/clients.js';

// The doctor's own client modes and its CLI. Whether register and the explicit helpers make the
// clients right is tested without the doctor, in test/integrations.test.ts.
describe('runClientStack modes that need no child process', () => {
  it('late: patchClients() after the clients loaded makes them right, and is undone afterwards', async () => {
    const Module = (await import('node:module')).default as unknown as { _extensions: Record<string, unknown> };
    const compile = Module._extensions['.js'];
    // undici 8 needs Node 22: here, the previous major's newest.
    const entries = await runClientStack({
      from: clientDirs.previous,
      mode: 'late',
      only: ['undici', 'http2-wrapper'],
    });
    expect(entries.map((entry) => `${entry.client} ${entry.mode}`)).toEqual(['http2-wrapper late', 'undici late']);
    for (const entry of entries) for (const phase of entry.run!.phases) expectAllRight(phase);
    expect(Module._extensions['.js']).toBe(compile);
  });

  it('explicit on undici 6.0.0, which has no compose(), says so instead of measuring it unhelped', async () => {
    const [entry] = await runClientStack({ from: clientDirs.oldest, mode: 'explicit', only: ['undici'] });
    expect(entry).toMatchObject({
      client: 'undici',
      version: '6.0.0',
      skipKind: 'helper',
      skipped:
        'undici 6.0.0 has no extension point for a helper (undici: compose() arrived in 6.9); ' + 'register covers it',
    });
    expect(entry!.run).toBeUndefined();
  });

  it('register without the preload says so instead of measuring the native client', async () => {
    const [entry] = await runClientStack({ from: clientDirs.previous, mode: 'register', only: ['undici'] });
    expect(entry).toMatchObject({
      client: 'undici',
      skipKind: 'failure',
      skipped:
        'register is not active in this process: start the doctor with the preload, `NODE_OPTIONS="--import ' +
        'http2-async-context/register" npx http2-async-context doctor --clients --mode register`',
    });
    expect(entry!.run).toBeUndefined();
  });
});

describe('doctor --clients', () => {
  it('runs native, register (in a child with the preload) and explicit, and exits 0 when the fixed ones are right', async () => {
    const { code, stdout, stderr } = await runCli([
      'doctor',
      '--clients',
      '--json',
      '--only',
      'undici',
      '--from',
      clientDirs.previous,
    ]);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as StackReport;
    expect(report).toMatchObject({ ok: true, modes: ['native', 'register', 'explicit'], notes: [] });
    expect(report.clients.map((client) => `${client.package} ${client.version}`)).toEqual(['undici 7.30.3']);
    const modes = report.clients[0]!.modes;
    for (const mode of ['register', 'explicit'] as const) {
      for (const phase of modes[mode]!.run!.phases) expectAllRight(phase);
    }
    // Natively the queued requests lose their store (test/doctor-http-clients.test.ts has the details).
    expect(modes.native!.run!.phases.every((phase) => phase.right < phase.total)).toBe(true);
  });

  it('prints one row per client and phase, a column per mode', async () => {
    const { code, stdout } = await runCli(['doctor', '--clients', '--only', 'grpc-js', '--from', clientDirs.oldest]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^HTTP\/2 clients installed in .*test\/clients\/oldest, on node \S+\. Each cell: the callback runs in their own request's store \/ all callback runs\.\n/,
    );
    expect(stdout).toMatch(
      /\nclient +phase +native +register +explicit\n@grpc\/grpc-js 1\.8\.22 +cold +✘ \d+\/136 +136\/136 +136\/136\n/,
    );
    expect(stdout).toMatch(/\n +server restart +✘ \d+\/136 +136\/136 +136\/136\n/);
    expect(stdout).toContain(
      "\nEvery client keeps its callbacks in their requests' stores with the fix.\n" +
        'Next: @grpc/grpc-js loses request stores natively: ',
    );
    expect(stdout).toMatch(/`withGrpcScope` or `grpcInterceptor` from http2-async-context\/grpc-js\.\n$/);
  });

  it('a version this Node is too old for is named with what it needs, not reported as a bug', async () => {
    // The repository's root has undici 8.14.1, which needs Node 22.19; this suite runs on Node 20.
    const node = Number.parseInt(process.versions.node, 10);
    const { code, stdout } = await runCli(['doctor', '--clients', '--json', '--only', 'undici']);
    expect(code).toBe(0);
    const [undici] = (JSON.parse(stdout) as StackReport).clients;
    expect(undici?.version).toBe('8.14.1');
    if (node >= 22) return expect(undici!.modes.native!.run).toBeDefined();
    for (const mode of ['native', 'register', 'explicit'] as const) {
      expect(undici!.modes[mode]).toMatchObject({
        skipKind: 'runtime',
        skipped: `8.14.1 needs Node >=22.19.0 (its engines field); this is Node ${process.versions.node}`,
      });
    }
  });

  it('a version outside the supported range is shown as not supported yet and left alone, not as a bug', async () => {
    // A real undici (7.30.3) that says it is 9.0.0: natively it runs; register and the helpers leave it alone.
    const project = mkdtempSync(join(tmpdir(), 'h2ac-unsupported-'));
    try {
      cpSync(join(clientDirs.previous, 'node_modules', 'undici'), join(project, 'node_modules', 'undici'), {
        recursive: true,
      });
      const manifest = join(project, 'node_modules', 'undici', 'package.json');
      writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"version": "7.30.3"', '"version": "9.0.0"'));
      const { code, stdout } = await runCli(['doctor', '--clients', '--only', 'undici', '--from', project]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/\nundici 9\.0\.0 +cold +✘ \d+\/\d+ +– +–\n/);
      expect(stdout).toContain(
        '\nundici: not supported yet (the package supports >=6.0.0 <9.0.0), so it is left alone\n' +
          "Every supported client keeps its callbacks in their requests' stores with the fix; the notes name the others.\n" +
          'Next: undici 9.0.0 is not supported yet, and left alone: install a version the package supports ' +
          '(`supportedClients`), or ask for this one at https://github.com/http2-async-context/http2-async-context/issues.\n',
      );
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('says so when the project has none of the clients', async () => {
    const { code, stdout } = await runCli(['doctor', '--clients', '--from', tmpdir()]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^No HTTP\/2 client this package integrates with \(@grpc\/grpc-js, http2-wrapper, got, undici\) resolves from /,
    );
    expect(stdout).toMatch(
      /\nNext: run it in your project's directory, or point it there: .* --clients --from <dir>`\.\n$/,
    );
  });
});
