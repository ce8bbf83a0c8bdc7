import { describe, expect, it } from 'vitest';
import { WeakEntries } from '../dist/esm/integrations/weak-entries.js';

// What the load hooks keep of every patched module and hooked loader: walkable, but never what
// keeps a test runner's per-file copies alive.
const collect = async () => {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    globalThis.gc?.();
  }
};

describe('WeakEntries', () => {
  it('answers has, get, set, delete and iteration as a map of its live keys', () => {
    const entries = new WeakEntries<object, string>();
    const [a, b] = [{}, {}];
    entries.set(a, 'a');
    entries.set(b, 'b');
    entries.set(a, 'a again');
    expect([...entries]).toEqual([
      [a, 'a again'],
      [b, 'b'],
    ]);
    entries.delete(a);
    expect([entries.has(a), entries.get(b)]).toEqual([false, 'b']);
    expect([...entries]).toEqual([[b, 'b']]);
  });

  it('lets a key nothing else holds be collected, and drops it from iteration', async () => {
    expect(typeof globalThis.gc, 'the suite runs with --expose-gc').toBe('function');
    const entries = new WeakEntries<object, number>();
    const kept = {};
    entries.set(kept, 0);
    for (let i = 1; i <= 200; i++) entries.set({ i }, i);
    await collect();
    expect([...entries]).toEqual([[kept, 0]]);
  });
});
