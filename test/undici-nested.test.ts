import { describe, expect, it } from 'vitest';
import { type Runtime, runFixtureOn, runtimes } from './helpers/child.js';
import type { ScenarioRun } from './helpers/scenario-results.js';

// A request an interceptor starts of its own, and an interceptor that spreads its handler, on real
// loopback servers: natively, under register (this Node, Node 24, Bun) and with the helpers.
type Run = ScenarioRun;

const nested = 'a request started inside another request';
const spread = 'an interceptor that spreads the handler';
const run = (runtime: Runtime, mode: string, set: string) =>
  runFixtureOn(runtime, 'undici-nested.mjs', [mode, set], mode === 'register') as Promise<Run>;

/** Every scenario ran its callbacks as natively, each in the store of the request that caused it. */
function expectEachInItsStore(run: Run, native: Run, scenarios: string[]) {
  expect(Object.keys(run.results)).toEqual(scenarios);
  for (const name of scenarios) {
    const { error, ran, ...stores } = run.results[name]!;
    expect(error, name).toBeUndefined();
    expect(ran, name).toEqual(native.results[name]!.ran);
    expect(stores.total, name).toBeGreaterThan(0);
    expect(stores, name).toEqual({ total: stores.total, wrong: 0, seen: [] });
  }
}

// undici 8 (the root's) needs Node 22: on Node 24 and Bun only.
describe.each([
  { set: 'oldest', version: '6.0.0', on: runtimes },
  { set: 'previous', version: '7.30.3', on: runtimes },
  { set: 'newest', version: '8.14.1', on: runtimes.slice(1) },
])('undici $version', ({ set, version, on }) => {
  describe.each(on)('on $name', (runtime) => {
    let native: Run;

    it('natively, the side request and the spreading interceptor complete, the side request in a store of its own', async () => {
      native = await run(runtime, 'native', set);
      expect(native.version).toBe(version);
      expect(Object.keys(native.results)).toEqual([nested, spread]);
      for (const result of Object.values(native.results)) expect(result.error).toBeUndefined();
      // Natively no callback of a side request runs in the store of the request that started it.
      expect(native.results[nested]!.ran['side body end']).toBe(4);
      expect(native.results[nested]!.seen.filter((seen) => seen.startsWith('side') && seen.includes(':main:'))).toEqual(
        [],
      );
    });

    // The helpers run in any Node process alike: with them, once, on this one.
    const modes = [
      {
        mode: 'register',
        title:
          "under register, the side request's callbacks run in its own store, not the request's that started it, and a spread handler works",
      },
      ...(runtime === on[0]
        ? [
            {
              mode: 'explicit',
              title: 'with composeInScope on both dispatchers (scopeUndiciHandler without compose), the same',
            },
          ]
        : []),
    ];
    it.each(modes)('$title', async ({ mode }) => {
      // An undici without compose() has no place for a helper on the side request's Client.
      const scenarios = mode === 'explicit' && set === 'oldest' ? [spread] : [nested, spread];
      expectEachInItsStore(await run(runtime, mode, set), native, scenarios);
    });
  });
});
