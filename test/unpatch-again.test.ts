import { describe, expect, it } from 'vitest';
import { runFixtureOn, runtimes } from './helpers/child.js';

interface Flow {
  patched: boolean;
  first: boolean;
  theirsStayed: boolean;
  second: boolean;
  restored: Record<string, boolean>;
  third: boolean;
}

describe.each(runtimes)('under register on $name, with a later patch on top of every place ours is', (runtime) => {
  it('unpatching leaves theirs, and unpatching again once they unhooked restores every original', async () => {
    const { flows } = (await runFixtureOn(runtime, 'unpatch-again.mjs', [], true)) as {
      flows: Record<'unpatchHttp2' | 'unpatchClients', Flow>;
    };
    for (const [name, flow] of Object.entries(flows)) {
      // node:http2 and, in both sets, undici 6 and 7's dispatchers and compose, and grpc-js's Client.
      const places = name === 'unpatchHttp2' ? 8 : 7;
      expect(Object.keys(flow.restored), name).toHaveLength(places);
      expect(flow, name).toEqual({
        patched: true,
        first: true,
        theirsStayed: true,
        second: true,
        restored: Object.fromEntries(Object.keys(flow.restored).map((place) => [place, true])),
        third: false,
      });
    }
  });
});
