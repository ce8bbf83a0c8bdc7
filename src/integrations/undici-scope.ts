// The scope of one undici request: a handler whose callbacks run in it, made at the first hop of
// ours a dispatch reaches. What the explicit helpers and the register patch of undici
// (./undici.ts) both use.
import { AsyncResource } from 'node:async_hooks';
import { kUndiciOwnsScope, kUndiciScope, kUndiciTarget } from '../symbols.js';
import { sharedClientState } from './shared-state.js';

/** Every callback of an undici dispatch handler: undici 6's and 7's legacy set, and undici 7's own. */
const handlerMethods = [
  'onConnect',
  'onHeaders',
  'onData',
  'onComplete',
  'onError',
  'onUpgrade',
  'onBodySent',
  'onRequestSent',
  'onResponseStarted',
  'onRequestStart',
  'onRequestUpgrade',
  'onResponseStart',
  'onResponseData',
  'onResponseEnd',
  'onResponseError',
] as const;

/** After these a handler hears nothing more, so the scope ends. */
const lastCallbacks = new Set<string>([
  'onComplete',
  'onError',
  'onUpgrade',
  'onRequestUpgrade',
  'onResponseEnd',
  'onResponseError',
]);

interface ScopedHandler {
  [kUndiciTarget]: Record<string, unknown>;
  [kUndiciScope]: AsyncResource;
  [kUndiciOwnsScope]?: boolean;
}
type Callback = (this: unknown, ...args: unknown[]) => unknown;

/**
 * One shared function per callback name (no closure per request): it reads the target's method
 * when undici calls it, not when the handler was wrapped, so a handler that swaps its own
 * callbacks mid-request, or defines them as getters, gets the one it has now.
 */
function scopedCallback(method: string): Callback {
  const callback = function (this: unknown, ...args: unknown[]) {
    const self = this as ScopedHandler;
    const target = self[kUndiciTarget];
    const scope = self[kUndiciScope];
    try {
      const own = target[method];
      // As undici's own wrappers do for a callback that is gone: nothing to call.
      if (typeof own !== 'function') return undefined;
      return scope.runInAsyncScope(own as Callback, target, ...args);
    } finally {
      if (self[kUndiciOwnsScope] === true && lastCallbacks.has(method)) {
        self[kUndiciOwnsScope] = false;
        scope.emitDestroy();
      }
    }
  };
  Object.defineProperty(callback, 'name', { value: method });
  return callback;
}

const scopedCallbacks = new Map<string, Callback>(handlerMethods.map((method) => [method, scopedCallback(method)]));

/** Own property only: an interceptor's handler made with `Object.create(ours)` is not ours. */
export const isScoped = (handler: unknown): handler is ScopedHandler =>
  typeof handler === 'object' && handler !== null && Object.hasOwn(handler, kUndiciScope);

/**
 * `handler`, with each callback it has running inside `scope`. undici picks its handler protocol
 * by which methods a handler has, so the scoped one has exactly the ones `handler` has now;
 * anything else is read through to `handler`, its prototype. Frozen handlers, frozen prototypes
 * and getters work: the scoped handler only defines properties on itself.
 */
function scopedHandler(handler: object, scope: AsyncResource, owns: boolean): ScopedHandler {
  const scoped = Object.create(handler) as ScopedHandler;
  const properties: PropertyDescriptorMap = {
    [kUndiciTarget]: { value: handler },
    [kUndiciScope]: { value: scope },
    [kUndiciOwnsScope]: { value: owns, writable: true },
  };
  for (const method of handlerMethods) {
    if (typeof (handler as Record<string, unknown>)[method] === 'function') {
      properties[method] = { value: scopedCallbacks.get(method), writable: true, configurable: true };
    }
  }
  return Object.defineProperties(scoped, properties);
}

/**
 * `handler`, with each callback it has running inside a scope captured now. Already scoped (by
 * another hop of ours, or a copy of this package) means it is handed back as it is.
 */
export function scopeUndiciHandler<T>(handler: T): T {
  if (typeof handler !== 'object' || handler === null || isScoped(handler)) return handler;
  return scopedHandler(handler, new AsyncResource('UndiciRequest'), true) as T;
}

export type Dispatch<Options, H> = (options: Options, handler: H) => boolean;

/**
 * One hop: the handler it passes on runs in the request's scope. The first hop of a request
 * captures the scope, in the caller's context; a hop inside the same synchronous `dispatch()`
 * joins it, and a handler that is already ours passes as it is (an interceptor that queued it).
 */
export function dispatchInScope<Options, H>(
  dispatch: Dispatch<Options, H>,
  thisArg: unknown,
  options: Options,
  handler: H,
): boolean {
  if (typeof handler !== 'object' || handler === null || isScoped(handler))
    return Reflect.apply(dispatch, thisArg, [options, handler]) as boolean;
  const shared = sharedClientState();
  const outer = shared.undiciScope;
  const scope = outer ?? new AsyncResource('UndiciRequest');
  const scoped = scopedHandler(handler, scope, outer === undefined);
  shared.undiciScope = scope;
  try {
    return Reflect.apply(dispatch, thisArg, [options, scoped]) as boolean;
  } finally {
    shared.undiciScope = outer;
  }
}

/**
 * An undici dispatch interceptor that runs every callback of a request's handler, and of the
 * interceptors' handlers inside it, in the context where `dispatch()` was called, however late
 * undici writes the request: queued while the client connects, behind other requests, or after
 * a GOAWAY. Handler callbacks travel from the innermost interceptor outward, so to cover every
 * interceptor's handler give it to `compose()` first as well as last, or use
 * {@link composeInScope}, which puts it between every two (undici ≥ 6.9 has `compose`).
 *
 * @example
 * ```ts
 * import { Client } from 'undici';
 * import { undiciInterceptor } from 'http2-async-context/undici';
 * const client = new Client('https://localhost:8443', { allowH2: true }).compose(undiciInterceptor);
 * ```
 */
export function undiciInterceptor<Options, H>(dispatch: Dispatch<Options, H>): Dispatch<Options, H> {
  return function scopedDispatch(options: Options, handler: H) {
    return dispatchInScope(dispatch, undefined, options, handler);
  };
}

/**
 * `interceptors` with {@link undiciInterceptor} before, between and after them, for `compose()`:
 * every interceptor's handler then runs in the request's context, also for requests an
 * interceptor queues, merges (`deduplicate`) or retries. What `register` does to every
 * `compose()`.
 *
 * @example
 * ```ts
 * import { Client, interceptors } from 'undici';
 * import { composeInScope } from 'http2-async-context/undici';
 * const client = new Client('https://localhost:8443', { allowH2: true })
 *   .compose(composeInScope([interceptors.deduplicate(), interceptors.retry()]));
 * ```
 */
export function composeInScope<Interceptor>(interceptors: readonly Interceptor[]): Interceptor[] {
  const ours = undiciInterceptor as unknown as Interceptor;
  const scoped: Interceptor[] = [ours];
  for (const interceptor of interceptors) {
    if (interceptor === ours) continue;
    scoped.push(interceptor, ours);
  }
  return scoped;
}
