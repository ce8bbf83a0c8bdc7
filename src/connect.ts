import http2 from 'node:http2';
import { promisify } from 'node:util';
import { wrapSession } from './wrap-session.js';

/**
 * `http2.connect()` with AsyncLocalStorage context kept: every event of a stream returned by
 * `session.request()` runs in the context that was active when `request()` was called, and
 * every event of a pushed stream in the context that was active here, at `connect()`.
 *
 * Same overloads, argument checks, errors and return type as `http2.connect`.
 *
 * @example
 * ```ts
 * import { AsyncLocalStorage } from 'node:async_hooks';
 * import { connect } from 'http2-async-context';
 *
 * const als = new AsyncLocalStorage<{ traceId: string }>();
 * const session = connect('https://example.com');
 * als.run({ traceId: 'abc' }, () => {
 *   const req = session.request({ ':path': '/' });
 *   req.on('end', () => console.log(als.getStore()?.traceId)); // 'abc', on every runtime
 *   req.resume();
 * });
 * ```
 */
export const connect = function connect(authority: unknown, options?: unknown, listener?: unknown) {
  // Looked up per call, not at import: another patch of http2.connect (an APM agent, our own
  // register) keeps working underneath, and a wrapped session is left as it is.
  return wrapSession(Reflect.apply(http2.connect, http2, arguments) as http2.ClientHttp2Session);
} as typeof http2.connect;

// Node gives `connect` a promisified form that resolves once the session is connected.
if (promisify.custom in http2.connect) {
  Object.defineProperty(connect, promisify.custom, {
    configurable: true,
    value: (authority: string | URL, options?: http2.ClientSessionOptions) =>
      new Promise<http2.ClientHttp2Session>((resolve) => {
        const session = connect(authority, options, () => resolve(session));
      }),
  });
}
