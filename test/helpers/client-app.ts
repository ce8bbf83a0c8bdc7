import { expect } from 'vitest';
import type { ClientSet } from './clients.js';

/** The app the integration tests run in child processes, from the repository root. */
export const app = 'test/fixtures/client-app.mjs';

export const phases = ['cold', 'warm', 'after GOAWAY', 'server restart'] as const;
export type Phase = (typeof phases)[number];

/** A server restart is run for grpc-js alone: its calls with `waitForReady` wait while the server is down. */
const phasesOf = (client: string): readonly Phase[] =>
  client === 'grpc-js' ? phases : phases.filter((phase) => phase !== 'server restart');

/** One client's phase, as test/fixtures/client-app.mjs counts it: callbacks are request × callback. */
export interface PhaseCount {
  /** Callbacks that ran at least once, of `total`; `right`: those that ran, every time in their request's store. */
  ran: number;
  right: number;
  total: number;
  /** Every store a callback saw that was not its request's, once each. */
  wrongStores: string[];
  /** Every callback that saw such a store at least once, as `kind callback`. */
  wrongCallbacks: string[];
  /** Sessions the client opened on the server during the phase. */
  sessions: number;
  missing?: string[];
  errors?: string[];
  hung?: true;
}

/** Every phase of phasesOf(client); a `skipped` client has none. */
export type ClientResult = Partial<Record<Phase, PhaseCount>> | { skipped: string };

export interface AppRun {
  runtime: string;
  how: 'import' | 'require';
  set: ClientSet;
  /** The version of each copy the app loaded. */
  versions: Record<string, string>;
  /** What patchClients() returned, with `--late` or `--report`. */
  patchClients?: false | Array<{ name: string; version: string; path: string }>;
  clients: Record<string, ClientResult>;
}

export const clientNames = ['grpc-js', 'http2-wrapper', 'got', 'undici'] as const;

const newestShared = { '@grpc/grpc-js': '1.14.7', 'http2-wrapper': '2.2.4' };
export const versions: Record<ClientSet, Record<string, string>> = {
  newest: { ...newestShared, got: '16.2.0', undici: '8.14.1' },
  // got 15 still goes through http2-wrapper: the hoisted one.
  previous: { ...newestShared, got: '15.1.0', "got's http2-wrapper": '2.2.4', undici: '7.30.3' },
  first: { ...newestShared, got: '16.0.0', undici: '8.0.0' },
  // got 12.0.0 brings an http2-wrapper of its own, nested below it.
  oldest: {
    '@grpc/grpc-js': '1.8.22',
    'http2-wrapper': '2.0.3',
    got: '12.0.0',
    "got's http2-wrapper": '2.2.4',
    undici: '6.0.0',
  },
};

/**
 * The callbacks each request of each kind runs, as test/fixtures/client-app.mjs names them: a
 * phase starts 4 requests of every kind. grpc-js: a unary call, a server-streaming one, a unary
 * call the server fails (INTERNAL), a client-streaming one, a bidi one, and `client.waitForReady()`;
 * http2-wrapper: the response callback and the request's and response's events; got: its promise
 * with an `afterResponse` hook, its stream, and a promise for a 500 with a `beforeError` hook;
 * undici: `request()`, a legacy handler (undici 6 and 7), a controller handler (7 and 8), and
 * `fetch()` through a dispatcher composed with an interceptor of the app's (6.9 on).
 */
const grpcKinds = {
  unary: ['callback', 'metadata', 'status'],
  'server-streaming': ['metadata', 'data', 'status', 'end'],
  failing: ['callback', 'metadata', 'status'],
  'client-streaming': ['callback'],
  bidi: ['data', 'status', 'end'],
  ready: ['callback'],
};
const clientKinds = {
  'grpc-js': grpcKinds,
  'http2-wrapper': { request: ['response', 'data', 'end', 'response close', 'close'] },
  got: {
    promise: ['afterResponse', 'resolved'],
    stream: ['response', 'data', 'end'],
    failing: ['beforeError', 'rejected'],
  },
};
const undiciRequest = { request: ['resolved', 'body'] };
const undiciLegacy = { legacy: ['onConnect', 'onHeaders', 'onData', 'onComplete'] };
const undiciCurrent = {
  controller: ['onRequestStart', 'onResponseStart', 'onResponseData', 'onResponseEnd'],
  fetch: ['interceptor start', 'interceptor end', 'resolved'],
};
const kinds: Record<ClientSet, Record<string, Record<string, string[]>>> = {
  newest: { ...clientKinds, undici: { ...undiciRequest, ...undiciCurrent } },
  previous: { ...clientKinds, undici: { ...undiciRequest, ...undiciLegacy, ...undiciCurrent } },
  first: { ...clientKinds, undici: { ...undiciRequest, ...undiciCurrent } },
  oldest: { ...clientKinds, undici: { ...undiciRequest, ...undiciLegacy } },
};

/**
 * got 16 has an HTTP/2 client of its own, which calls `session.request()` after an `await` in the
 * caller's own async function: natively its requests keep their stores at the client level (what
 * node:http2 itself loses, as `end` after trailers on Node 20–24, is the node:http2 patch's).
 */
const keepsStoresNatively = (set: ClientSet, client: string) =>
  client === 'got' && Number.parseInt(versions[set].got!, 10) >= 16;

/** Each callback of `client` as the app reports a wrong one: `kind callback`. */
const callbacksOf = (set: ClientSet, client: string): string[] =>
  Object.entries(kinds[set][client]!).flatMap(([kind, callbacks]) =>
    callbacks.map((callback) => `${kind} ${callback}`),
  );

/** Callbacks (request × callback) of one phase of `client`. */
const totalOf = (set: ClientSet, client: string): number => 4 * callbacksOf(set, client).length;

/**
 * Where the caller resumes after `await` of a promise the client settled: the store is the
 * caller's by the promise's own reaction, whatever the client did, so it is never lost natively.
 */
const continuations = [
  'got promise resolved',
  'got failing rejected',
  'undici request resolved',
  'undici request body',
  'undici fetch resolved',
];

/**
 * Each phase of each client as the checks read it: the counts, whether the client connected
 * (in every phase but warm it must, so that requests queued while it did), and anything that went
 * wrong on the way, which then shows in the diff.
 */
function observed(run: AppRun): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(run.clients).map(([client, result]) => {
      if ('skipped' in result) return [client, result];
      return [
        client,
        Object.fromEntries(
          phasesOf(client).map((phase) => {
            const { sessions, ...rest } = result[phase]!;
            return [phase, { ...rest, connected: sessions > 0 }];
          }),
        ),
      ];
    }),
  );
}

/**
 * Every callback of every request ran, and every time in its own request's store, in every phase
 * of every client (but those `skipped` names, with the reason the app gave); and the app ran the
 * copies of `set`.
 */
export function expectEveryCallbackInItsStore(run: AppRun, set: ClientSet, skipped: Record<string, string> = {}): void {
  expect(run.versions).toEqual(versions[set]);
  const expected = Object.fromEntries(
    clientNames.map((client) => {
      if (skipped[client] !== undefined) return [client, { skipped: skipped[client] }];
      const total = totalOf(set, client);
      return [
        client,
        Object.fromEntries(
          phasesOf(client).map((phase) => [
            phase,
            { ran: total, right: total, total, wrongStores: [], wrongCallbacks: [], connected: phase !== 'warm' },
          ]),
        ),
      ];
    }),
  );
  expect(observed(run)).toEqual(expected);
}

/**
 * The loss the integrations fix, in every client, in every phase where requests queue (cold,
 * after GOAWAY, and across grpc-js's server restart): every callback still ran, but some saw
 * another request's store, only ever that of a request of the same client and phase (the one
 * that made it connect), and every callback but a promise's continuation did so for some request,
 * the new ones too. got 16 is the exception: it keeps every store (see keepsStoresNatively). How many stayed right depends on which request connected: not counted.
 */
export function expectQueuedRequestsLoseTheirStore(run: AppRun, set: ClientSet): void {
  expect(run.versions).toEqual(versions[set]);
  const tags: Partial<Record<Phase, string>> = { cold: 'cold', 'after GOAWAY': 'goaway', 'server restart': 'restart' };
  for (const client of clientNames) {
    const result = run.clients[client]!;
    expect('skipped' in result, client).toBe(false);
    const total = totalOf(set, client);
    for (const phase of phasesOf(client).filter((phase) => phase !== 'warm')) {
      const counts = (result as Record<Phase, PhaseCount>)[phase];
      const { ran, right, wrongStores, wrongCallbacks } = counts;
      const where = `${client} ${phase}`;
      expect({ ran, total: counts.total }, where).toEqual({ ran: total, total });
      if (keepsStoresNatively(set, client)) {
        expect({ right, wrongStores }, where).toEqual({ right: total, wrongStores: [] });
        continue;
      }
      expect(right, where).toBeLessThan(total);
      expect(wrongStores.length, where).toBeGreaterThan(0);
      for (const store of wrongStores)
        expect(store, where).toMatch(new RegExp(`^${tags[phase]}:${client}:[a-z-]+:[0-3]$`));
      // client.waitForReady() looks at the channel from a setImmediate of the caller's, and calls back
      // right there if it is READY again by then, as grpc-js 1.8's mostly is after a GOAWAY.
      const mayStayRight = (callback: string) =>
        continuations.includes(`${client} ${callback}`) ||
        (client === 'grpc-js' && phase === 'after GOAWAY' && callback === 'ready callback');
      const lost = callbacksOf(set, client).filter((callback) => !mayStayRight(callback));
      expect(wrongCallbacks, where).toEqual(expect.arrayContaining(lost));
    }
  }
}

/**
 * What patchClients() returned, each copy as `name version folder`, the folder from the
 * `node_modules` it is in (a workspace set's below test/clients/), sorted.
 */
/**
 * The copies patchClients() names in the oldest set, by version and folder: got 12.0.0 brings an
 * http2-wrapper of its own, nested below it, patched as well.
 */
export const oldestCopies = [
  '@grpc/grpc-js 1.8.22 test/clients/oldest/node_modules/@grpc/grpc-js',
  'http2-wrapper 2.0.3 test/clients/oldest/node_modules/http2-wrapper',
  'http2-wrapper 2.2.4 test/clients/oldest/node_modules/got/node_modules/http2-wrapper',
  'undici 6.0.0 test/clients/oldest/node_modules/undici',
];

export function patchedCopies(run: AppRun): string[] {
  expect(Array.isArray(run.patchClients), 'patchClients() returned a list').toBe(true);
  const where = (path: string) =>
    path.replaceAll('\\', '/').replace(/^.*?((?:test\/clients\/[a-z]+\/)?node_modules\/)/, '$1');
  return (run.patchClients || []).map(({ name, version, path }) => `${name} ${version} ${where(path)}`).sort();
}
