import { describe, expect, it } from 'vitest';
import { type Runtime, runFixtureOn, runtimes } from './helpers/child.js';
import type { ScenarioRun } from './helpers/scenario-results.js';

// A call made from another call's interceptor, one stream written from many stores, and an
// interceptor's frozen InterceptingCall subclass, on a real loopback server: natively, under
// register (this Node, Node 24, Bun) and with the helpers.
type Run = ScenarioRun;

const scenarios = [
  "a call made from another call's interceptor",
  'one stream written from many stores',
  'an InterceptingCall subclass with a frozen prototype',
];
const run = (runtime: Runtime, mode: string, set: string) =>
  runFixtureOn(runtime, 'grpc-nested.mjs', [mode, set], mode === 'register') as Promise<Run>;

/** Every scenario ran its callbacks as natively, each in the store of the call that caused it. */
function expectEachInItsStore(run: Run, native: Run) {
  expect(Object.keys(run.results)).toEqual(scenarios);
  for (const name of scenarios) {
    const { error, ran, ...stores } = run.results[name]!;
    expect(error, name).toBeUndefined();
    expect(ran, name).toEqual(native.results[name]!.ran);
    expect(stores.total, name).toBeGreaterThan(0);
    expect(stores, name).toEqual({ total: stores.total, wrong: 0, seen: [] });
  }
}

describe.each([
  { set: 'oldest', version: '1.8.22' },
  { set: 'newest', version: '1.14.7' },
])('grpc-js $version', ({ set, version }) => {
  describe.each(runtimes)('on $name', (runtime) => {
    let native: Run;

    it("natively, every call completes, and each write's callback, sendMessage and halfClose run in its writer's store", async () => {
      native = await run(runtime, 'native', set);
      expect(native.version).toBe(version);
      expect(Object.keys(native.results)).toEqual(scenarios);
      for (const result of Object.values(native.results)) expect(result.error).toBeUndefined();
      // Natively no callback of a side call runs in the store of the call that made it, and on a
      // stream that is open every write's callbacks run in its writer's: what must not change.
      const side = native.results["a call made from another call's interceptor"]!.seen;
      expect(side.filter((seen) => seen.startsWith('side') && seen.includes(':main:'))).toEqual([]);
      expect(native.results['one stream written from many stores']).toMatchObject({ total: 16, wrong: 0 });
      expect(native.results['an InterceptingCall subclass with a frozen prototype']!.ran['Hardened start']).toBe(4);
    });

    // The helpers run in any Node process alike: with them, once, on this one.
    const modes = [
      {
        mode: 'register',
        title:
          "under register, a call made in an interceptor runs in its own store, writes in their writers', and a frozen subclass works",
      },
      ...(runtime === runtimes[0] ? [{ mode: 'explicit', title: 'with withGrpcScope on every client, the same' }] : []),
    ];
    it.each(modes)('$title', async ({ mode }) => {
      expectEachInItsStore(await run(runtime, mode, set), native);
    });
  });
});
