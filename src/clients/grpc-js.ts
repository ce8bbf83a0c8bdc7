import { AsyncResource } from 'node:async_hooks';
import { loadedModules, replaceMethods, restoreMethods, sharedClientState, type Integration } from './integration.js';

/** The part of a grpc-js listener (`InterceptingListener`) that delivers a call's results. */
interface Listener {
  onReceiveMetadata?(metadata: unknown): void;
  onReceiveMessage?(message: unknown): void;
  onReceiveStatus?(status: unknown): void;
}

const kScopedCall = Symbol.for('http2-async-context.grpc-call');
const kOurs = Symbol.for('http2-async-context.grpc-interceptor');

interface StartableCall {
  start(metadata: unknown, listener?: Listener): void;
}


/**
 * A listener that delivers each result to `listener` inside `scope`, and ends the scope after
 * the status, the last thing a call delivers. Each method takes one argument, which is how
 * grpc-js (1.8–1.14) tells a full listener from an interceptor's partial one.
 */
function scopedListener(listener: Listener | undefined, scope: AsyncResource): Listener {
  return {
    onReceiveMetadata: (metadata) => { scope.runInAsyncScope(() => listener?.onReceiveMetadata?.(metadata)); },
    onReceiveMessage: (message) => { scope.runInAsyncScope(() => listener?.onReceiveMessage?.(message)); },
    onReceiveStatus: (status) => {
      try {
        scope.runInAsyncScope(() => listener?.onReceiveStatus?.(status));
      } finally {
        scope.emitDestroy();
      }
    },
  };
}

/**
 * A grpc-js client interceptor that runs every callback of a call (the unary and client-stream
 * callback, and `metadata`, `data`, `status`, `end`, `error` and `close`) in the context where the
 * call was started, however late the channel issues it: calls queued while connecting, waiting
 * with `waitForReady`, or retried after a GOAWAY. grpc-js runs interceptors synchronously inside
 * the call's creation, in the caller's context, which is where the scope is captured.
 *
 * Put it first in `interceptors` so that it also covers the interceptors after it. With
 * `register` as well, each call is still scoped once.
 *
 * @example
 * ```ts
 * import { grpcInterceptor } from 'http2-async-context/grpc-js';
 * const client = new Greeter('localhost:50051', credentials, { interceptors: [grpcInterceptor] });
 * ```
 */
export function grpcInterceptor<Options extends object, Call extends StartableCall>(
  options: Options, nextCall: (options: Options) => Call,
): Call {
  const call = nextCall(options) as Call & { [kScopedCall]?: true };
  // Already scoped by another instance of this interceptor further in (the user's and register's).
  if (call[kScopedCall]) return call;
  Object.defineProperty(call, kScopedCall, { value: true });
  const scope = new AsyncResource('GrpcCall');
  const start = call.start;
  // The call object is this call's own, made by nextCall just now: a per-call `start` is the
  // smallest change that wraps the listener without importing grpc-js's InterceptingCall.
  call.start = function start_(this: Call, metadata: unknown, listener?: Listener) {
    return Reflect.apply(start, this, [metadata, scopedListener(listener, scope)]);
  };
  return call;
}

Object.defineProperty(grpcInterceptor, kOurs, { value: true });

/** The four interceptor lists grpc-js (1.8–1.14) resolves a call's interceptors from. */
interface InterceptorArguments {
  clientInterceptors: unknown[];
  clientInterceptorProviders: unknown[];
  callInterceptors: unknown[];
  callInterceptorProviders: unknown[];
}

const isOurs = (interceptor: unknown) => typeof interceptor === 'function' && (interceptor as { [kOurs]?: true })[kOurs] === true;
const provideOurs = () => grpcInterceptor;

/**
 * `args` with our interceptor first in the list grpc-js will use: call-level lists replace the
 * client's when present, and a list of interceptors and one of providers may not both be set.
 */
function withOurInterceptor(args: InterceptorArguments): InterceptorArguments {
  const callLevel = args.callInterceptors.length > 0 || args.callInterceptorProviders.length > 0;
  const interceptorsKey = callLevel ? 'callInterceptors' : 'clientInterceptors';
  const providersKey = callLevel ? 'callInterceptorProviders' : 'clientInterceptorProviders';
  const interceptors = args[interceptorsKey];
  if (interceptors.some(isOurs)) return args;
  if (interceptors.length === 0 && args[providersKey].length > 0) return { ...args, [providersKey]: [provideOurs, ...args[providersKey]] };
  return { ...args, [interceptorsKey]: [grpcInterceptor, ...interceptors] };
}

type InterceptorsModule = Record<string, unknown> & { getInterceptingCall: (...args: unknown[]) => unknown };

/**
 * The copy's `client-interceptors` module, found in the module cache by the `InterceptingCall`
 * class that the copy's main entry exports (so a nested or aliased copy finds its own).
 */
function interceptorsModuleOf(exports: unknown): InterceptorsModule | undefined {
  const InterceptingCall = (exports as { InterceptingCall?: unknown }).InterceptingCall;
  if (typeof InterceptingCall !== 'function') return undefined;
  for (const [filename, loaded] of loadedModules()) {
    const candidate = loaded as InterceptorsModule | undefined;
    if (filename.endsWith('client-interceptors.js') && candidate?.InterceptingCall === InterceptingCall &&
      typeof candidate.getInterceptingCall === 'function') return candidate;
  }
  return undefined;
}

/**
 * grpc-js has no process-wide interceptor, and its generated clients keep their own copies of
 * `Client`'s request methods, so register reaches calls through the one internal function every
 * call's interceptor list passes through, `getInterceptingCall` in `build/src/client-interceptors.js`
 * (read from that module's exports on each call in 1.8–1.14; tests pin both), and puts the public
 * `grpcInterceptor` first in that list.
 */
export const grpcJsIntegration: Integration = {
  name: '@grpc/grpc-js',
  entry: 'build/src/index.js',
  patch(exports) {
    const interceptors = interceptorsModuleOf(exports);
    if (interceptors === undefined) return false;
    replaceMethods(interceptors, ['getInterceptingCall'], (_, below) => function getInterceptingCall(this: unknown, args: unknown) {
      const effective = sharedClientState().registerActive ? withOurInterceptor(args as InterceptorArguments) : args;
      return Reflect.apply(below(), this, [effective, ...Array.from(arguments).slice(1)]);
    });
    return true;
  },
  unpatch(exports) {
    const interceptors = interceptorsModuleOf(exports);
    if (interceptors !== undefined) restoreMethods(interceptors);
  },
};
