import { describe, expect, it } from 'vitest';
import { runFixture } from './helpers/child.js';

interface Result {
  total: number;
  wrong: number;
  seen: string[];
  error?: string;
}
interface Run {
  version: string;
  results: Record<string, Result>;
  resources: { created: number; destroyed: number; destroyedTwice: number };
}

const register = ['--import', './dist/esm/register.js'];
const run = (mode: string, transport: string, set = 'newest') =>
  runFixture('grpc-interceptors.mjs', [mode, transport, set], mode === 'register' ? register : []) as Promise<Run>;

/** Callbacks each scenario must run, so that a scenario that ran nothing cannot pass. */
const expectedCallbacks: Record<string, number> = {
  'logging interceptors': 66,
  'an interceptor that waits for an event': 42,
  'an interceptor that reports a status itself': 48,
  'a single interceptor function, not a list': 42,
  'waitForReady callback': 6,
  'client stream: write callbacks and drain': 12,
};

describe("users' own grpc-js interceptors, 6 calls at once on a cold channel, each in its own store", () => {
  it("natively, interceptors and callbacks see another call's store (what the package fixes)", async () => {
    const { results } = await run('native', 'h2c');
    expect(results['logging interceptors']!.total).toBe(66);
    expect(results['logging interceptors']!.wrong).toBeGreaterThan(0);
    expect(results['an interceptor that waits for an event']!.seen).toContain('inner.start:elsewhere');
  });

  describe.each([
    { transport: 'h2c', set: 'oldest', version: '1.8.22' },
    { transport: 'tls', set: 'newest', version: '1.14.7' },
  ])('grpc-js $version over $transport', ({ transport, set, version }) => {
    it("under register, every callback of every interceptor runs in its call's store, and each call's scope ends once", async () => {
      const { results, resources, version: loaded } = await run('register', transport, set);
      expect(loaded).toBe(version);
      for (const [name, callbacks] of Object.entries(expectedCallbacks)) {
        expect(results[name], name).toEqual({ total: callbacks, wrong: 0, seen: [] });
      }
      // Five scenarios of 6 calls each make calls through getInterceptingCall (waitForReady makes none).
      expect(resources).toEqual({ created: 30, destroyed: 30, destroyedTwice: 0 });
    });

    it('with withGrpcScope(interceptors), the same, with no preload', async () => {
      const { results, resources } = await run('explicit', transport, set);
      for (const [name, callbacks] of Object.entries(expectedCallbacks)) {
        // waitForReady is not a call: it has no interceptors to scope it (README: AsyncResource.bind).
        if (name === 'waitForReady callback') continue;
        expect(results[name], name).toEqual({ total: callbacks, wrong: 0, seen: [] });
      }
      expect(resources).toEqual({ created: 30, destroyed: 30, destroyedTwice: 0 });
    });
  });
});
