// The scope of one undici request, and the hops of ours that carry it down to undici: what the
// explicit helpers and the register patch of undici (./undici.ts) both use. The scoped handler
// itself is in ./undici-handler.ts.
import { AsyncResource } from 'node:async_hooks';
import { kUndiciInterceptor } from '../symbols.js';
import { sharedClientState, takeHanding } from './shared-state.js';
import { isScoped, scopedHandler, scopeOf } from './undici-handler.js';

export { isScoped } from './undici-handler.js';

/**
 * `handler`, with each callback it has running inside a scope captured now. Already scoped (by
 * another hop of ours, or a copy of this package) means it is handed back as it is; a copy or a
 * derivative of a scoped handler joins that request's scope.
 */
export function scopeUndiciHandler<T>(handler: T): T {
  if (typeof handler !== 'object' || handler === null || isScoped(handler)) return handler;
  const carried = scopeOf(handler)?.resource;
  return scopedHandler(handler, carried ?? new AsyncResource('UndiciRequest'), carried === undefined) as T;
}

export type Dispatch<Options, H> = (options: Options, handler: H) => boolean;

/** Where a hop of ours stands on a request's way down to undici. */
export interface HopPlace {
  /**
   * What the hop above names when it hands a request to this one: the hop itself in a chain
   * `composeInScope` composed, or the dispatcher whose internal dispatch it is.
   */
  hop?: unknown;
  /** What this hop names: the hop of ours below the interceptor (or dispatcher) it hands to. */
  readonly next?: unknown;
}

/**
 * Calls `dispatch`, naming `next` as the one hop of ours that may join the request meanwhile:
 * any other hop reached meanwhile, through another dispatcher or a prototype's `dispatch`,
 * starts a request of its own.
 */
export function handOn(
  dispatch: unknown,
  thisArg: unknown,
  args: ArrayLike<unknown>,
  next: unknown,
  resource: AsyncResource | undefined,
): boolean {
  const shared = sharedClientState();
  const outer = shared.undiciHandingOn;
  shared.undiciHandingOn = next === undefined ? undefined : { next, scope: resource };
  try {
    return Reflect.apply(dispatch as Dispatch<unknown, unknown>, thisArg, args) as boolean;
  } finally {
    shared.undiciHandingOn = outer;
  }
}

/** The request the hop above is handing to `hop` right now, if it is; taken, as it is handed once. */
export const takeHandedOn = (hop: unknown) => takeHanding(sharedClientState().undiciHandingOn, hop);

/**
 * One hop: the handler it passes on runs in its request's scope. A hop joins a request's scope
 * only as a hop of that request: for a handler spread or derived from a scoped one (however late
 * an interceptor passes it on), or for the request the hop above hands to this very one right
 * now, through the interceptor between. Else it captures one here, in the caller's context. A
 * handler that is ours already passes as it is (an interceptor that queued it, or retries it).
 */
export function dispatchInScope<Options, H>(
  dispatch: Dispatch<Options, H>,
  thisArg: unknown,
  options: Options,
  handler: H,
  place: HopPlace = {},
): boolean {
  if (typeof handler !== 'object' || handler === null)
    return Reflect.apply(dispatch, thisArg, [options, handler]) as boolean;
  const handed = takeHandedOn(place.hop)?.scope;
  const carried = scopeOf(handler);
  if (carried?.scoped === handler) return handOn(dispatch, thisArg, [options, handler], place.next, carried.resource);
  const joined = carried?.resource ?? handed;
  const resource = joined ?? new AsyncResource('UndiciRequest');
  const scoped = scopedHandler(handler, resource, joined === undefined);
  return handOn(dispatch, thisArg, [options, scoped], place.next, resource);
}

type Interceptor = <Options, H>(dispatch: Dispatch<Options, H>) => Dispatch<Options, H>;

const isOurs = (interceptor: unknown): boolean =>
  typeof interceptor === 'function' && (interceptor as { [kUndiciInterceptor]?: true })[kUndiciInterceptor] === true;

/** The hop over `dispatch` that names `next` (the hop of ours below the interceptor it hands to) as its only one. */
function hopOver<Options, H>(dispatch: Dispatch<Options, H>, next: unknown): Dispatch<Options, H> {
  const place: HopPlace = { next };
  const scopedDispatch = function scopedDispatch(options: Options, handler: H) {
    return dispatchInScope(dispatch, undefined, options, handler, place);
  };
  place.hop = scopedDispatch;
  return scopedDispatch;
}

/** The interceptor of ours at `place` in a list whose hops, as `compose()` makes them in order, go in `made`. */
function interceptorAt(place: number, made: unknown[]): Interceptor {
  const interceptor = function undiciInterceptor<Options, H>(dispatch: Dispatch<Options, H>) {
    const hop = hopOver(dispatch, place === 0 ? undefined : made[place - 1]);
    made[place] = hop;
    return hop;
  };
  return Object.defineProperty(interceptor, kUndiciInterceptor, { value: true });
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
  return hopOver(dispatch, undefined);
}

Object.defineProperty(undiciInterceptor, kUndiciInterceptor, { value: true });

/**
 * `interceptors` with an interceptor of ours before, between and after them, for `compose()`:
 * every interceptor's handler then runs in the request's context, also for requests an
 * interceptor queues, merges (`deduplicate`) or retries. Each of ours knows its place, so a
 * request an interceptor starts of its own (an audit or token request) gets a scope of its own.
 * Ours already in the list are dropped first. What `register` does to every `compose()`.
 *
 * @example
 * ```ts
 * import { Client, interceptors } from 'undici';
 * import { composeInScope } from 'http2-async-context/undici';
 * const client = new Client('https://localhost:8443', { allowH2: true })
 *   .compose(composeInScope([interceptors.deduplicate(), interceptors.retry()]));
 * ```
 */
export function composeInScope<I>(interceptors: readonly I[]): I[] {
  // compose() makes the hops innermost first: each finds the one below the interceptor it hands to.
  const made: unknown[] = [];
  const scoped: I[] = [interceptorAt(0, made) as unknown as I];
  let place = 0;
  for (const interceptor of interceptors) {
    if (isOurs(interceptor)) continue;
    scoped.push(interceptor, interceptorAt(++place, made) as unknown as I);
  }
  return scoped;
}
