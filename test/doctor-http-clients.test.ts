import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ClientAdapter,
  type ClientRun,
  gotAdapter,
  http2WrapperAdapter,
  runClientScenarios,
  undiciAdapter,
} from '../dist/esm/doctor/internals.js';
import {
  type ClientSet,
  expectAllRight,
  expectConnectingRequestsStore,
  expectEveryCallbackObserved,
  http2WrapperOf,
  installedVersion,
  loadClient,
  nodeBinaries,
  phase,
  tls,
} from './helpers/clients.js';

const phases = ['cold', 'warm', 'after GOAWAY'] as const;

interface Case {
  name: string;
  version: string;
  set: ClientSet;
  adapter: () => Promise<ClientAdapter>;
  /** Most callbacks one request runs: the most a phase can have right when only the connecting request is. */
  perRequest: number;
  /** Whether a warm client keeps every request's store natively. */
  warmRight: boolean;
}

const cases: Case[] = [
  {
    name: 'http2-wrapper',
    version: '2.0.3',
    set: 'oldest',
    perRequest: 5,
    warmRight: true,
    adapter: async () => http2WrapperAdapter(await loadClient('oldest', 'http2-wrapper')),
  },
  {
    name: 'http2-wrapper',
    version: '2.2.4',
    set: 'newest',
    perRequest: 5,
    warmRight: true,
    adapter: async () => http2WrapperAdapter(await loadClient('newest', 'http2-wrapper')),
  },
  {
    name: 'got',
    version: '12.0.0',
    set: 'oldest',
    perRequest: 3,
    warmRight: true,
    adapter: async () => gotAdapter(await loadClient('oldest', 'got'), http2WrapperOf('oldest')),
  },
  // got 16 and undici 8 need Node 22: this process runs the previous majors; the compat suite
  // runs `doctor --clients` on the newest set on Node 22, 24 and 26.
  {
    name: 'got',
    version: '15.1.0',
    set: 'previous',
    perRequest: 3,
    warmRight: true,
    adapter: async () => gotAdapter(await loadClient('previous', 'got'), http2WrapperOf('previous')),
  },
  {
    name: 'undici',
    version: '6.0.0',
    set: 'oldest',
    perRequest: 4,
    warmRight: true,
    adapter: async () => undiciAdapter(await loadClient('oldest', 'undici')),
  },
  // Client's `pipelining` defaults to 1 on HTTP/2 too: each request is written when the one
  // before it finishes, from that one's callbacks, so only the first keeps its store.
  {
    name: 'undici',
    version: '7.30.3',
    set: 'previous',
    perRequest: 4,
    warmRight: false,
    adapter: async () => undiciAdapter(await loadClient('previous', 'undici')),
  },
];

describe.each(cases)('$name $version natively, over TLS', ({ name, version, set, adapter, perRequest, warmRight }) => {
  let run: ClientRun;
  beforeAll(async () => {
    run = await runClientScenarios(await adapter(), { tls });
  });

  it('observes every user-facing callback of every request in every phase', () => {
    expect(installedVersion(set, name)).toBe(version);
    expect(run).toMatchObject({ client: name, transport: 'tls', requests: 8 });
    expectEveryCallbackObserved(run, phases);
  });

  it('cold and after GOAWAY, queued requests run in the store of the request that connected', () => {
    for (const name of ['cold', 'after GOAWAY'] as const) {
      expect(phase(run, name).sessionsOpened).toBeGreaterThanOrEqual(1);
      expectConnectingRequestsStore(phase(run, name), perRequest);
    }
  });

  it(`warm, ${warmRight ? 'every request keeps its store' : 'only the first request keeps its store'}`, () => {
    const warm = phase(run, 'warm');
    expect(warm.sessionsOpened).toBe(0);
    if (warmRight) expectAllRight(warm);
    else expectConnectingRequestsStore(warm, perRequest);
  });
});

describe('undici kinds by version', () => {
  it('undici 7 also measures the controller handler; undici 6.0.0 has only the legacy one', async () => {
    const kinds = async (set: ClientSet) =>
      undiciAdapter(await loadClient(set, 'undici')).kinds.map((kind) => kind.name);
    expect(await kinds('previous')).toEqual(['legacy', 'controller']);
    expect(await kinds('oldest')).toEqual(['legacy']);
  });

  it('undici 8, which no longer calls a legacy handler, is measured with the controller handler alone', async () => {
    const { stdout } = await promisify(execFile)(nodeBinaries[24], [
      '--input-type=module',
      '-e',
      `import { undiciAdapter } from './dist/esm/doctor/internals.js';
       import { createRequire } from 'node:module';
       const undici = createRequire(process.cwd() + '/package.json')('undici');
       console.log(JSON.stringify([undici.Dispatcher1Wrapper !== undefined, undiciAdapter(undici).kinds.map((kind) => kind.name)]));`,
    ]);
    expect(JSON.parse(stdout)).toEqual([true, ['controller']]);
  });
});
