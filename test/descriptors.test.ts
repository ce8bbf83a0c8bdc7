import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, patchHttp2, unpatchHttp2, wrapSession } from '../dist/esm/index.js';
import { requestIn, transports, useServer } from './helpers/h2.js';

type Connect = typeof http2.connect;

afterEach(() => {
  unpatchHttp2();
});

/** What `new fn(...args)` does: the constructed value's kind (a session is destroyed at once), or the error's class. */
function construct(fn: unknown, args: unknown[]): string {
  try {
    const value = Reflect.construct(fn as new (...args: unknown[]) => unknown, args);
    if (!(value instanceof EventEmitter) || typeof (value as { request?: unknown }).request !== 'function')
      return typeof value;
    (value as http2.ClientHttp2Session).destroy();
    return 'a session';
  } catch (error) {
    return `throws ${(error as Error).constructor.name}`;
  }
}

/**
 * Whether `new` can call `fn` at all, found without calling it: `Reflect.construct` rejects a
 * new.target that is not a constructor before it runs anything.
 */
function isConstructor(fn: unknown): boolean {
  try {
    Reflect.construct(Object, [], fn as new () => unknown);
    return true;
  } catch {
    return false;
  }
}

/** The own keys that `Object.keys`, spread and `for…in` see, which the package must not add to. */
const visibleKeys = (session: http2.ClientHttp2Session) => Object.keys({ ...session }).sort();

describe.each(transports)('a patched session looks like a native one over $name', (transport) => {
  const server = useServer(transport);

  /** Each way the package patches a session, and the session it gives. */
  const patchedSessions: Array<[string, () => http2.ClientHttp2Session]> = [
    ['connect()', () => server.connect(connect, undefined)],
    ['wrapSession()', () => wrapSession(server.connect(http2.connect, undefined))],
    [
      'patchHttp2()',
      () => {
        patchHttp2();
        return server.connect(http2.connect, undefined);
      },
    ],
  ];

  it.each(patchedSessions)('%s adds no enumerable key, and its requests stay scoped', async (_how, open) => {
    const native = server.connect(http2.connect, undefined);
    const session = open();
    expect(visibleKeys(session)).toEqual(visibleKeys(native));
    for (const key of ['request', 'emit'])
      expect(Object.getOwnPropertyDescriptor(session, key)).toMatchObject({ enumerable: false, writable: true });
    const { seen, closed } = requestIn(session, 'request', { ':path': '/trailers' }, ['end']);
    await closed;
    expect(seen.get('end')).toEqual(['request']);
  });

  it.each(patchedSessions)('`new session.request()` on %s throws as on a native session', async (_how, open) => {
    const native = server.connect(http2.connect, undefined);
    const session = open();
    const headers = { ':path': '/trailers' };
    // The prototype's `request` (patched by patchHttp2()) is a method too.
    const requests = [native.request, session.request, Object.getPrototypeOf(session).request];
    expect(requests.map(isConstructor)).toEqual([false, false, false]);
    expect(requests.map((request) => construct(request, [headers]))).toEqual(Array(3).fill('throws TypeError'));
    const { seen, closed } = requestIn(session, 'request', headers, ['end']);
    await closed;
    expect(seen.get('end')).toEqual(['request']);
  });

  it('an own enumerable `request` someone assigned before wrapping stays enumerable, as it was', async () => {
    const session = server.connect(http2.connect, undefined);
    const inherited = session.request;
    let calls = 0;
    session.request = function request(this: http2.ClientHttp2Session, ...args: Parameters<typeof inherited>) {
      calls++;
      return inherited.apply(this, args);
    };
    wrapSession(session);
    expect(Object.getOwnPropertyDescriptor(session, 'request')?.enumerable).toBe(true);
    expect(Object.getOwnPropertyDescriptor(session, 'emit')?.enumerable).toBe(false);
    const { seen, closed } = requestIn(session, 'request', { ':path': '/trailers' }, ['end']);
    await closed;
    expect([calls, seen.get('end')]).toEqual([1, ['request']]);
  });

  it('`new connect()` and `new` on the patched http2.connect construct as `new http2.connect()` does', () => {
    const args = [server.origin, transport.client];
    const results = [construct(http2.connect, args), construct(connect, args)];
    const constructible = [isConstructor(http2.connect), isConstructor(connect)];
    patchHttp2();
    results.push(construct(http2.connect as Connect, args));
    constructible.push(isConstructor(http2.connect));
    expect(results).toEqual(['a session', 'a session', 'a session']);
    expect(constructible).toEqual([true, true, true]);
  });
});

const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = 'test/fixtures/session-descriptors.mjs';
/** The runtimes the issue names, each with its way of preloading `register`; one not installed is skipped. */
const runtimes = [
  { name: 'Node 20', bin: process.execPath, preload: ['--import', 'http2-async-context/register'] },
  {
    name: 'Node 24',
    bin: `${root}node_modules/node24/bin/node`,
    preload: ['--import', 'http2-async-context/register'],
  },
  { name: 'Bun', bin: `${root}node_modules/bun/bin/bun.exe`, preload: ['--preload', './dist/esm/register.js'] },
].filter(({ bin }) => existsSync(bin));

/** Runs the fixture on `bin` with `args` before it; parses the JSON line it prints. */
function runFixtureOn(bin: string, args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(bin, [...args, fixture], { cwd: root, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${bin} ${fixture} failed: ${error.message}\n${stdout}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}

describe.each(runtimes)('under register on $name, a session', ({ bin, preload }) => {
  it('shows keys, `new` and constructibility as natively, with non-enumerable own methods, and scopes', async () => {
    const [native, registered] = await Promise.all([runFixtureOn(bin, []), runFixtureOn(bin, preload)]);
    const { request, emit, endStore, ...visible } = registered;
    const { request: _request, emit: _emit, endStore: _endStore, ...nativeVisible } = native;
    expect(visible).toEqual(nativeVisible);
    expect(visible).toMatchObject({
      keys: [],
      spread: [],
      requestIsConstructor: false,
      newRequest: 'throws TypeError',
    });
    expect([request, emit]).toEqual([
      { enumerable: false, writable: true },
      { enumerable: false, writable: true },
    ]);
    expect(endStore).toBe('request');
  });
});
