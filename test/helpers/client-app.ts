import { expect } from 'vitest';
import type { ClientSet } from './clients.js';

/** The app the integration tests run in child processes, from the repository root. */
export const app = 'test/fixtures/client-app.mjs';

export const phases = ['cold', 'warm', 'after GOAWAY'] as const;
export type Phase = (typeof phases)[number];

/** One client's phase, as test/fixtures/client-app.mjs counts it: callbacks are request × callback. */
export interface PhaseCount {
  /** Callbacks that ran at least once, of `total`; `right`: those that ran, every time in their request's store. */
  ran: number;
  right: number;
  total: number;
  /** Every store a callback saw that was not its request's, once each. */
  wrongStores: string[];
  /** Sessions the client opened on the server during the phase. */
  sessions: number;
  missing?: string[];
  errors?: string[];
  hung?: true;
}

export type ClientResult = Record<Phase, PhaseCount> | { skipped: string };

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

export const versions: Record<ClientSet, Record<string, string>> = {
  newest: {
    '@grpc/grpc-js': '1.14.7',
    'http2-wrapper': '2.2.4',
    got: '14.6.6',
    "got's http2-wrapper": '2.2.4',
    undici: '7.30.2',
  },
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
 * The callbacks each request runs, times the 4 requests of each kind a phase starts: grpc-js's
 * unary callback, `metadata` and `status`; http2-wrapper's response callback, `data` and `end`;
 * got's `afterResponse` hook and promise, and its stream's `response`, `data` and `end`; undici's
 * `request()` promise and body, a legacy handler's 4 callbacks, and on undici 7 a controller
 * handler's 4 as well.
 */
const totals: Record<ClientSet, Record<string, number>> = {
  newest: { 'grpc-js': 4 * 3, 'http2-wrapper': 4 * 3, got: 4 * (2 + 3), undici: 4 * (2 + 4 + 4) },
  oldest: { 'grpc-js': 4 * 3, 'http2-wrapper': 4 * 3, got: 4 * (2 + 3), undici: 4 * (2 + 4) },
};

/**
 * Each phase of each client as the checks read it: the counts, whether the client connected
 * (cold and after GOAWAY it must, so that requests queued while it did), and anything that went
 * wrong on the way, which then shows in the diff.
 */
function observed(run: AppRun): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(run.clients).map(([client, result]) => {
      if ('skipped' in result) return [client, result];
      return [
        client,
        Object.fromEntries(
          phases.map((phase) => {
            const { sessions, ...rest } = result[phase];
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
      const total = totals[set][client];
      return [
        client,
        Object.fromEntries(
          phases.map((phase) => [
            phase,
            { ran: total, right: total, total, wrongStores: [], connected: phase !== 'warm' },
          ]),
        ),
      ];
    }),
  );
  expect(observed(run)).toEqual(expected);
}

/**
 * The loss the integrations fix, in every client, cold and after GOAWAY: every callback still
 * ran, but some saw another request's store, and only ever that of a request of the same client
 * and phase (the one that made it connect).
 */
export function expectQueuedRequestsLoseTheirStore(run: AppRun, set: ClientSet): void {
  expect(run.versions).toEqual(versions[set]);
  for (const client of clientNames) {
    const result = run.clients[client]!;
    expect('skipped' in result, client).toBe(false);
    for (const phase of ['cold', 'after GOAWAY'] as const) {
      const { ran, right, total, wrongStores } = (result as Record<Phase, PhaseCount>)[phase];
      const tag = phase === 'cold' ? 'cold' : 'goaway';
      expect({ ran, total }, `${client} ${phase}`).toEqual({ ran: totals[set][client], total: totals[set][client] });
      expect(right, `${client} ${phase}`).toBeLessThan(total);
      expect(wrongStores.length, `${client} ${phase}`).toBeGreaterThan(0);
      for (const store of wrongStores) expect(store).toMatch(new RegExp(`^${tag}:${client}:[a-z]+:[0-3]$`));
    }
  }
}

/**
 * What patchClients() returned, each copy as `name version folder`, the folder from the
 * `node_modules` it is in (the oldest set's below test/clients/oldest), sorted.
 */
export function patchedCopies(run: AppRun): string[] {
  expect(Array.isArray(run.patchClients), 'patchClients() returned a list').toBe(true);
  const where = (path: string) =>
    path.replaceAll('\\', '/').replace(/^.*?((?:test\/clients\/oldest\/)?node_modules\/)/, '$1');
  return (run.patchClients || []).map(({ name, version, path }) => `${name} ${version} ${where(path)}`).sort();
}
