import { describe, expect, it } from 'vitest';
import { runFixture } from './helpers/child.js';
import type { ScenarioRun } from './helpers/scenario-results.js';

interface Run extends Omit<ScenarioRun, 'runtime'> {
  undiciRequests: number;
  prototype: { agentKeys: string[]; dispatchLength: number; composeLength: number | null };
}

const register = ['--import', './dist/esm/register.js'];
const run = (mode: string, set: string) =>
  runFixture('undici-handlers.mjs', [mode, set], mode === 'register' ? register : []) as Promise<Run>;

const handlerScenarios = [
  'a frozen handler',
  'a handler class with a frozen prototype',
  'callbacks defined as getters',
  'a handler that swaps its own onData',
  'an Agent, whose Pool queues the requests',
];

describe.each([
  { set: 'oldest', version: '6.0.0', scenarios: handlerScenarios },
  { set: 'previous', version: '7.30.3', scenarios: [...handlerScenarios, 'compose(deduplicate(), logging)'] },
])(
  'undici $version handlers and interceptors, 6 requests at once on a cold Client, each in its own store',
  ({ set, version, scenarios }) => {
    let native: Run;

    it("natively, handlers of every kind work, and a Client's see another request's store", async () => {
      native = await run('native', set);
      expect(native.version).toBe(version);
      expect(Object.keys(native.results)).toEqual(scenarios);
      for (const name of scenarios) {
        expect(native.results[name]!.error, name).toBeUndefined();
        // An Agent's Pool dispatches queued requests in their own context natively: nothing to fix.
        if (!name.startsWith('an Agent')) expect(native.results[name]!.wrong, name).toBeGreaterThan(0);
      }
    });

    it.each(['register', 'explicit'])(
      "%s: frozen, getter and self-swapping handlers work, every callback in its request's store, one scope per request",
      async (mode) => {
        const { results, undiciRequests, prototype } = await run(mode, set);
        for (const name of scenarios) {
          const callbacks = name.startsWith('compose') ? 60 : 30;
          expect(results[name], name).toMatchObject({ total: callbacks, wrong: 0, seen: [] });
        }
        // The swapped-in onData is the one called for the second chunk.
        expect(results['a handler that swaps its own onData']!.ran).toMatchObject({
          'first onData': 6,
          'second onData': 6,
        });
        // One scope per request: also for requests deduplicate merged, and those a Pool queued.
        expect(undiciRequests).toBe(scenarios.length * 6);
        expect(prototype).toEqual(native.prototype);
      },
    );
  },
);
