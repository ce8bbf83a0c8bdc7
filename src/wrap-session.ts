import { AsyncResource } from 'node:async_hooks';
import type { ClientHttp2Session, ClientHttp2Stream } from 'node:http2';
import { bindStreamToScope } from './bind-stream.js';
import { invalidArgType } from './errors.js';
import { kOriginalEmit, kOriginalRequest, kScope, kShim } from './symbols.js';

type Request = ClientHttp2Session['request'];
type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

interface WrappedSession extends ClientHttp2Session {
  [kScope]: AsyncResource;
  [kOriginalEmit]: Emit;
  [kOriginalRequest]?: Request;
}

/**
 * Runs `request` for `session` with a `PendingRequest` scope captured first, synchronously, so
 * that a request queued before the session connects still belongs to its caller.
 */
export function requestInScope(request: Request, session: ClientHttp2Session, args: IArguments): ClientHttp2Stream {
  const scope = new AsyncResource('PendingRequest');
  let stream: ClientHttp2Stream;
  try {
    stream = Reflect.apply(request, session, args) as ClientHttp2Stream;
  } catch (error) {
    scope.emitDestroy();
    throw error;
  }
  bindOrDestroy(stream, scope);
  return stream;
}

/**
 * Binds `stream` to `scope`, its own new resource. Already bound means another copy of this shim
 * sits below us and captured the same context, so ours ends at once.
 */
function bindOrDestroy(stream: ClientHttp2Stream, scope: AsyncResource): void {
  if (!bindStreamToScope(stream, scope)) scope.emitDestroy();
}

/**
 * A pushed stream's own resource, created inside the session's scope so that it carries the
 * session's connect-time context. One per stream, because `close` destroys it: sharing the
 * session's resource would have async_hooks see that destroyed once per pushed stream.
 */
function newPushedStreamScope(): AsyncResource {
  return new AsyncResource('Http2PushedStream');
}

/** Installed as a wrapped session's own `request`; shared by every session. */
function request(this: WrappedSession, headers?: unknown, options?: unknown): ClientHttp2Stream {
  const original = this[kOriginalRequest] as Request & { [kShim]?: boolean };
  // Beneath us is the active register patch (from either module copy): it scopes the request once.
  if (original[kShim] === true) return Reflect.apply(original, this, arguments) as ClientHttp2Stream;
  return requestInScope(original, this, arguments);
}

/**
 * Installed as a wrapped session's `emit`. Its only job is server push: a pushed stream has no
 * request of ours, so all of its events run in the session's own (connect-time) context.
 */
function sessionEmit(this: WrappedSession, event: string | symbol): boolean {
  if (event === 'stream') bindOrDestroy(arguments[1] as ClientHttp2Stream, this[kScope].runInAsyncScope(newPushedStreamScope));
  return Reflect.apply(this[kOriginalEmit], this, arguments) as boolean;
}

/** True for anything that quacks like a client session: `http2.connect()` has no exported class. */
function isClientSession(value: unknown): value is ClientHttp2Session {
  return typeof value === 'object' && value !== null &&
    typeof (value as ClientHttp2Session).request === 'function' &&
    typeof (value as ClientHttp2Session).emit === 'function';
}

/**
 * Binds a client session created elsewhere, so every stream it opens runs its events in the
 * scope of the `request()` call that opened it. Wrapping twice is the same as wrapping once.
 *
 * @example
 * ```ts
 * import http2 from 'node:http2';
 * import { wrapSession } from 'http2-async-context';
 *
 * const session = wrapSession(http2.connect('https://example.com'));
 * ```
 */
export function wrapSession<T extends ClientHttp2Session>(session: T): T {
  if (!isClientSession(session)) throw invalidArgType('session', 'an instance of ClientHttp2Session', session);
  const target = session as unknown as WrappedSession;
  if (target[kScope] !== undefined) return session;
  target[kScope] = new AsyncResource('Http2ClientSession');
  target[kOriginalEmit] = target.emit as Emit;
  target.emit = sessionEmit;
  target[kOriginalRequest] = target.request;
  target.request = request as Request;
  return session;
}
