import { createHook } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import http2 from 'node:http2';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, patchHttp2, unpatchHttp2, wrapSession } from '../dist/esm/index.js';
import { als, once, requestIn, transports, useServer } from './helpers/h2.js';

const nativeConnect = http2.connect;
type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

afterEach(() => {
  unpatchHttp2();
  http2.connect = nativeConnect;
});

/** Ids of the async resources of `type` created, and destroyed, while the hook is on. */
function trackResources(type: string) {
  const created: number[] = [];
  const destroyed: number[] = [];
  const hook = createHook({
    init: (id, initType) => {
      if (initType === type) created.push(id);
    },
    destroy: (id) => {
      destroyed.push(id);
    },
  }).enable();
  return { created, destroyed, stop: () => hook.disable() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('patchHttp2() next to a test double or an earlier connect wrapper', () => {
  it('calls nobody to find the session prototype and writes nothing onto Object.prototype', () => {
    let calls = 0;
    const double = () => {
      calls++;
      return {
        on() {
          return this;
        },
        destroy() {},
      };
    };
    http2.connect = double as never;
    expect(patchHttp2()).toBe(true);
    expect(calls).toBe(0);
    const fake = http2.connect('http://127.0.0.1:1');
    expect(calls).toBe(1);
    expect(Object.hasOwn(fake, 'request') || Object.hasOwn(fake, 'emit')).toBe(false);
    expect(unpatchHttp2()).toBe(true);
    expect(http2.connect).toBe(double);
    expect(Object.hasOwn(Object.prototype, 'request')).toBe(false);
  });

  it('does not throw when a double returns undefined, and hands undefined back', () => {
    http2.connect = (() => undefined) as never;
    expect(() => patchHttp2()).not.toThrow();
    expect(http2.connect('http://127.0.0.1:1')).toBeUndefined();
    expect(connect('http://127.0.0.1:1')).toBeUndefined();
  });
});

describe.each(transports)('coexistence over $name', (transport) => {
  const server = useServer(transport);
  const upload = { ':path': '/continue', ':method': 'POST', expect: '100-continue' } as const;

  it('learns the session prototype from the first real session, so earlier connect copies get scoped requests', async () => {
    const copied = http2.connect;
    patchHttp2();
    server.connect(http2.connect, 'session');
    const { seen, closed } = requestIn(server.connect(copied, 'session'), 'request', { ':path': '/trailers' }, ['end']);
    await closed;
    expect(seen.get('end')).toEqual(['request']);
  });

  it('after unpatch, sessions the patch created act natively again', async () => {
    patchHttp2();
    const session = server.connect(http2.connect, 'session');
    unpatchHttp2();
    const { stream, seen, closed } = requestIn(session, 'request', upload, ['continue', 'headers'], {
      endStream: false,
    });
    stream.on('continue', () => stream.end('body'));
    await closed;
    expect(seen.get('headers')).toHaveLength(1); // native: a 100 emits headers too
    expect(Object.getOwnPropertySymbols(stream).map(String)).not.toContain('Symbol(http2-async-context.scope)');
  });

  it('a later patch of EventEmitter.prototype.emit sees every event of a bound stream, before and after close, as natively', async () => {
    const eventsOf = async (connectFn: typeof http2.connect) => {
      const session = server.connect(connectFn, 'session');
      const { stream, closed } = requestIn(session, 'request', { ':path': '/trailers' }, ['end']);
      const seen: Array<string | symbol> = [];
      const protoEmit = EventEmitter.prototype.emit;
      EventEmitter.prototype.emit = function spy(this: unknown, event: string | symbol, ...args: unknown[]) {
        if (this === stream) seen.push(event);
        return Reflect.apply(protoEmit, this, [event, ...args]);
      } as Emit as typeof protoEmit;
      const late: unknown[] = [];
      try {
        await closed;
        await tick();
        // A closed stream may keep our released emit; what it must do is pass events through,
        // to whatever emit is beneath now, in the emitter's context rather than the request's.
        stream.on('late', () => late.push(als.getStore()));
        als.run('emitter', () => stream.emit('late'));
      } finally {
        EventEmitter.prototype.emit = protoEmit;
      }
      return { seen, late };
    };
    const native = await eventsOf(nativeConnect);
    const shimmed = await eventsOf(connect);
    expect(native.seen.length).toBeGreaterThan(5);
    expect(native.seen).toContain('late');
    expect(shimmed).toEqual(native);
    expect(shimmed.late).toEqual(['emitter']);
  });

  it("leaves another library's emit wrapper in place on close and destroys the scope once", async () => {
    const session = server.connect(connect, 'session');
    const { stream, closed } = requestIn(session, 'request', { ':path': '/plain' }, []);
    const ourScope = (stream as unknown as Record<symbol, { asyncId(): number }>)[
      Symbol.for('http2-async-context.scope.v1')
    ]!.asyncId();
    const ours = stream.emit;
    const theirs = function theirs(this: unknown, ...args: unknown[]) {
      return Reflect.apply(ours, this, args);
    };
    stream.emit = theirs as typeof stream.emit;
    const hook = trackResources('none');
    try {
      await closed;
      expect(stream.emit).toBe(theirs);
      stream.emit = ours; // they unhook themselves...
      stream.emit('close'); // ...and something emits close once more
      await tick();
      expect(hook.destroyed.filter((id) => id === ourScope)).toHaveLength(1);
    } finally {
      hook.stop();
    }
  });

  it('session.request.call(otherSession) opens a scoped request on the other session, as natively', async () => {
    const wrapped = server.connect(connect, 'session');
    const other = server.connect(nativeConnect, 'other');
    const { stream, closed, openedOn } = als.run('request', () => {
      const opened = wrapped.request.call(other, { ':path': '/trailers' });
      opened.resume();
      return { stream: opened, closed: once(opened, 'close'), openedOn: opened.session };
    });
    const seen: unknown[] = [];
    stream.on('end', () => seen.push(als.getStore()));
    await closed;
    expect(openedOn).toBe(other);
    expect(seen).toEqual(['request']);
  });

  it("destroys the session's own resource once when it closes, and takes back its methods", async () => {
    const resources = trackResources('Http2ClientSession');
    try {
      const session = server.connect(connect, 'session');
      await once(session, 'connect');
      session.close();
      await once(session, 'close');
      await tick();
      expect(resources.created).toHaveLength(1);
      expect(resources.destroyed.filter((id) => id === resources.created[0])).toHaveLength(1);
      expect([Object.hasOwn(session, 'request'), Object.hasOwn(session, 'emit')]).toEqual([false, false]);
    } finally {
      resources.stop();
    }
  });
});

describe('errors and descriptors match Node', () => {
  const nativeReceived = (value: unknown) => {
    try {
      Readable.fromWeb(value as never);
    } catch (error) {
      return (error as Error).message.split('. Received ')[1];
    }
  };

  it("wrapSession(bad) says what it received in Node's words, with the code in the stack", () => {
    const bad = [
      http2.createServer(),
      function named() {},
      'x'.repeat(40),
      "it's",
      42,
      10n,
      Symbol('s'),
      null,
      undefined,
      Object.create(null),
    ];
    for (const value of bad) {
      let error: Error & { code?: string } = new Error('did not throw');
      try {
        wrapSession(value as never);
      } catch (thrown) {
        error = thrown as typeof error;
      }
      expect(error.message).toBe(
        `The "session" argument must be an instance of ClientHttp2Session. Received ${nativeReceived(value)}`,
      );
      expect(error.stack!.split('\n')[0]).toBe(`TypeError [ERR_INVALID_ARG_TYPE]: ${error.message}`);
      expect(String(error)).toBe(`TypeError [ERR_INVALID_ARG_TYPE]: ${error.message}`);
      expect([error instanceof TypeError, error.name, error.constructor.name, Object.keys(error)]).toEqual([
        true,
        'TypeError',
        'TypeError',
        ['code'],
      ]);
    }
  });

  it('connect[util.promisify.custom] has the attributes of the native one, patched or not', () => {
    const attributes = (fn: object) => {
      const { writable, enumerable, configurable } = Object.getOwnPropertyDescriptor(fn, promisify.custom)!;
      return { writable, enumerable, configurable };
    };
    const native = attributes(nativeConnect);
    expect(attributes(connect)).toEqual(native);
    patchHttp2();
    expect(attributes(http2.connect)).toEqual(native);
  });

  it('promisify(connect) rejects with the native error when the connection fails', async () => {
    const failure = (fn: typeof http2.connect) =>
      (promisify(fn) as unknown as (a: string) => Promise<unknown>)('http://127.0.0.1:1').then(
        () => 'connected',
        (error: NodeJS.ErrnoException) => error.code,
      );
    expect(await failure(nativeConnect)).toBe('ECONNREFUSED');
    expect(await failure(connect)).toBe('ECONNREFUSED');
  });
});
