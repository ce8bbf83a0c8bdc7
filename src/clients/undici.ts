import { AsyncResource } from 'node:async_hooks';
import { replaceMethods, restoreMethods, sharedClientState, type Integration } from './integration.js';

/** Every callback of an undici dispatch handler: undici 6's and 7's legacy set, and undici 7's own. */
const handlerMethods = [
  'onConnect', 'onHeaders', 'onData', 'onComplete', 'onError', 'onUpgrade',
  'onBodySent', 'onRequestSent', 'onResponseStarted',
  'onRequestStart', 'onRequestUpgrade', 'onResponseStart', 'onResponseData', 'onResponseEnd', 'onResponseError',
] as const;

/** After these a handler hears nothing more, so the scope ends. */
const lastCallbacks = new Set<string>(['onComplete', 'onError', 'onUpgrade', 'onRequestUpgrade', 'onResponseEnd', 'onResponseError']);

const kScoped = Symbol.for('http2-async-context.undici-handler');
type Handler = Record<string, unknown> & { [kScoped]?: true };
type Callback = (this: unknown, ...args: unknown[]) => unknown;

/**
 * `handler`, with each callback it has running inside a scope captured now. undici picks its
 * handler protocol by which methods a handler has, so the scoped one has exactly the same ones;
 * anything else is read through to `handler`, its prototype.
 */
export function scopeUndiciHandler<T>(handler: T): T {
  const target = handler as Handler;
  if (typeof target !== 'object' || target === null || target[kScoped]) return handler;
  const scope = new AsyncResource('UndiciRequest');
  let ended = false;
  const scoped = Object.create(target) as Handler;
  for (const method of handlerMethods) {
    const callback = target[method];
    if (typeof callback !== 'function') continue;
    scoped[method] = function scopedCallback(this: unknown, ...args: unknown[]) {
      try {
        return scope.runInAsyncScope(callback as Callback, target, ...args);
      } finally {
        if (!ended && lastCallbacks.has(method)) {
          ended = true;
          scope.emitDestroy();
        }
      }
    };
  }
  Object.defineProperty(scoped, kScoped, { value: true });
  return scoped as T;
}

type Dispatch<Options, H> = (options: Options, handler: H) => boolean;

/**
 * An undici dispatch interceptor that runs every callback of a request's handler in the context
 * where `dispatch()` was called, however late undici writes the request: queued while the client
 * connects, behind other requests, or after a GOAWAY. Give it to `compose()` last, so that it
 * runs first, before any interceptor that may retry or queue (undici ≥ 6.9 has `compose`).
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
    return dispatch(options, scopeUndiciHandler(handler));
  };
}


/** The exported dispatchers a user dispatches through; whichever comes first scopes the handler. */
const dispatcherClasses = ['Client', 'Pool', 'BalancedPool', 'Agent', 'ProxyAgent', 'EnvHttpProxyAgent', 'RetryAgent', 'H2CClient'];

function dispatcherPrototypes(exports: unknown): Array<Record<string, unknown>> {
  const library = exports as Record<string, { prototype?: Record<string, unknown> } | undefined>;
  return dispatcherClasses
    .map((name) => library[name]?.prototype)
    .filter((prototype): prototype is Record<string, unknown> => typeof prototype?.dispatch === 'function');
}

/**
 * undici has no process-wide interceptor either (a global dispatcher is only the default one),
 * so register wraps `dispatch` on the exported dispatcher classes: a Pool or Agent may queue a
 * request before any Client sees it, so the scope is captured at the first of them.
 */
export const undiciIntegration: Integration = {
  name: 'undici',
  entry: 'index.js',
  patch(exports) {
    const prototypes = dispatcherPrototypes(exports);
    if (prototypes.length === 0 || typeof (exports as { Dispatcher?: unknown }).Dispatcher !== 'function') return false;
    for (const prototype of prototypes) {
      replaceMethods(prototype, ['dispatch'], (_, below) => function dispatch(this: unknown, options: unknown, handler: unknown) {
        return Reflect.apply(below(), this, [options, sharedClientState().registerActive ? scopeUndiciHandler(handler) : handler]);
      });
    }
    return true;
  },
  unpatch(exports) {
    for (const prototype of dispatcherPrototypes(exports)) restoreMethods(prototype);
  },
};
