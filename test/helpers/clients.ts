import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import type { ClientRun, PhaseResult } from '../../dist/esm/doctor/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));

/** The test certificate (CN and IP SAN 127.0.0.1, DNS SAN localhost) for the TLS loopback server. */
export const tls = { key: fixture('key.pem'), cert: fixture('cert.pem') };

/** `require` from the repository, for the CommonJS clients and their aliases (`grpc-js-1.8`, …). */
export const requireClient = createRequire(new URL('../../package.json', import.meta.url));

/** The version npm installed under `name` (got's `exports` hide its package.json from `require`). */
export function installedVersion(name: string): string {
  const manifest = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** The http2-wrapper that got `name` itself resolves, for the Agent the got adapter creates. */
export function http2WrapperOf(got: string): unknown {
  return createRequire(requireClient.resolve(got))('http2-wrapper');
}

export function phase(run: ClientRun, name: PhaseResult['phase']): PhaseResult {
  const found = run.phases.find((candidate) => candidate.phase === name);
  if (!found) throw new Error(`${run.client} has no ${name} phase`);
  return found;
}

/**
 * The instrument observed: every phase finished in time, every request ran every callback it
 * must, the optional `error` callbacks never ran, and the totals add up.
 */
export function expectEveryCallbackObserved(run: ClientRun, phases: readonly PhaseResult['phase'][]): void {
  expect(run.phases.map((result) => result.phase)).toEqual(phases);
  expect(run.error).toBeUndefined();
  for (const result of run.phases) {
    expect(result, result.summary).toMatchObject({ finished: result.started, missing: 0 });
    expect([result.error, result.errors]).toEqual([undefined, []]);
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
