import { createHook } from 'node:async_hooks';
import http2 from 'node:http2';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connect, wrapSession } from '../dist/esm/index.js';
import { runFixture } from './helpers/child.js';
import { als, once, requestIn, transports, useServer } from './helpers/h2.js';

const kScope = Symbol.for('http2-async-context.scope.v1');

/** Counts `PendingRequest` resources created while `fn` runs (Node makes one of its own per request). */
function pendingRequestsCreatedBy(fn: () => void): number {
  let count = 0;
  const hook = createHook({
    init: (_id, type) => {
      if (type === 'PendingRequest') count++;
    },
  }).enable();
  try {
    fn();
  } finally {
    hook.disable();
  }
  return count;
}

describe('connect()', () => {
  it('has the name, length and promisified form of http2.connect', () => {
    expect(connect.name).toBe(http2.connect.name);
    expect(connect.length).toBe(http2.connect.length);
    expect(typeof (connect as unknown as Record<symbol, unknown>)[promisify.custom]).toBe('function');
  });

  it('importing the main entry changes nothing global', async () => {
    const report = await runFixture('import-side-effects.mjs');
    expect(report).toEqual({ connectUnchanged: true, requestUnchanged: true, newGlobals: [], resourcesCreated: 0 });
  });
});

describe.each(transports)('the public API over $name', (transport) => {
  const server = useServer(transport);

  it('promisify(connect) resolves a connected session whose requests are scoped', async () => {
    // @types/node gives promisify(connect) no overload for options; the runtime form takes them.
    const connectAsync = promisify(connect) as unknown as (
      authority: string,
      options: object,
    ) => Promise<http2.ClientHttp2Session>;
    const session = await als.run('session', () => connectAsync(server.origin, transport.client));
    try {
      expect(session.connecting).toBe(false);
      const { seen, closed } = requestIn(session, 'request', { ':path': '/trailers' }, ['end']);
      await closed;
      expect(seen.get('end')).toEqual(['request']);
    } finally {
      session.destroy();
    }
  });

  it('wrapping twice is the same as wrapping once', async () => {
    const session = server.connect(connect, 'session');
    expect(wrapSession(session)).toBe(session);
    const native = server.connect(http2.connect, 'session');
    const streams: http2.ClientHttp2Stream[] = [];
    const nativeCount = pendingRequestsCreatedBy(() => streams.push(native.request({ ':path': '/plain' })));
    const wrappedCount = pendingRequestsCreatedBy(() => streams.push(session.request({ ':path': '/plain' })));
    await Promise.all(streams.map((stream) => once(stream.resume(), 'close')));
    expect(wrappedCount).toBe(nativeCount + 1);
  });

  it('wrapSession() rejects what is not a client session, like Node rejects a bad argument', () => {
    for (const bad of [undefined, null, 42, {}, { request: 1 }]) {
      expect(() => wrapSession(bad as never)).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
      );
    }
  });

  it('emit keeps its return value and the exact number of arguments', async () => {
    const session = server.connect(connect, 'session');
    const stream = session.request({ ':path': '/plain' });
    stream.resume();
    expect(stream.emit('x-nobody-listens', 1)).toBe(false);
    const counts: number[] = [];
    stream.on('x-custom', (...args: unknown[]) => counts.push(args.length));
    for (let n = 0; n <= 6; n++) expect(stream.emit('x-custom', ...Array(n).fill(undefined))).toBe(true);
    expect(counts).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await once(stream, 'close');
  });

  it("after close the stream emits in the emitter's context and its scope is destroyed exactly once", async () => {
    const session = server.connect(connect, 'session');
    const destroyed: number[] = [];
    const hook = createHook({
      destroy: (id) => {
        destroyed.push(id);
      },
    }).enable();
    try {
      const { stream, closed } = requestIn(session, 'request', { ':path': '/plain' }, []);
      const scopeId = (stream as unknown as Record<symbol, { asyncId(): number }>)[kScope]!.asyncId();
      await closed;
      await new Promise((resolve) => setImmediate(resolve));
      const late: unknown[] = [];
      stream.on('late', (...args: unknown[]) => late.push([als.getStore(), args.length]));
      als.run('emitter', () => stream.emit('late', 1, 2, 3, 4, 5));
      stream.emit('close');
      await new Promise((resolve) => setImmediate(resolve));
      expect(late).toEqual([['emitter', 5]]);
      expect(destroyed.filter((id) => id === scopeId)).toHaveLength(1);
    } finally {
      hook.disable();
    }
  });

  it('closed streams and their scopes become collectable while the session stays open', async () => {
    const session = server.connect(connect, 'session');
    const refs: WeakRef<object>[] = [];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const { stream, closed } = requestIn(session, `request-${i}`, { ':path': '/plain' }, []);
        refs.push(new WeakRef(stream), new WeakRef((stream as unknown as Record<symbol, object>)[kScope]!));
        return closed;
      }),
    );
    // No deref() before gc() in the same job: deref keeps its target alive until the job ends.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      globalThis.gc!();
    }
    expect(session.closed).toBe(false);
    expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });

  it('a stream that fails inside request() leaves no resource behind', async () => {
    const session = server.connect(connect, 'session');
    await once(session, 'connect');
    const live = new Set<number>();
    const hook = createHook({
      init: (id, type) => {
        if (type === 'PendingRequest') live.add(id);
      },
      destroy: (id) => {
        live.delete(id);
      },
    }).enable();
    try {
      expect(() => session.request({ connection: 'keep-alive' })).toThrow(
        expect.objectContaining({ code: 'ERR_HTTP2_INVALID_CONNECTION_HEADERS' }),
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(live.size).toBe(0);
    } finally {
      hook.disable();
    }
  });
});
