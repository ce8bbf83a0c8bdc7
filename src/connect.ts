// The exported types go through a namespace import: a default import in the emitted .d.ts would
// need esModuleInterop in every consumer, and degrades `connect` to `any` under skipLibCheck.
import type * as http2Types from 'node:http2';
import http2 from 'node:http2';
import { promisify } from 'node:util';
import { bindSession, isClientSession } from './wrap-session.js';

type Connect = typeof http2Types.connect;

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
export const connect: Connect = withPromisifiedForm(function connect(
  authority: unknown,
  options?: unknown,
  listener?: unknown,
) {
  // Looked up per call, not at import: another patch of http2.connect (an APM agent, our own
  // register) keeps working underneath, and a wrapped session is left as it is. What is not a
  // session (a test double's return value) is handed back untouched.
  const session = Reflect.apply(http2.connect, http2, arguments) as unknown;
  return isClientSession(session) ? bindSession(session, undefined) : session;
} as Connect);

/**
 * Gives a `connect` replacement the promisified form the runtime defines on `http2.connect`
 * (resolving once the session is connected, rejecting on its first error), built on the
 * replacement itself, with the same property attributes. Only where the runtime has one.
 */
export function withPromisifiedForm(replacement: Connect, original: Connect = http2.connect): Connect {
  const descriptor = Object.getOwnPropertyDescriptor(original, promisify.custom);
  if (descriptor === undefined) return replacement;
  const connectAsync = (authority: string | URL, options?: http2.ClientSessionOptions) =>
    new Promise<http2.ClientHttp2Session>((resolve, reject) => {
      const session = replacement(authority, options, () => {
        session.removeListener('error', reject);
        resolve(session);
      });
      session.once('error', reject);
    });
  const { writable, enumerable, configurable } = descriptor;
  Object.defineProperty(replacement, promisify.custom, { value: connectAsync, writable, enumerable, configurable });
  return replacement;
}
