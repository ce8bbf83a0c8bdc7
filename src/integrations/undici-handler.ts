// A scoped undici handler: a handler whose callbacks run in one request's scope. What every hop
// of ours (./undici-scope.ts) passes on, and `scopeUndiciHandler`.
import type { AsyncResource } from 'node:async_hooks';
import { kUndiciScope } from '../symbols.js';

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

/**
 * What a scoped handler carries, and so does every copy an interceptor spreads from it
 * (`{ ...handler }`) and every handler made with `Object.create(handler)`: by it a hop of ours
 * knows a handler as part of that request, however late the interceptor passes it on.
 */
export interface HandlerScope {
  /** The handler whose callbacks run in the scope. */
  readonly target: Record<string, unknown>;
  /** The scoped handler made for `target`: a copy or a derived handler is not it. */
  readonly scoped: object;
  readonly resource: AsyncResource;
  /** True until the last callback ends a scope that this handler's hop captured itself. */
  owns: boolean;
}

type Carrier = { [kUndiciScope]?: HandlerScope };
type Callback = (this: unknown, ...args: unknown[]) => unknown;

/**
 * One shared function per callback name (no closure per request): it reads the target's method
 * when undici calls it, not when the handler was wrapped, so a handler that swaps its own
 * callbacks mid-request, or defines them as getters, gets the one it has now. It finds the
 * target through `this`, so a copy spread from the scoped handler calls the same one.
 */
function scopedCallback(method: string): Callback {
  const callback = function (this: unknown, ...args: unknown[]) {
    const scope = (this as Carrier)[kUndiciScope]!;
    const target = scope.target;
    try {
      const own = target[method];
      // As undici's own wrappers do for a callback that is gone: nothing to call.
      if (typeof own !== 'function') return undefined;
      return scope.resource.runInAsyncScope(own as Callback, target, ...args);
    } finally {
      if (scope.owns && lastCallbacks.has(method)) {
        scope.owns = false;
        scope.resource.emitDestroy();
      }
    }
  };
  Object.defineProperty(callback, 'name', { value: method });
  return callback;
}

const scopedCallbacks = new Map<string, Callback>(handlerMethods.map((method) => [method, scopedCallback(method)]));
const isEnumerable = (object: object, key: string) => Object.prototype.propertyIsEnumerable.call(object, key);

/** The scope `handler` carries, its own or one it was copied or derived from; undefined if none. */
export function scopeOf(handler: unknown): HandlerScope | undefined {
  return typeof handler === 'object' && handler !== null ? (handler as Carrier)[kUndiciScope] : undefined;
}

/** Whether `handler` is a scoped handler itself: an interceptor's copy or `Object.create(ours)` is not. */
export const isScoped = (handler: unknown): boolean => scopeOf(handler)?.scoped === handler;

/**
 * `handler`, with each callback it has running inside `resource`. undici picks its handler
 * protocol by which methods a handler has, so the scoped one has exactly the ones `handler` has
 * now; anything else is read through to `handler`, its prototype. Frozen handlers, frozen
 * prototypes and getters work: the scoped handler only defines properties on itself. Each
 * callback is enumerable where the handler's own one is, so that a spread copy keeps what a
 * copy of the handler would.
 */
export function scopedHandler(handler: object, resource: AsyncResource, owns: boolean): object {
  const scoped = Object.create(handler) as object;
  const scope: HandlerScope = { target: handler as Record<string, unknown>, scoped, resource, owns };
  const properties: PropertyDescriptorMap = { [kUndiciScope]: { value: scope, enumerable: true } };
  for (const method of handlerMethods) {
    if (typeof (handler as Record<string, unknown>)[method] === 'function') {
      properties[method] = {
        value: scopedCallbacks.get(method),
        writable: true,
        configurable: true,
        enumerable: isEnumerable(handler, method),
      };
    }
  }
  return Object.defineProperties(scoped, properties);
}
