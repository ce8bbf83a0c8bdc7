import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import {
  clientsNextStep,
  compareToNative,
  type DoctorReport,
  detectRuntime,
  doctorLegend,
  doctorNextStep,
  formatDoctorReport,
  issuesUrl,
  runScenarios,
  type Scenario,
  type ScenarioRun,
  type StackReport,
  summarize,
} from '../dist/esm/doctor/internals.js';
import { connect } from '../dist/esm/index.js';
import { transports, useServer } from './helpers/h2.js';

const nativeConnect = (origin: string, options?: http2.ClientSessionOptions) => http2.connect(origin, options);
const shimmedConnect = (origin: string, options?: http2.ClientSessionOptions) => connect(origin, options);

/** A scenario that watches `events` on one /plain request, with a twist before it closes. */
function plainScenario(name: string, events: string[], twist?: (stream: http2.ClientHttp2Stream) => void): Scenario {
  return {
    name,
    async run(context) {
      const session = await context.connected();
      const { stream, closed } = context.request(session, { ':path': '/plain' }, { events });
      twist?.(stream);
      await closed;
    },
  };
}

describe('running scenarios', () => {
  const server = useServer(transports[0]);

  it('a scenario that throws or hangs is reported as such, and its session is torn down', async () => {
    const scenarios: Scenario[] = [
      {
        name: 'throws',
        run: async () => {
          throw Object.assign(new Error('boom'), { code: 'ERR_BOOM' });
        },
      },
      { name: 'throws a string', run: () => Promise.reject('just text') },
      {
        name: 'hangs',
        async run(context) {
          const session = await context.connected();
          await context.request(session, { ':path': '/hang' }, { events: ['response', 'close'] }).closed;
        },
      },
    ];
    const [thrown, text, hung] = await runScenarios(nativeConnect, server.origin, { scenarios, timeoutMs: 300 });
    expect(thrown?.error).toBe('threw ERR_BOOM: boom');
    expect(text?.error).toBe('threw just text');
    expect(hung?.error).toBe('did not finish within 300 ms');
    // `close` came from the doctor's own teardown, after recording stopped: it stays unfired.
    expect(hung?.cells.map(({ name, ok }) => [name, ok])).toEqual([
      ['response', true],
      ['close', false],
    ]);
  });

  it('an event that must not fire, fires; an optional one does not; and the order is noted', async () => {
    const scenario = plainScenario('twisted', ['end', 'response', '!data', 'wantTrailers?']);
    const [run] = await runScenarios(nativeConnect, server.origin, { scenarios: [scenario] });
    expect(run?.cells.map(({ name, ok }) => [name, ok])).toEqual([
      ['end', true],
      ['response', true],
      ['data', false],
      ['wantTrailers', null],
    ]);
    expect(run?.inversions).toEqual([['end', 'response']]);
  });

  it('a shimmed event that fires on other streams than natively fails its cell, even in the right store', async () => {
    const scenario = (extra: boolean) =>
      plainScenario('extra', ['response', 'custom?'], (stream) => {
        if (extra) stream.on('response', () => stream.emit('custom'));
      });
    const [native] = await runScenarios(nativeConnect, server.origin, { scenarios: [scenario(false)] });
    const [shimmed] = await runScenarios(shimmedConnect, server.origin, { scenarios: [scenario(true)] });
    const rows = compareToNative([native!], [shimmed!]);
    expect(rows.find((row) => row.name === 'custom')).toMatchObject({
      native: { ok: null, firedOn: 0 },
      shimmed: { ok: false, firedOn: 1, note: 'fired on 1/1 streams, natively on 0' },
    });
  });
});

describe('the runtime', () => {
  it('is Bun when process.versions.bun is set, else Deno when globalThis.Deno is, else Node', () => {
    const scope = globalThis as { Deno?: unknown };
    expect(detectRuntime()).toEqual({ name: 'node', version: process.versions.node });
    scope.Deno = { version: { deno: '2.0.0' } };
    Object.defineProperty(process.versions, 'bun', { value: '1.0.0', configurable: true });
    try {
      // Both set: Bun wins, as Bun is asked first; both also define process.versions.node.
      expect(detectRuntime()).toEqual({ name: 'bun', version: '1.0.0' });
      delete (process.versions as { bun?: string }).bun;
      expect(detectRuntime()).toEqual({ name: 'deno', version: '2.0.0' });
    } finally {
      delete scope.Deno;
      delete (process.versions as { bun?: string }).bun;
    }
  });
});

describe('comparing runs', () => {
  const cell = (name: string, ok: boolean | null, firedOn: number) => ({
    scenario: 's',
    name,
    kind: 'event' as const,
    expect: 'optional' as const,
    streams: 1,
    firedOn,
    wrong: 0,
    seen: [],
    ok,
  });

  it('a cell only one mode produced is shown as not fired in the other', () => {
    const native: ScenarioRun[] = [{ scenario: 's', cells: [cell('a', true, 1)], inversions: [] }];
    const shimmed: ScenarioRun[] = [{ scenario: 's', cells: [cell('b', true, 1)], inversions: [] }];
    expect(compareToNative(native, shimmed).map(({ name, native: n, shimmed: s }) => [name, n.ok, s.ok])).toEqual([
      ['a', true, false],
      ['b', null, false],
    ]);
    expect(compareToNative(native, []).map(({ shimmed: s }) => [s.ok, s.note])).toEqual([
      [false, 'fired on 0/1 streams, natively on 1'],
    ]);
  });
});

describe('events the package changes on purpose', () => {
  const headers = (firedOn: number, change?: string) => ({
    scenario: 's',
    name: 'headers',
    kind: 'event' as const,
    expect: 'never' as const,
    streams: 1,
    firedOn,
    wrong: 0,
    seen: [],
    ok: firedOn === 0,
    ...(change !== undefined && { change }),
  });
  const run = (cell: ReturnType<typeof headers>): ScenarioRun[] => [{ scenario: 's', cells: [cell], inversions: [] }];

  it('are a change where native fires them, counted apart from the events; else a plain row', () => {
    const changed = compareToNative(
      run(headers(1, 'a 100 emits continue only')),
      run(headers(0, 'a 100 emits continue only')),
    );
    expect(changed[0]?.change).toBe('a 100 emits continue only');
    expect(summarize(changed)).toEqual({
      events: { native: 0, shimmed: 0, total: 0 },
      checks: { native: 0, shimmed: 0, total: 0 },
      changed: 1,
    });
    const same = compareToNative(
      run(headers(0, 'a 100 emits continue only')),
      run(headers(0, 'a 100 emits continue only')),
    );
    expect(same[0]).not.toHaveProperty('change');
    expect(summarize(same)).toMatchObject({ events: { native: 1, shimmed: 1, total: 1 }, changed: 0 });
  });
});

describe('the doctor table', () => {
  const modeCell = (ok: boolean | null, extra: object = {}) => ({
    ok,
    streams: 1,
    firedOn: ok === null ? 0 : 1,
    wrong: 0,
    seen: [],
    ...extra,
  });
  const report = {
    runtime: { name: 'deno', version: '9.9.9' },
    register: true,
    server: 'http://127.0.0.1:1',
    ok: false,
    rows: [
      {
        scenario: 'one',
        name: 'close',
        kind: 'event',
        expect: 'fires',
        native: modeCell(false, { wrong: 1, seen: ['undefined'] }),
        shimmed: modeCell(true),
      },
      {
        scenario: 'one',
        name: 'end',
        kind: 'event',
        expect: 'fires',
        native: modeCell(false, { firedOn: 0 }),
        shimmed: modeCell(false, { firedOn: 1, streams: 2 }),
      },
      {
        scenario: 'two',
        name: 'refused',
        kind: 'check',
        expect: 'fires',
        native: modeCell(true),
        shimmed: modeCell(false, { note: 'said nothing' }),
      },
    ],
    notes: [
      {
        scenario: 'one',
        order: ['data before response'],
        native: 'did not finish within 5000 ms',
        shimmed: 'threw oops',
      },
    ],
    summary: { events: { native: 0, shimmed: 1, total: 2 }, checks: { native: 1, shimmed: 0, total: 1 } },
    runs: { native: [], shimmed: [] },
  } as unknown as DoctorReport;

  it('under register names its first column register, and says why each cell failed', () => {
    const text = formatDoctorReport(report);
    expect(text).toContain('deno 9.9.9 · against http://127.0.0.1:1\nregister is preloaded');
    expect(text).toMatch(/ {2}close +✘ +✔ +register saw undefined\n/);
    expect(text).toMatch(/ {2}end +✘ +✘ +register did not fire; shimmed fired on 1\/2\n/);
    expect(text).toMatch(/ {2}check: refused +✔ +✘ +shimmed said nothing\n/);
    expect(text).toContain(
      '  deno 9.9.9 natively emits data before response (one)\n  one, native: did not finish within 5000 ms\n  one, shimmed: threw oops',
    );
    expect(text).toContain('checks register → shimmed\n');
    expect(
      text.endsWith(
        'register: 0/2 events in the right scope · with http2-async-context: 1/2 · checks 1/1 → 0/1\n' +
          `Next: something is wrong with http2-async-context here: please report it at ${issuesUrl} with the output ` +
          'of `deno run -A npm:http2-async-context doctor --json`.',
      ),
    ).toBe(true);
  });

  it('prints the legend between the table and the notes: marks, "saw …" and the numbers', () => {
    const text = formatDoctorReport(report);
    const legend = doctorLegend('register');
    expect(legend.length).toBeLessThanOrEqual(6);
    expect(text).toContain(`shimmed said nothing\n\n${legend.join('\n')}\n\nnotes\n`);
    const meanings = ['✔ ', '✘ ', '– ', '≠ ', 'saw session: ', 'saw undefined: ', 'saw <id>: ', 'fired on 1/2: '];
    for (const meaning of meanings) expect(legend.join('\n')).toContain(meaning);
  });

  it('tells what to do next: the preload for this runtime, or the clients once it is preloaded', () => {
    const ok = { ...report, register: false, ok: true } as DoctorReport;
    expect(doctorNextStep({ ...ok, runtime: { name: 'bun', version: '1.4.5' } })).toBe(
      'Next: start your app with `bun --preload http2-async-context/register app.js` (or use connect()); ' +
        'run `bun x --bun http2-async-context doctor --clients` to check your HTTP/2 client libraries.',
    );
    expect(doctorNextStep(ok)).toContain(
      "Next: make `import 'http2-async-context/register';` your entry module's first import ",
    );
    expect(doctorNextStep({ ...ok, register: true })).toBe(
      'Next: the preload is active and keeps every event right here; ' +
        'run `deno run -A npm:http2-async-context doctor --clients` to check your HTTP/2 client libraries.',
    );
    const right = {
      events: { native: 2, shimmed: 2, total: 2 },
      checks: { native: 1, shimmed: 1, total: 1 },
      changed: 1,
    };
    expect(doctorNextStep({ ...ok, summary: right })).toMatch(
      /^Next: node:http2 keeps every listener's store natively/,
    );
  });
});

describe('the next step after doctor --clients', () => {
  const phase = (right: number, total = 8) => ({ phase: 'cold', right, total, missing: 0 });
  const entry = (mode: string, right: number, extra: object = {}) => ({
    mode,
    run: { phases: [phase(right)] },
    ...extra,
  });
  const client = (name: string, pkg: string, modes: object) => ({
    client: name,
    package: pkg,
    version: '1.0.0',
    modes,
  });
  const stack = (clients: object[], ok = true) =>
    ({
      runtime: { name: 'node', version: '20.0.0' },
      from: '/app',
      modes: [],
      clients,
      notes: [],
      ok,
    }) as unknown as StackReport;

  it('names the preload and, per client that loses stores natively, its helper', () => {
    const grpc = client('grpc-js', '@grpc/grpc-js', { native: entry('native', 3), explicit: entry('explicit', 8) });
    const got = client('got', 'got', { native: entry('native', 8), explicit: entry('explicit', 8) });
    const undici = client('undici', 'undici', {
      native: entry('native', 4),
      explicit: { mode: 'explicit', skipKind: 'helper', skipped: 'no compose()' },
    });
    expect(clientsNextStep(stack([grpc, got, undici]))).toBe(
      'Next: @grpc/grpc-js, undici lose request stores natively: start your app with ' +
        '`node --import http2-async-context/register app.js`; without the preload, for @grpc/grpc-js use ' +
        '`withGrpcScope` or `grpcInterceptor` from http2-async-context/grpc-js; ' +
        'undici 1.0.0 has no extension point for a helper.',
    );
    expect(clientsNextStep(stack([got]))).toBe(
      "Next: nothing to do for got: natively, every callback kept its request's store here.",
    );
  });

  it("on Bun, says the undici helper goes on npm's undici, imported by its file", () => {
    const undici = client('undici', 'undici', { native: entry('native', 4), explicit: entry('explicit', 8) });
    const report = { ...stack([undici]), runtime: { name: 'bun', version: '1.4.5' } } as StackReport;
    expect(clientsNextStep(report)).toBe(
      'Next: undici loses request stores natively: start your app with ' +
        '`bun --preload http2-async-context/register app.js`; without the preload, for undici use ' +
        "`undiciInterceptor` or `composeInScope` from http2-async-context/undici on npm's undici, imported as " +
        "'undici/index.js'.",
    );
  });

  it('points at a project when none is installed, and asks for a report when the package fails', () => {
    expect(clientsNextStep(stack([]))).toBe(
      "Next: run it in your project's directory, or point it there: " +
        '`npx http2-async-context doctor --clients --from <dir>`.',
    );
    expect(clientsNextStep(stack([client('got', 'got', {})], false))).toBe(
      `Next: something is wrong with http2-async-context here: please report it at ${issuesUrl} with the output ` +
        'of `npx http2-async-context doctor --clients --json`.',
    );
  });
});
