import { createHook } from 'node:async_hooks';
import http2 from 'node:http2';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, patchHttp2, unpatchHttp2, wrapSession } from '../dist/esm/index.js';
import { als, requestIn, transports, useServer } from './helpers/h2.js';

const cjs = createRequire(import.meta.url)('../dist/cjs/index.js') as typeof import('../dist/esm/index.js');
const upload = { ':path': '/continue', ':method': 'POST', expect: '100-continue' } as const;
const nativeConnect = http2.connect;

/** The prototype the patch changes, reached the way Node users would: from a session. */
function clientPrototype(session: http2.ClientHttp2Session): { request: unknown } {
  return Object.getPrototypeOf(session);
}

afterEach(() => {
  unpatchHttp2();
  expect(http2.connect).toBe(nativeConnect);
});

describe.each(transports)('patchHttp2() over $name', (transport) => {
  const server = useServer(transport);

  /** A 100-continue upload; returns the events it saw with their stores. */
  async function continueUpload(session: http2.ClientHttp2Session) {
    const { stream, seen, closed } = requestIn(session, 'request', upload, ['continue', 'headers', 'end'], {
      endStream: false,
    });
    stream.on('continue', () => stream.end('body'));
    await closed;
    return Object.fromEntries(seen);
  }
  const scoped = { continue: ['request'], end: ['request'] };

  it('is idempotent, also across the ESM and CommonJS copies', () => {
    expect(patchHttp2()).toBe(true);
    const patched = http2.connect;
    expect([patchHttp2(), cjs.patchHttp2()]).toEqual([false, false]);
    expect(http2.connect).toBe(patched);
    expect([patched.name, patched.length]).toEqual([nativeConnect.name, nativeConnect.length]);
    expect(typeof (patched as unknown as Record<symbol, unknown>)[promisify.custom]).toBe('function');
    expect(cjs.unpatchHttp2()).toBe(true);
    expect([unpatchHttp2(), cjs.unpatchHttp2()]).toEqual([false, false]);
  });

  it('scopes sessions from http2.connect and restores everything on unpatch', async () => {
    const before = clientPrototype(server.connect(http2.connect, 'session')).request;
    patchHttp2();
    expect(await continueUpload(server.connect(http2.connect, 'session'))).toEqual(scoped);
    unpatchHttp2();
    const session = server.connect(http2.connect, 'session');
    expect(clientPrototype(session).request).toBe(before);
    expect(await continueUpload(session)).toEqual(expect.objectContaining({ headers: ['request'] }));
  });

  it('a session shimmed twice (patch plus connect()) is scoped once and emits continue once', async () => {
    patchHttp2();
    const session = server.connect(connect, 'session');
    let created = 0;
    const hook = createHook({
      init: (_id, type) => {
        if (type === 'PendingRequest') created++;
      },
    }).enable();
    const result = continueUpload(session);
    hook.disable();
    expect(await result).toEqual(scoped);
    expect(created).toBe(2); // Node's own PendingRequest and ours: not a third
  });

  it('sessions from connect() and wrapSession() stay scoped after unpatch', async () => {
    patchHttp2();
    const fromConnect = server.connect(connect, 'session');
    const wrapped = wrapSession(server.connect(nativeConnect, 'session'));
    unpatchHttp2();
    expect(await continueUpload(fromConnect)).toEqual(scoped);
    expect(await continueUpload(wrapped)).toEqual(scoped);
  });

  it('unpatch leaves a later patch in place and only turns ours off; patch turns it back on', async () => {
    patchHttp2();
    const ours = http2.connect;
    const theirs = function connect(this: unknown, ...args: unknown[]) {
      return Reflect.apply(ours, this, args);
    };
    http2.connect = theirs as typeof http2.connect;
    try {
      expect(unpatchHttp2()).toBe(true);
      expect(http2.connect).toBe(theirs);
      expect(await continueUpload(server.connect(http2.connect, 'session'))).toEqual(
        expect.objectContaining({ headers: ['request'] }),
      );
      expect(patchHttp2()).toBe(true);
      expect(http2.connect).toBe(theirs);
      expect(await continueUpload(server.connect(http2.connect, 'session'))).toEqual(scoped);
    } finally {
      unpatchHttp2();
      http2.connect = ours; // they unhook themselves...
      expect(unpatchHttp2()).toBe(true); // ...and ours, already off, now comes out too
      expect(http2.connect).toBe(nativeConnect);
      expect(unpatchHttp2()).toBe(false); // nothing of ours left
    }
  });

  it("pushed streams of a patched connect() run in the session's connect-time scope", async () => {
    patchHttp2();
    const session = server.connect(http2.connect, 'session');
    const pushedData = new Promise((resolve) =>
      session.once('stream', (pushed: http2.ClientHttp2Stream) => pushed.once('data', () => resolve(als.getStore()))),
    );
    requestIn(session, 'request', { ':path': '/push' }, []);
    expect(await pushedData).toBe('session');
  });
});
