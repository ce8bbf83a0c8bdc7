import { AsyncResource } from 'node:async_hooks';
import { kGrpcCallBelow, kGrpcCallScope, kGrpcInterceptor, kGrpcOwnsScope } from '../symbols.js';
import type { Integration } from './integration.js';
import { replaceMethods, restoreMethods } from './method-slots.js';
import { loadedModules } from './module-cache.js';
import { sharedClientState } from './shared-state.js';

/** The part of a grpc-js listener (`InterceptingListener`) that delivers a call's results. */
interface Listener {
  onReceiveMetadata?(metadata: unknown): void;
  onReceiveMessage?(message: unknown): void;
  onReceiveStatus?(status: unknown): void;
}

/** What grpc-js passes to `sendMessageWithContext`: `callback` runs once the message is written. */
interface MessageContext {
  callback?: (error?: Error | null) => void;
  [key: string]: unknown;
}

type CallMethod = (this: unknown, ...args: unknown[]) => unknown;

/** A call object (`InterceptingCallInterface`) one hop of ours scopes. */
interface ScopedCall {
  start: CallMethod;
  sendMessageWithContext: CallMethod;
  halfClose: CallMethod;
  [kGrpcCallScope]?: AsyncResource;
  /** Set on the call of the hop that captured the scope: its listener ends the scope. */
  [kGrpcOwnsScope]?: true;
  /** The call's own methods from before we scoped it, when it had own ones (a hand-made call). */
  [kGrpcCallBelow]?: Partial<Record<ScopedMethod, CallMethod>>;
}

type ScopedMethod = 'start' | 'sendMessageWithContext' | 'halfClose';

/** The method beneath ours on `call`: its own one from before we scoped it, else its class's. */
function below(call: ScopedCall, method: ScopedMethod): CallMethod {
  return call[kGrpcCallBelow]?.[method] ?? (Object.getPrototypeOf(call) as Record<ScopedMethod, CallMethod>)[method];
}

/**
 * Delivers each result to `listener` inside the call's scope: the transport hands results to the
 * innermost hop, and each interceptor passes them outward from there, so entering the scope at
 * every hop covers every interceptor's listener, also one that passes a result on later. Each
 * method takes one argument, which is how grpc-js (1.8–1.14) tells a full listener from an
 * interceptor's partial one. The hop that captured the scope ends it after the status, once.
 */
class ScopedListener implements Listener {
  private ended = false;

  constructor(
    private readonly listener: Listener | undefined,
    private readonly scope: AsyncResource,
    private readonly owns: boolean,
  ) {}

  onReceiveMetadata(metadata: unknown): void {
    const listener = this.listener;
    if (listener?.onReceiveMetadata) this.scope.runInAsyncScope(listener.onReceiveMetadata, listener, metadata);
  }

  onReceiveMessage(message: unknown): void {
    const listener = this.listener;
    if (listener?.onReceiveMessage) this.scope.runInAsyncScope(listener.onReceiveMessage, listener, message);
  }

  onReceiveStatus(status: unknown): void {
    const listener = this.listener;
    try {
      if (listener?.onReceiveStatus) this.scope.runInAsyncScope(listener.onReceiveStatus, listener, status);
    } finally {
      // An interceptor may report a status itself and let the real one through as well.
      if (this.owns && !this.ended) {
        this.ended = true;
        this.scope.emitDestroy();
      }
    }
  }
}

/** Installed as a scoped call's `start`: enters the scope and scopes what the listener hears. */
function scopedStart(this: ScopedCall, metadata: unknown, listener?: Listener): unknown {
  const scope = this[kGrpcCallScope]!;
  return scope.runInAsyncScope(
    below(this, 'start'),
    this,
    metadata,
    new ScopedListener(listener, scope, this[kGrpcOwnsScope] === true),
  );
}

/** `context` with its write callback (which also emits `drain` on a client stream) run in `scope`. */
function withScopedCallback(context: MessageContext, scope: AsyncResource): MessageContext {
  const callback = context?.callback;
  if (typeof callback !== 'function') return context;
  return { ...context, callback: (error?: Error | null) => scope.runInAsyncScope(callback, undefined, error) };
}

/**
 * Installed as a scoped call's `sendMessageWithContext`: an interceptor further out may send a
 * message late, from a context of its own; and grpc-js calls the write's callback from wherever
 * the message was finally written.
 */
function scopedSendMessageWithContext(this: ScopedCall, context: MessageContext, message: unknown): unknown {
  const scope = this[kGrpcCallScope]!;
  return scope.runInAsyncScope(
    below(this, 'sendMessageWithContext'),
    this,
    withScopedCallback(context, scope),
    message,
  );
}

/** Installed as a scoped call's `halfClose`, for an interceptor further out that half-closes late. */
function scopedHalfClose(this: ScopedCall): unknown {
  return this[kGrpcCallScope]!.runInAsyncScope(below(this, 'halfClose'), this);
}

/** Every hop's methods: each enters the scope, for interceptors that act late. */
const hopMethods: ReadonlyArray<[ScopedMethod, CallMethod]> = [
  ['start', scopedStart as CallMethod],
  ['sendMessageWithContext', scopedSendMessageWithContext as CallMethod],
  ['halfClose', scopedHalfClose as CallMethod],
];

/**
 * A call without interceptors (register scopes it directly): grpc-js's client starts it, sends
 * and half-closes synchronously in the caller's own context, so only what comes back later, the
 * listener's results and the write callbacks, needs the scope. Two scope entries fewer per call.
 */
const directMethods: ReadonlyArray<[ScopedMethod, CallMethod]> = [
  [
    'start',
    function start(this: ScopedCall, metadata: unknown, listener?: Listener) {
      return below(this, 'start').call(
        this,
        metadata,
        new ScopedListener(listener, this[kGrpcCallScope]!, this[kGrpcOwnsScope] === true),
      );
    } as CallMethod,
  ],
  [
    'sendMessageWithContext',
    function sendMessageWithContext(this: ScopedCall, context: MessageContext, message: unknown) {
      return below(this, 'sendMessageWithContext').call(
        this,
        withScopedCallback(context, this[kGrpcCallScope]!),
        message,
      );
    } as CallMethod,
  ],
];

/**
 * Makes `call` (made by the next hop just now, for this call alone) run in `scope`. A call that
 * cannot take properties (frozen by an interceptor) is handed back as it is: never a failure.
 */
function scopeCall<Call>(call: Call, scope: AsyncResource, owns: boolean, methods = hopMethods): Call {
  const target = call as ScopedCall;
  if (typeof target !== 'object' || target === null || !Object.isExtensible(target)) return call;
  if (target[kGrpcCallScope] !== undefined) {
    // Two hops of ours side by side: one scoping of the call is enough.
    if (owns) target[kGrpcOwnsScope] = true;
    return call;
  }
  target[kGrpcCallScope] = scope;
  if (owns) target[kGrpcOwnsScope] = true;
  for (const [method, scoped] of methods) {
    if (typeof target[method] !== 'function') continue;
    if (Object.hasOwn(target, method)) (target[kGrpcCallBelow] ??= {})[method] = target[method];
    target[method] = scoped;
  }
  return call;
}

/**
 * Runs `build` (the rest of a call's interceptor chain, which grpc-js builds synchronously) with
 * `scope` as the one every hop of ours inside it joins. If it throws, a scope we own ends.
 */
function buildInScope<T>(
  scope: AsyncResource | undefined,
  owns: boolean,
  build: (...args: never[]) => T,
  thisArg: unknown,
  args: ArrayLike<unknown>,
): T {
  const shared = sharedClientState();
  const outer = shared.grpcCallScope;
  shared.grpcCallScope = scope;
  try {
    return Reflect.apply(build, thisArg, args) as T;
  } catch (error) {
    if (owns) scope?.emitDestroy();
    throw error;
  } finally {
    shared.grpcCallScope = outer;
  }
}

/**
 * A grpc-js client interceptor that runs every callback of a call (the unary and client-stream
 * callback, `metadata`, `data`, `status`, `end`, `error`, `close`, `drain`, a `write()` callback,
 * and the listeners of the interceptors around it) in the context where the call was made,
 * however late the channel issues it: queued while connecting, waiting with `waitForReady`, or
 * retried after a GOAWAY. grpc-js builds a call's interceptors synchronously inside the call, in
 * the caller's context: the first of ours to run captures the scope there, and every other one
 * in the same list joins it.
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
  const outer = sharedClientState().grpcCallScope;
  const scope = outer ?? new AsyncResource('GrpcCall');
  // What the next hop made, scoped. Typed as the call the list it is in expects (grpc-js's
  // `Interceptor` returns its `InterceptingCall` class, which this package cannot name).
  const call = buildInScope(scope, outer === undefined, nextCall, undefined, [options]) as Call;
  return scopeCall(call, scope, outer === undefined);
}

Object.defineProperty(grpcInterceptor, kGrpcInterceptor, { value: true });

const isOurs = (interceptor: unknown) =>
  typeof interceptor === 'function' && (interceptor as { [kGrpcInterceptor]?: true })[kGrpcInterceptor] === true;

/**
 * `interceptors` with {@link grpcInterceptor} before, between and after them, so that every
 * interceptor's callbacks run in the call's context, in both directions, even those an
 * interceptor defers. What `register` does to every call's list. Ours already in the list are
 * dropped first.
 *
 * @example
 * ```ts
 * import { withGrpcScope } from 'http2-async-context/grpc-js';
 * const client = new Greeter('localhost:50051', credentials, { interceptors: withGrpcScope([logging, retry]) });
 * ```
 */
export function withGrpcScope<Interceptor>(interceptors: readonly Interceptor[]): Interceptor[] {
  const ours = grpcInterceptor as unknown as Interceptor;
  const scoped: Interceptor[] = [ours];
  for (const interceptor of interceptors) {
    if (isOurs(interceptor)) continue;
    scoped.push(interceptor, ours);
  }
  return scoped;
}

/** The four interceptor lists grpc-js (1.8–1.14) resolves a call's interceptors from. */
interface InterceptorArguments {
  clientInterceptors: unknown;
  clientInterceptorProviders: unknown;
  callInterceptors: unknown;
  callInterceptorProviders: unknown;
}

/**
 * The interceptors grpc-js (1.8–1.14) would use for this call, resolved as it does: call-level
 * lists replace the client's, providers are asked with the method definition, and a list may be
 * a single function (grpc-js concatenates, and tests `length`, which is then the arity). Undefined
 * where grpc-js would throw: then it is left to throw its own error.
 */
function effectiveInterceptors(args: InterceptorArguments, methodDefinition: unknown): unknown[] | undefined {
  const size = (list: unknown) => (list as { length?: number } | undefined)?.length ?? 0;
  const { clientInterceptors, clientInterceptorProviders, callInterceptors, callInterceptorProviders } = args;
  if (
    (size(clientInterceptors) > 0 && size(clientInterceptorProviders) > 0) ||
    (size(callInterceptors) > 0 && size(callInterceptorProviders) > 0)
  )
    return undefined;
  const callLevel = size(callInterceptors) > 0 || size(callInterceptorProviders) > 0;
  const [interceptors, providers] = callLevel
    ? [callInterceptors, callInterceptorProviders]
    : [clientInterceptors, clientInterceptorProviders];
  if (!Array.isArray(providers)) return undefined;
  const provided = providers.map((provider) => (provider as (definition: unknown) => unknown)(methodDefinition));
  return ([] as unknown[]).concat(interceptors, provided).filter(Boolean);
}

const isEmptyList = (list: unknown) => Array.isArray(list) && list.length === 0;

/** The common case, told apart without building any list: no interceptor anywhere. */
function hasNoInterceptors(args: InterceptorArguments): boolean {
  return (
    isEmptyList(args.clientInterceptors) &&
    isEmptyList(args.clientInterceptorProviders) &&
    isEmptyList(args.callInterceptors) &&
    isEmptyList(args.callInterceptorProviders)
  );
}

type InterceptorsModule = Record<string, unknown> & { getInterceptingCall: (...args: unknown[]) => unknown };

/** `exports` as grpc-js's `client-interceptors` module (which defines `InterceptingCall`), if it is one. */
function asInterceptorsModule(exports: unknown): InterceptorsModule | undefined {
  const candidate = exports as Partial<InterceptorsModule> | null | undefined;
  return typeof candidate?.getInterceptingCall === 'function' && typeof candidate.InterceptingCall === 'function'
    ? (candidate as InterceptorsModule)
    : undefined;
}

/**
 * The copy's `client-interceptors` module, found in the module cache by the `InterceptingCall`
 * class that the copy's main entry exports (so a nested or aliased copy finds its own).
 */
function interceptorsModuleOf(exports: unknown): InterceptorsModule | undefined {
  const InterceptingCall = (exports as { InterceptingCall?: unknown }).InterceptingCall;
  if (typeof InterceptingCall !== 'function') return undefined;
  for (const [filename, loaded] of loadedModules()) {
    const candidate = asInterceptorsModule(loaded);
    if (filename.endsWith('client-interceptors.js') && candidate?.InterceptingCall === InterceptingCall)
      return candidate;
  }
  return undefined;
}

/**
 * `getInterceptingCall` under register: a call without interceptors has its call object scoped
 * directly (no interceptor machinery, the cheapest way); a call with some gets ours between
 * every two of them ({@link withGrpcScope}), passed as the call-level list.
 */
function scopedGetInterceptingCall(original: () => CallMethod) {
  return function getInterceptingCall(
    this: unknown,
    args: unknown,
    methodDefinition: unknown,
    options: unknown,
    channel: unknown,
  ) {
    if (!sharedClientState().clientsPatched) return Reflect.apply(original(), this, arguments);
    const interceptors = hasNoInterceptors(args as InterceptorArguments)
      ? []
      : effectiveInterceptors(args as InterceptorArguments, methodDefinition);
    if (interceptors !== undefined && !interceptors.every(isOurs)) {
      const scopedArgs = {
        ...(args as object),
        clientInterceptors: [],
        clientInterceptorProviders: [],
        callInterceptors: withGrpcScope(interceptors),
        callInterceptorProviders: [],
      };
      // The first of ours in the list captures a scope of its own, never an enclosing call's.
      return buildInScope(undefined, false, original(), this, [
        scopedArgs,
        ...Array.prototype.slice.call(arguments, 1),
      ]);
    }
    const scope = new AsyncResource('GrpcCall');
    return scopeCall(
      buildInScope(scope, true, original(), this, arguments),
      scope,
      true,
      interceptors?.length === 0 ? directMethods : hopMethods,
    );
  };
}

function clientPrototypeOf(exports: unknown): Record<string, unknown> | undefined {
  const prototype = (exports as { Client?: { prototype?: Record<string, unknown> } }).Client?.prototype;
  return typeof prototype?.waitForReady === 'function' ? prototype : undefined;
}

/**
 * `Client#waitForReady(deadline, callback)` under register: grpc-js calls back from the channel's
 * connectivity watcher, in whatever context changed the channel's state; the callback runs in
 * the caller's instead. Generated clients inherit this method from `Client`.
 */
function scopedWaitForReady(original: () => CallMethod) {
  return function waitForReady(this: unknown, deadline: unknown, callback: unknown) {
    if (!sharedClientState().clientsPatched || typeof callback !== 'function')
      return Reflect.apply(original(), this, arguments);
    const scope = new AsyncResource('GrpcWaitForReady');
    let ended = false;
    const scoped = function (this: unknown, ...args: unknown[]) {
      try {
        return scope.runInAsyncScope(callback as CallMethod, this, ...args);
      } finally {
        if (!ended) {
          ended = true;
          scope.emitDestroy();
        }
      }
    };
    return Reflect.apply(original(), this, [deadline, scoped, ...Array.prototype.slice.call(arguments, 2)]);
  };
}

const patchInterceptors = (module: InterceptorsModule) =>
  replaceMethods(module, ['getInterceptingCall'], (_, original) => scopedGetInterceptingCall(original));
const patchClient = (prototype: Record<string, unknown>) =>
  replaceMethods(prototype, ['waitForReady'], (_, original) => scopedWaitForReady(original));

/** The two files of grpc-js (1.8–1.14) whose exports register patches, below the package folder. */
const interceptorsFile = 'build/src/client-interceptors.js';
const clientFile = 'build/src/client.js';

/**
 * grpc-js has no process-wide interceptor, and its generated clients keep their own copies of
 * `Client`'s request methods, so register reaches calls through the one internal function every
 * call's interceptor list passes through, `getInterceptingCall` in `build/src/client-interceptors.js`
 * (read from that module's exports on each call in 1.8–1.14; tests pin both).
 */
export const grpcJsIntegration: Integration = {
  name: '@grpc/grpc-js',
  entry: 'build/src/index.js',
  versions: '>=1.8.0 <1.15.0',
  patch(exports) {
    const interceptors = interceptorsModuleOf(exports);
    if (interceptors === undefined) return false;
    patchInterceptors(interceptors);
    const client = clientPrototypeOf(exports);
    if (client !== undefined) patchClient(client);
    return true;
  },
  unpatch(exports) {
    const interceptors = interceptorsModuleOf(exports);
    if (interceptors !== undefined) restoreMethods(interceptors);
    const client = clientPrototypeOf(exports);
    if (client !== undefined) restoreMethods(client);
  },
  patchFile(file, exports) {
    const interceptors = file === interceptorsFile ? asInterceptorsModule(exports) : undefined;
    const client = file === clientFile ? clientPrototypeOf(exports) : undefined;
    if (interceptors !== undefined) patchInterceptors(interceptors);
    if (client !== undefined) patchClient(client);
    return interceptors !== undefined || client !== undefined;
  },
  unpatchFile(file, exports) {
    const holder =
      file === interceptorsFile
        ? asInterceptorsModule(exports)
        : file === clientFile
          ? clientPrototypeOf(exports)
          : undefined;
    if (holder !== undefined) restoreMethods(holder);
  },
};
