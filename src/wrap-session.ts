import { AsyncResource } from 'node:async_hooks';
import type { ClientHttp2Session, ClientHttp2Stream } from 'node:http2';
import http2 from 'node:http2';
import { bindStreamToScope } from './bind-stream.js';
import { invalidArgType } from './errors.js';
import { kPatchState, kSession, kShim } from './symbols.js';

type Request = ClientHttp2Session['request'];
type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

/** What the register patch shares, on `node:http2`, with the sessions it wraps. */
export interface PatchGate {
  /** False once `unpatchHttp2()` ran: sessions wrapped by the patch then act natively. */
  readonly active: boolean;
  /** Shown every client session that passes through the package, to find the class's prototype. */
  noteSession(session: ClientHttp2Session): void;
}

/** Per wrapped session; one object, so a session grows by one property and two own methods. */
interface SessionState {
  /** Carries the connect-time context into pushed streams; destroyed when the session closes. */
  scope: AsyncResource | null;
  /** Set while only the register patch wrapped the session: it is scoped while the patch is on. */
  gate: PatchGate | undefined;
  /** The session's own `request`/`emit` from before we wrapped it, if it had any. */
  requestBelow: Request | undefined;
  emitBelow: Emit | undefined;
  request: Request;
}

interface WrappedSession extends ClientHttp2Session {
  [kSession]?: SessionState;
}

/**
 * A `request` that captures a `PendingRequest` scope first, synchronously, so that a request
 * queued before the session connects still belongs to its caller. `below(session)` gives the
 * `request` beneath, looked up per call; `scopes(below)` says whether to scope this one. The
 * arguments are forwarded where they are (`Reflect.apply(…, arguments)`): handing the arguments
 * object to another function would allocate it on every request.
 */
export function scopingRequest(
  below: (session: ClientHttp2Session) => Request,
  scopes: (below: Request) => boolean,
): Request {
  // A method, as the session class's `request` is: `new session.request()` throws as natively.
  const methods = {
    request(this: ClientHttp2Session, headers?: unknown, options?: unknown) {
      const original = below(this);
      if (!scopes(original)) return Reflect.apply(original, this, arguments);
      const scope = new AsyncResource('PendingRequest');
      let stream: ClientHttp2Stream;
      try {
        stream = Reflect.apply(original, this, arguments) as ClientHttp2Stream;
      } catch (error) {
        scope.emitDestroy();
        throw error;
      }
      bindOrDestroy(stream, scope);
      return stream;
    },
  };
  return methods.request as Request;
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
 * session's connect-time context. One per stream, because `close` destroys it.
 */
function newPushedStreamScope(): AsyncResource {
  return new AsyncResource('Http2PushedStream');
}

/** True while `state` should scope: always for explicit wraps, while the patch is on for its own. */
function scoping(state: SessionState): boolean {
  return state.scope !== null && (state.gate === undefined || state.gate.active);
}

/**
 * The `request` a session gets: bound to that session rather than reading state from `this`,
 * so that `session.request.call(other, headers)` opens a scoped request on `other`, as natively
 * it opens one there. The function beneath is looked up per call, never copied.
 */
function scopedRequestFor(session: ClientHttp2Session, state: SessionState): Request {
  const below = () => (state.requestBelow ?? Object.getPrototypeOf(session).request) as Request;
  // Beneath us is the active register patch (from either module copy): it scopes the request once.
  const scopes = (request: Request) => (request as { [kShim]?: boolean })[kShim] !== true && scoping(state);
  return scopingRequest(below, scopes);
}

/**
 * Installed as a wrapped session's `emit`. Its jobs are server push (a pushed stream has no
 * request of ours, so all of its events run in the session's connect-time context) and, on
 * `close`, giving the session back what it had.
 */
function sessionEmit(this: WrappedSession, event: string | symbol): boolean {
  const state = this[kSession];
  const emit = (state?.emitBelow ?? Object.getPrototypeOf(this).emit) as Emit;
  if (state === undefined || state.scope === null) return Reflect.apply(emit, this, arguments) as boolean;
  if (event === 'stream' && scoping(state))
    bindOrDestroy(arguments[1] as ClientHttp2Stream, state.scope.runInAsyncScope(newPushedStreamScope));
  if (event !== 'close') return Reflect.apply(emit, this, arguments) as boolean;
  try {
    return Reflect.apply(emit, this, arguments) as boolean;
  } finally {
    releaseSession(this, state);
  }
}

/**
 * Ends the session's resource exactly once and takes our `request` and `emit` off the session,
 * each only while ours is still the one installed: a wrapper another library put on top stays.
 */
function releaseSession(session: WrappedSession, state: SessionState): void {
  const scope = state.scope!;
  state.scope = null;
  restoreOwn(session, 'emit', sessionEmit, state.emitBelow);
  restoreOwn(session, 'request', state.request, state.requestBelow);
  scope.emitDestroy();
}

function restoreOwn(target: object, key: 'emit' | 'request', ours: unknown, below: unknown): void {
  const holder = target as Record<string, unknown>;
  if (!Object.hasOwn(holder, key) || holder[key] !== ours) return;
  if (below === undefined) delete holder[key];
  else holder[key] = below;
}

/** True for anything that quacks like a client session: `http2.connect()` has no exported class. */
export function isClientSession(value: unknown): value is ClientHttp2Session {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ClientHttp2Session).request === 'function' &&
    typeof (value as ClientHttp2Session).emit === 'function'
  );
}

/**
 * Wraps `session` for the package. `gate` is the register patch's when the patch wraps a session
 * on its own; an explicit wrap (`gate` undefined) of a session the patch wrapped makes it
 * permanent, so that `connect()` sessions stay scoped after `unpatchHttp2()`.
 */
export function bindSession<T extends ClientHttp2Session>(session: T, gate: PatchGate | undefined): T {
  (http2 as { [kPatchState]?: PatchGate })[kPatchState]?.noteSession(session);
  const target = session as WrappedSession;
  const existing = target[kSession];
  if (existing !== undefined) {
    if (gate === undefined) existing.gate = undefined;
    return session;
  }
  const state: SessionState = {
    scope: new AsyncResource('Http2ClientSession'),
    gate,
    requestBelow: Object.hasOwn(target, 'request') ? target.request : undefined,
    emitBelow: Object.hasOwn(target, 'emit') ? (target.emit as Emit) : undefined,
    request: undefined as unknown as Request,
  };
  state.request = scopedRequestFor(session, state);
  target[kSession] = state;
  coverOwn(target, 'emit', sessionEmit);
  coverOwn(target, 'request', state.request);
  return session;
}

/**
 * Puts `ours` on the session as its own `key`, as unseen as the inherited method it covers:
 * not enumerable (keys, spread and `for…in` see what they see natively), unless it covers an
 * own property someone assigned, whose enumerability it keeps. Once per session, not per request.
 */
function coverOwn(target: object, key: 'emit' | 'request', ours: unknown): void {
  const own = Object.getOwnPropertyDescriptor(target, key);
  if (own?.configurable === false) (target as Record<string, unknown>)[key] = ours;
  else
    Object.defineProperty(target, key, {
      value: ours,
      writable: true,
      enumerable: own?.enumerable ?? false,
      configurable: true,
    });
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
  return bindSession(session, undefined);
}
