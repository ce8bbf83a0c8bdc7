import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { connect } from '../dist/esm/index.js';
import { runFixture } from './helpers/child.js';
import { once, transports, useServer } from './helpers/h2.js';

type Outcome = { when: 'sync' | 'event'; name: string; code: unknown };

/** How a call fails: thrown synchronously, or as the session's first `error` event. */
async function outcome(call: () => http2.ClientHttp2Session): Promise<Outcome | 'no error'> {
  let session: http2.ClientHttp2Session;
  try {
    session = call();
  } catch (error) {
    return { when: 'sync', name: (error as Error).name, code: (error as NodeJS.ErrnoException).code };
  }
  const [first] = await Promise.race([once(session, 'error'), once(session, 'connect').then(() => ['no error'])]);
  session.destroy();
  if (first === 'no error') return 'no error';
  return { when: 'event', name: (first as Error).name, code: (first as NodeJS.ErrnoException).code };
}

describe('bad input fails as it does natively', () => {
  const badConnects: Array<[string, unknown[]]> = [
    ['an authority that is not a URL', ['not a url']],
    ['an unsupported protocol', ['ftp://127.0.0.1:1']],
    ['an authority of the wrong type', [42]],
    ['an invalid setting', ['http://127.0.0.1:1', { settings: { maxFrameSize: 1 } }]],
    ['options of the wrong type', ['http://127.0.0.1:1', 'options']],
    ['a refused connection', ['http://127.0.0.1:1']],
  ];
  it.each(badConnects)('connect() with %s', async (_, args) => {
    const native = await outcome(() => Reflect.apply(http2.connect, http2, args));
    const shimmed = await outcome(() => Reflect.apply(connect, undefined, args));
    expect(native).not.toBe('no error');
    expect(shimmed).toEqual(native);
  });
});

describe.each(transports)('request errors over $name', (transport) => {
  const server = useServer(transport);

  it('request() on a destroyed session throws the native error synchronously', () => {
    const errorOf = (session: http2.ClientHttp2Session) => {
      session.destroy();
      try {
        session.request({ ':path': '/plain' });
      } catch (error) {
        return error as NodeJS.ErrnoException;
      }
    };
    const native = errorOf(server.connect(http2.connect, 'session'));
    const shimmed = errorOf(server.connect(connect, 'session'));
    expect(native?.code).toBe('ERR_HTTP2_INVALID_SESSION');
    expect([shimmed?.constructor, shimmed?.code]).toEqual([native?.constructor, native?.code]);
  });

  it('request() with invalid headers throws the native error synchronously', () => {
    const errorOf = (session: http2.ClientHttp2Session) => {
      try {
        session.request({ connection: 'close' });
      } catch (error) {
        return error as NodeJS.ErrnoException;
      }
    };
    const native = errorOf(server.connect(http2.connect, 'session'));
    const shimmed = errorOf(server.connect(connect, 'session'));
    expect(native?.code).toBe('ERR_HTTP2_INVALID_CONNECTION_HEADERS');
    expect([shimmed?.constructor, shimmed?.code]).toEqual([native?.constructor, native?.code]);
  });
});

describe('a listener that throws', () => {
  for (const event of ['response', 'end', 'close'] as const) {
    it(`in ${event} surfaces once, as uncaughtException, exactly as natively`, async () => {
      const native = await runFixture('throwing-listener.mjs', ['native', event]);
      const shimmed = await runFixture('throwing-listener.mjs', ['shimmed', event]);
      expect(shimmed).toMatchObject({ thrown: [`boom in ${event}`], storeInListener: 'request' });
      expect({ ...(shimmed as object), storeInListener: 'n/a' }).toEqual({
        ...(native as object),
        storeInListener: 'n/a',
      });
    });
  }

  it('an error event nobody listens for surfaces once, as uncaughtException, exactly as natively', async () => {
    const native = await runFixture('throwing-listener.mjs', ['native', 'unhandled-error']);
    const shimmed = await runFixture('throwing-listener.mjs', ['shimmed', 'unhandled-error']);
    expect(shimmed).toMatchObject({ thrown: ['ERR_HTTP2_STREAM_ERROR'] });
    expect(shimmed).toEqual(native);
  });
});
