import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import type { ClientRun, PhaseResult } from '../../dist/esm/doctor/internals.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));

/** The test certificate (CN and IP SAN 127.0.0.1, DNS SAN localhost) for the TLS loopback server. */
export const tls = { key: fixture('key.pem'), cert: fixture('cert.pem') };

/**
 * Where each set of client versions is installed, each under its real name: `newest`, each
 * library's latest release, at the root (undici 8 and got 16 need Node 22: the tests run them
 * on the node22, node24 and node26 packages); in workspaces below test/clients/, `previous`, the
 * newest of each previous major (undici 7, got 15), which the Node 20 tests use; `first`, the
 * first release of each newest major (undici 8.0.0, got 16.0.0); `oldest`, the oldest supported.
 */
export const clientDirs = {
  newest: fileURLToPath(new URL('../..', import.meta.url)),
  previous: fileURLToPath(new URL('../clients/previous', import.meta.url)),
  first: fileURLToPath(new URL('../clients/first', import.meta.url)),
  oldest: fileURLToPath(new URL('../clients/oldest', import.meta.url)),
};
export type ClientSet = keyof typeof clientDirs;

/** `require` from the repository, for the newest clients. */
export const requireClient = createRequire(new URL('../../package.json', import.meta.url));
/** `require` from the workspace of each client's previous major (undici 7, got 15), what Node 20 runs. */
export const requirePrevious = createRequire(new URL('../clients/previous/package.json', import.meta.url));
/** `require` from the workspace that installs the oldest supported version of each client under its real name. */
export const requireOldest = createRequire(new URL('../clients/oldest/package.json', import.meta.url));
const requireFrom: Record<ClientSet, NodeJS.Require> = {
  newest: requireClient,
  previous: requirePrevious,
  first: createRequire(new URL('../clients/first/package.json', import.meta.url)),
  oldest: requireOldest,
};

/** Loads client `name` of `set` (got, an ES module, by import). */
export function loadClient(set: ClientSet, name: string): Promise<unknown> {
  const entry = requireFrom[set].resolve(name);
  return name === 'got' ? import(pathToFileURL(entry).href) : Promise.resolve(requireFrom[set](entry));
}

/** The version installed as `name` in `set` (got's `exports` hide its package.json from `require`). */
export function installedVersion(set: ClientSet, name: string): string {
  const manifest = join(clientDirs[set], 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** The http2-wrapper that got of `set` itself resolves, for the Agent the got adapter creates (got 12–15). */
export function http2WrapperOf(set: ClientSet): unknown {
  return createRequire(requireFrom[set].resolve('got'))('http2-wrapper');
}

/** The Node.js of each major the suite runs besides this one, as npm installed them (packages node22, node24, node26). */
export const nodeBinaries = {
  22: fileURLToPath(new URL('../../node_modules/node22/bin/node', import.meta.url)),
  24: fileURLToPath(new URL('../../node_modules/node24/bin/node', import.meta.url)),
  26: fileURLToPath(new URL('../../node_modules/node26/bin/node', import.meta.url)),
};

export function phase(run: ClientRun, name: PhaseResult['phase']): PhaseResult {
  const found = run.phases.find((candidate) => candidate.phase === name);
  if (!found) throw new Error(`${run.client} has no ${name} phase`);
  return found;
}

/**
 * The instrument observed: every phase finished in time, every request ran every callback it
 * must, the optional `error` callbacks never ran, no request failed but on purpose, and the totals add up.
 */
export function expectEveryCallbackObserved(run: ClientRun, phases: readonly PhaseResult['phase'][]): void {
  expect(run.phases.map((result) => result.phase)).toEqual(phases);
  expect(run.error).toBeUndefined();
  for (const result of run.phases) {
    expect(result, result.summary).toMatchObject({ finished: result.started, missing: 0 });
    // grpc-js's `failing` calls end in the status the server sends on purpose; nothing else may fail.
    expect([result.error, result.errors.filter((error) => !error.endsWith('INTERNAL: failing on purpose'))]).toEqual([
      undefined,
      [],
    ]);
    for (const cell of result.cells) {
      expect(cell.ran, `${result.phase} ${cell.name}`).toBe(cell.expect === 'runs' ? run.requests : 0);
    }
    expect(result.total).toBe(result.cells.reduce((sum, cell) => sum + cell.ran, 0));
  }
}

/**
 * The queued-request loss: only the requests that made the client open a session (or, warm, the
 * first one) are right, and every wrong callback saw one of their stores, from this phase.
 */
export function expectConnectingRequestsStore(result: PhaseResult, mostCallbacksPerRequest: number): void {
  const starters = Math.max(1, result.sessionsOpened);
  expect(result.right, result.summary).toBeLessThanOrEqual(starters * mostCallbacksPerRequest);
  const seen = [...new Set(result.cells.flatMap((cell) => cell.seen))];
  expect(seen.length, `${result.phase} saw ${seen.join(', ')}`).toBeGreaterThanOrEqual(1);
  expect(seen.length).toBeLessThanOrEqual(starters);
  const prefix = result.phase.split(' ').pop();
  for (const store of seen) expect(store).toMatch(new RegExp(`^${prefix}:[a-z-]+:0$`));
  for (const cell of result.cells) expect(cell.right, `${result.phase} ${cell.name}`).toBeLessThanOrEqual(starters);
}

/** Every callback of every request of the phase saw its own store. */
export function expectAllRight(result: PhaseResult): void {
  expect(result.summary).toBe(`${result.phase}: ${result.total} of ${result.total} callbacks in the right store`);
  expect(result.cells.flatMap((cell) => cell.seen)).toEqual([]);
}
