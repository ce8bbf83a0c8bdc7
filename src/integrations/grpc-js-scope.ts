// The scope of one grpc-js call: what the explicit helpers (`grpcInterceptor`, `withGrpcScope`)
// and the register patch of grpc-js (./grpc-js.ts) both enter. Each hop of ours between two
// interceptors enters it for what passes through it, both ways.
import { AsyncResource } from 'node:async_hooks';
import { kGrpcCallBelow, kGrpcCallScope, kGrpcInterceptor, kGrpcOwnsScope } from '../symbols.js';
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

export type CallMethod = (this: unknown, ...args: unknown[]) => unknown;

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
export const hopMethods: ReadonlyArray<[ScopedMethod, CallMethod]> = [
  ['start', scopedStart as CallMethod],
  ['sendMessageWithContext', scopedSendMessageWithContext as CallMethod],
  ['halfClose', scopedHalfClose as CallMethod],
];

/**
 * A call without interceptors (register scopes it directly): grpc-js's client starts it, sends
 * and half-closes synchronously in the caller's own context, so only what comes back later, the
 * listener's results and the write callbacks, needs the scope. Two scope entries fewer per call.
 */
export const directMethods: ReadonlyArray<[ScopedMethod, CallMethod]> = [
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
export function scopeCall<Call>(call: Call, scope: AsyncResource, owns: boolean, methods = hopMethods): Call {
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
export function buildInScope<T>(
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

export const isOurs = (interceptor: unknown) =>
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
