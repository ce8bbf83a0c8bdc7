import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DoctorReport,
  doctorLegend,
  type ScenarioServer,
  startScenarioServer,
} from '../dist/esm/doctor/internals.js';
import { runCli } from './helpers/cli.js';
import { clientDirs } from './helpers/clients.js';

const repo = fileURLToPath(new URL('..', import.meta.url));

const row = (report: DoctorReport, scenario: string, name: string) =>
  report.rows.find((candidate) => candidate.scenario === scenario && candidate.name === name);

describe('the doctor command', () => {
  let report: DoctorReport;
  let code: number;
  let stdout: string;
  beforeAll(async () => {
    const run = await runCli(['doctor', '--json']);
    ({ code, stdout } = run);
    report = JSON.parse(run.stdout) as DoctorReport;
  });

  it('--json prints the report alone: no legend, no next step', () => {
    expect(stdout).not.toContain('legend:');
    expect(stdout).not.toContain('Next:');
  });

  it('doctor --json exits 0 with every shimmed cell right on this Node, against its own loopback server', () => {
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.runtime).toEqual({ name: 'node', version: process.versions.node });
    expect(report.register).toBe(false);
    expect(report.server).toBe('in-process');
    expect(report.rows.filter((candidate) => candidate.shimmed.ok === false)).toEqual([]);
  });

  it("a 100's headers event, which Node emits and the package does not, is a change on purpose", () => {
    expect(row(report, '100-continue', 'headers')).toMatchObject({
      expect: 'never',
      native: { ok: false, firedOn: 1 },
      shimmed: { ok: true, firedOn: 0 },
      change: 'a 100 emits continue only, not headers',
    });
    expect(report.rows.filter((candidate) => candidate.change !== undefined)).toHaveLength(1);
  });

  it('the native column shows the losses the shim repairs, cell by cell', () => {
    // On every Node: a pushed stream's data runs in no store.
    expect(row(report, 'server push', 'pushed data')).toMatchObject({
      native: { ok: false, seen: ['undefined'] },
      shimmed: { ok: true, wrong: 0 },
    });
    expect(row(report, '200 concurrent requests, one session', 'end')).toMatchObject({
      native: { streams: 200, firedOn: 200 },
      shimmed: { ok: true, firedOn: 200 },
    });
  });

  it('checks what a refused stream and a late request learn from the GOAWAY', () => {
    const refused = row(report, 'GOAWAY refuses later streams', 'refused error shows REFUSED_STREAM and lastStreamID');
    expect(refused).toMatchObject({ kind: 'check', native: { ok: true }, shimmed: { ok: true } });
    expect(refused?.shimmed.note).toMatch(/rstCode 7, stream \d+, GOAWAY code 0 lastStreamID \d+/);
    expect(
      row(report, 'graceful server close while uploading', 'late request fails with a clear error')?.shimmed.note,
    ).toMatch(/^ERR_HTTP2_(INVALID_SESSION|GOAWAY_SESSION|STREAM_ERROR) /);
  });

  it('the summary counts every event cell that fired or had to, per column, and the changes apart', () => {
    const counted = report.rows.filter(
      (candidate) =>
        candidate.kind === 'event' &&
        candidate.change === undefined &&
        (candidate.native.ok !== null || candidate.shimmed.ok !== null),
    );
    expect(report.summary.events).toEqual({
      native: counted.filter((candidate) => candidate.native.ok).length,
      shimmed: counted.length,
      total: counted.length,
    });
    expect(report.summary.events.native).toBeLessThan(report.summary.events.total);
    expect(report.summary.changed).toBe(1);
  });
});

describe('the doctor table', () => {
  const legend = doctorLegend().join('\n');
  let server: ScenarioServer;
  beforeAll(async () => {
    server = await startScenarioServer();
  });
  afterAll(() => server.close());

  it('prints a row per event and the summary line, against a server given by --origin', async () => {
    const { code, stdout, stderr } = await runCli(['doctor', '--origin', server.origin]);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toContain(`against ${server.origin}`);
    expect(stdout).toMatch(
      /\n {2}headers \(must not fire\) +≠ +✔ +changed on purpose: a 100 emits continue only, not headers\n/,
    );
    expect(stdout).toMatch(
      /\nnative: (\d+)\/(\d+) events in the right scope · with http2-async-context: \2\/\2 · 1 changed on purpose · /,
    );
    // The legend, after the table; then the summary, and last what to do next.
    expect(stdout).toContain(`check: refused error shows REFUSED_STREAM and lastStreamID  ✔       ✔\n\n${legend}\n\n`);
    expect(
      stdout.endsWith(
        ' changed on purpose · checks 2/2 → 2/2\n' +
          'Next: start your app with `node --import http2-async-context/register app.js` (or use connect()); ' +
          'run `npx http2-async-context doctor --clients` to check your HTTP/2 client libraries.\n',
      ),
    ).toBe(true);
  });
});

describe('doctor --clients, as text', () => {
  it('prints the legend under the table, then the preload and the helper for a client that loses stores', async () => {
    // undici 7 (the root's undici 8 needs Node 22).
    const { code, stdout, stderr } = await runCli([
      'doctor',
      '--clients',
      '--only',
      'undici',
      '--from',
      clientDirs.previous,
    ]);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toMatch(/\n {15}after GOAWAY +✘ \d+\/64 +64\/64 +64\/64\n\nlegend: n\/m: n of m callback runs/);
    expect(stdout).toContain(
      `\n  native: as installed · register: started with the preload · explicit: with the helpers, nothing patched\n`,
    );
    expect(
      stdout.endsWith(
        '\nNext: undici loses request stores natively: start your app with ' +
          '`node --import http2-async-context/register app.js`; without the preload, for undici use ' +
          '`undiciInterceptor` or `composeInScope` from http2-async-context/undici.\n',
      ),
    ).toBe(true);
  });

  it('with no client installed, says how to point it at a project', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'doctor-empty-'));
    try {
      const { code, stdout } = await runCli(['doctor', '--clients', '--only', 'undici', '--from', empty]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^No HTTP\/2 client this package integrates with .* resolves from .*doctor-empty-/);
      expect(stdout).toMatch(
        /\nNext: run it in your project's directory, or point it there: `npx \S+ doctor --clients --from <dir>`\.\n$/,
      );
      expect(stdout).not.toContain('legend:');
    } finally {
      rmSync(empty, { recursive: true });
    }
  });
});

describe('the CLI', () => {
  const hint = "Run 'npx http2-async-context doctor --help' for the options.\n";
  const known = 'known: grpc-js or @grpc/grpc-js, http2-wrapper, got, undici';
  it.each([
    [[], 'missing command: the one command is doctor'],
    [['frobnicate'], 'unknown command: frobnicate (the one command is doctor)'],
    [['doctr'], 'unknown command: doctr (did you mean doctor?)'],
    [['doctor', '--yaml'], 'unknown option: --yaml'],
    [['doctor', '--jsno'], 'unknown option: --jsno (did you mean --json?)'],
    [['doctor', 'stray'], 'unexpected argument: stray'],
    [['doctor', '--origin'], '--origin needs a URL'],
    [['doctor', '--origin', 'localhost'], '--origin: not a URL: localhost'],
    [
      ['doctor', '--clients', '--mode', 'sideways'],
      '--mode must be one of native, register, explicit, late, not sideways',
    ],
    [['doctor', '--clients', '--only', 'axios'], `--only: unknown client axios (${known})`],
    [['doctor', '--clients', '--only', 'grpc-js,axios'], `--only: unknown client axios (${known})`],
    [['doctor', '--clients', '--only', ' , '], `--only needs client names (${known})`],
    [['doctor', '--clients', '--from'], '--from needs a directory'],
    [['doctor', '--clients', '--from', '/nonexistent'], '--from: no such directory: /nonexistent'],
    [['doctor', '--clients', '--from', 'package.json'], '--from: not a directory: package.json'],
    [['doctor', '--clients', '--origin', 'http://127.0.0.1:1'], '--origin does not go with --clients'],
    [['doctor', '--origin', 'http://127.0.0.1:1', '--only', 'undici'], '--origin does not go with --only'],
    [['doctor', '--mode=native', '--origin', 'http://127.0.0.1:1'], '--origin does not go with --mode'],
  ])('%j prints why in one line and a hint on stderr, and exits 2', async (args, why) => {
    const { code, stdout, stderr } = await runCli(args);
    expect([code, stdout, stderr]).toEqual([2, '', `http2-async-context: ${why}\n${hint}`]);
  });

  it.each([
    [['got, undici'], ['got', 'undici']],
    [['@grpc/grpc-js'], ['grpc-js']],
    [['--only=undici,UNDICI'], ['undici']],
  ])('--only %j takes npm names too, and spaces around the commas', async ([only], clients) => {
    const args = only!.startsWith('--') ? [only!] : ['--only', only!];
    const { code, stdout, stderr } = await runCli([
      'doctor',
      '--clients',
      '--mode',
      'native',
      '--json',
      '--from',
      repo,
      ...args,
    ]);
    expect([code, stderr]).toEqual([0, '']);
    const { entries } = JSON.parse(stdout) as { entries: Array<{ client: string; mode: string }> };
    expect(entries.map((entry) => entry.client)).toEqual(clients);
  });

  it('--only alone measures the clients, as the README lists it: --only grpc-js --mode native', async () => {
    const { code, stdout, stderr } = await runCli(['doctor', '--only', 'grpc-js', '--mode', 'native', '--json']);
    expect([code, stderr]).toEqual([0, '']);
    const { entries } = JSON.parse(stdout) as { entries: Array<{ client: string; mode: string; run?: object }> };
    expect(entries.map(({ client, mode, run }) => [client, mode, run !== undefined])).toEqual([
      ['grpc-js', 'native', true],
    ]);
  });

  it('--from alone measures the clients of that directory', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'doctor-empty-'));
    try {
      const { code, stdout, stderr } = await runCli(['doctor', '--from', empty]);
      expect([code, stderr]).toEqual([0, '']);
      expect(stdout).toMatch(/^No HTTP\/2 client this package integrates with .* resolves from .*doctor-empty-/);
    } finally {
      rmSync(empty, { recursive: true });
    }
  });

  it.each([[['--help']], [['doctor', '--help']]])('%j prints the usage on stdout and exits 0', async (args) => {
    const { code, stdout, stderr } = await runCli(args);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toMatch(/^Usage: http2-async-context doctor/);
    expect(stdout).toMatch(/\n {2}--version, -v +print the version/);
    // Every flag, each on one line of its own.
    const options = stdout.slice(stdout.indexOf('\nOptions:\n') + 10, stdout.indexOf('\n\nExit status:')).split('\n');
    expect(options.map((line) => line.match(/^ {2}(--[a-z]+)(, -[a-z])?(?: <[a-z]+>)? {2,}\S/)?.[1])).toEqual([
      '--json',
      '--origin',
      '--clients',
      '--from',
      '--only',
      '--mode',
      '--help',
      '--version',
    ]);
    expect(stdout).toContain(
      '\nExit status: 0 when everything with the package is right, 1 when something is not, 2 on',
    );
  });

  it.each([[['--version']], [['-v']]])(
    '%j prints the version from package.json on stdout and exits 0',
    async (args) => {
      const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
        version: string;
      };
      const { code, stdout, stderr } = await runCli(args);
      expect([code, stderr]).toEqual([0, '']);
      expect(stdout).toBe(`${version}\n`);
    },
  );
});
