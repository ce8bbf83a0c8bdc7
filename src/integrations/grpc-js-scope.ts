// The scope of one grpc-js call, and the hops of ours that carry it: what the explicit helpers
// (`grpcInterceptor`, `withGrpcScope`) and the register patch of grpc-js (./grpc-js.ts) both use.
// What each hop does to the call object it scopes is in ./grpc-js-call.ts.
import { AsyncResource } from 'node:async_hooks';
import { kGrpcInterceptor } from '../symbols.js';
import { type CallScope, scopeCall } from './grpc-js-call.js';
import { type HandingOn, sharedClientState, takeHanding } from './shared-state.js';

export { type CallMethod, type CallScope, directMethods, hopMethods, scopeCall } from './grpc-js-call.js';

/** A new call's scope, captured here; `options` are the interceptor options grpc-js passes, with the method. */
export function newCallScope(options: unknown): CallScope {
  const method = (options as { method_definition?: { requestStream?: unknown } } | undefined)?.method_definition;
  return { resource: new AsyncResource('GrpcCall'), streamsRequests: method?.requestStream === true };
}

/**
 * Runs `build` (the rest of a call's interceptor chain, which grpc-js builds synchronously) with
 * `handing` naming the one hop of ours inside it that joins the call: any other hop reached
 * meanwhile, in a list of another call, starts a call of its own. If it throws, `owned` ends.
 */
export function buildInScope<T>(
  handing: HandingOn<CallScope> | undefined,
  owned: CallScope | undefined,
  build: (...args: never[]) => T,
  thisArg: unknown,
  args: ArrayLike<unknown>,
): T {
  const shared = sharedClientState();
  const outer = shared.grpcHandingOn;
  shared.grpcHandingOn = handing;
  try {
    return Reflect.apply(build, thisArg, args) as T;
  } catch (error) {
    owned?.resource.emitDestroy();
    throw error;
  } finally {
    shared.grpcHandingOn = outer;
  }
}

type NextCall<Options> = (options: Options) => unknown;
type Interceptor = <Options, Call>(options: Options, nextCall: NextCall<Options>) => Call;

/** Our interceptors by their place in a list `withGrpcScope` made: 0 is the outermost, grpcInterceptor. */
const interceptorsByPlace: Interceptor[] = [];

/**
 * The hop at `place`: it joins the call's scope if the hop before it in the list is building
 * the call right now (the same call, passed on by the interceptor between), once; else it
 * captures one. It names the hop after it as the only one that joins. Every list starts with
 * the hop at 0, which no hop names, so a call an interceptor makes of its own never joins.
 */
function hopAt<Options, Call>(place: number, options: Options, nextCall: NextCall<Options>): Call {
  const joined = takeHanding(sharedClientState().grpcHandingOn, interceptorsByPlace[place])?.scope;
  const scope = joined ?? newCallScope(options);
  const owns = joined === undefined;
  const next = { next: interceptorAt(place + 1), scope };
  // What the next hop made, scoped. Typed as the call the list it is in expects (grpc-js's
  // `Interceptor` returns its `InterceptingCall` class, which this package cannot name).
  const call = buildInScope(next, owns ? scope : undefined, nextCall, undefined, [options]) as Call;
  return scopeCall(call, scope, owns);
}

function interceptorAt(place: number): Interceptor {
  let interceptor = interceptorsByPlace[place];
  if (interceptor === undefined) {
    interceptor = function grpcInterceptor<Options, Call>(options: Options, nextCall: NextCall<Options>): Call {
      return hopAt(place, options, nextCall);
    };
    Object.defineProperty(interceptor, kGrpcInterceptor, { value: true });
    interceptorsByPlace[place] = interceptor;
  }
  return interceptor;
}

/**
 * A grpc-js client interceptor that runs every callback of a call (the unary and client-stream
 * callback, `metadata`, `data`, `status`, `end`, `error`, `close`, `drain`, a `write()` callback,
 * and the listeners of the interceptors around it) in the context where the call was made,
 * however late the channel issues it: queued while connecting, waiting with `waitForReady`, or
 * retried after a GOAWAY. grpc-js builds a call's interceptors synchronously inside the call, in
 * the caller's context: it captures the call's scope there. A call a `write()` or `end()` causes
 * (a write callback, an interceptor's `sendMessage` or `halfClose`) runs in that call's store.
 *
 * Replies travel from the last interceptor to the first, so the scope must be entered at the
 * last one to cover them all: put it last, or use {@link withGrpcScope} to put it between every
 * interceptor, which also covers an interceptor that passes something on later, from an event
 * of its own. With `register` as well, each call is still scoped once.
 *
 * @example
 * ```ts
 * import { grpcInterceptor } from 'http2-async-context/grpc-js';
 * const client = new Greeter('localhost:50051', credentials, { interceptors: [logging, grpcInterceptor] });
 * ```
 */
export function grpcInterceptor<Options, Call>(options: Options, nextCall: (options: Options) => unknown): Call {
  return hopAt(0, options, nextCall);
}

Object.defineProperty(grpcInterceptor, kGrpcInterceptor, { value: true });
interceptorsByPlace[0] = grpcInterceptor;

export const isOurs = (interceptor: unknown) =>
  typeof interceptor === 'function' && (interceptor as { [kGrpcInterceptor]?: true })[kGrpcInterceptor] === true;

/**
 * `interceptors` with an interceptor of ours before, between and after them, so that every
 * interceptor's callbacks run in the call's context, in both directions, even those an
 * interceptor defers. Each of ours knows its place: the one below an interceptor joins the call
 * that interceptor passes on, and a call an interceptor makes of its own gets a scope of its
 * own. What `register` does to every call's list. Ours already in the list are dropped first.
 *
 * @example
 * ```ts
 * import { withGrpcScope } from 'http2-async-context/grpc-js';
 * const client = new Greeter('localhost:50051', credentials, { interceptors: withGrpcScope([logging, retry]) });
 * ```
 */
export function withGrpcScope<I>(interceptors: readonly I[]): I[] {
  const scoped: I[] = [grpcInterceptor as unknown as I];
  let place = 0;
  for (const interceptor of interceptors) {
    if (isOurs(interceptor)) continue;
    scoped.push(interceptor, interceptorAt(++place) as unknown as I);
  }
  return scoped;
}
