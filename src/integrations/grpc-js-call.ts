// One grpc-js call object, scoped by a hop of ours (./grpc-js-scope.ts): what the interceptors
// further in hear runs in the call's scope; what a write or `end()` causes, in theirs.
import { AsyncResource } from 'node:async_hooks';
import { debug } from '../debug.js';
import { kGrpcCallBelow, kGrpcCallScope, kGrpcOwnsScope, kGrpcWrite } from '../symbols.js';

/** What every hop of one call shares. */
export interface CallScope {
  /** What the call's listeners and `start` run in: the context the call was made in. */
  readonly resource: AsyncResource;
  /** A call whose requests stream, so that its `end()` may come from another store than the call's. */
  readonly streamsRequests: boolean;
  /** Such a call's `end()`: captured by the hop that owns the scope, entered by the others. */
  halfClose?: AsyncResource;
}

/** The part of a grpc-js listener (`InterceptingListener`) that delivers a call's results. */
interface Listener {
  onReceiveMetadata?(metadata: unknown): void;
  onReceiveMessage?(message: unknown): void;
  onReceiveStatus?(status: unknown): void;
}

/** What grpc-js passes to `sendMessageWithContext`: `callback` runs once the message is written. */
interface MessageContext {
  callback?: (error?: Error | null) => void;
  /** The scope of the `write()` that sent it, once a hop of ours captured it. */
  [kGrpcWrite]?: AsyncResource;
  [key: string]: unknown;
}

export type CallMethod = (this: unknown, ...args: unknown[]) => unknown;

type ScopedMethod = 'start' | 'sendMessageWithContext' | 'halfClose';

/** A call object (`InterceptingCallInterface`) one hop of ours scopes. */
interface ScopedCall {
  start: CallMethod;
  sendMessageWithContext: CallMethod;
  halfClose: CallMethod;
  [kGrpcCallScope]?: CallScope;
  /** Set on the call of the hop that captured the scope: its listener ends the scope. */
  [kGrpcOwnsScope]?: true;
  /** The call's own methods from before we scoped it, when it had own ones (a hand-made call). */
  [kGrpcCallBelow]?: Partial<Record<ScopedMethod, CallMethod>>;
}

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

const scopedListener = (call: ScopedCall, listener: Listener | undefined) =>
  new ScopedListener(listener, call[kGrpcCallScope]!.resource, call[kGrpcOwnsScope] === true);

/**
 * `context`, whose write callback (which also emits `drain` on a client stream) runs in the store
 * of the `write()` that sent it, captured by the first hop of ours it reaches: grpc-js calls it
 * from wherever the message was finally written, and one stream may be written from many stores.
 */
function writeContext(context: MessageContext): MessageContext {
  const callback = context?.callback;
  if (typeof callback !== 'function' || context[kGrpcWrite] !== undefined) return context;
  const write = new AsyncResource('GrpcWrite');
  return {
    ...context,
    [kGrpcWrite]: write,
    callback: (error?: Error | null) => write.runInAsyncScope(callback, undefined, error),
  };
}

/**
 * Every hop's methods: each enters a scope, for interceptors further out that pass something on
 * late, from an event of their own: `start` the call's; a message its `write()`'s (a message
 * without a callback is the one a unary call sends as it starts, in the call's own store); a
 * half-close its `end()`'s, for a call that streams requests, else the call's.
 */
export const hopMethods: ReadonlyArray<[ScopedMethod, CallMethod]> = [
  [
    'start',
    function start(this: ScopedCall, metadata: unknown, listener?: Listener) {
      const resource = this[kGrpcCallScope]!.resource;
      return resource.runInAsyncScope(below(this, 'start'), this, metadata, scopedListener(this, listener));
    } as CallMethod,
  ],
  [
    'sendMessageWithContext',
    function sendMessageWithContext(this: ScopedCall, context: MessageContext, message: unknown) {
      const scoped = writeContext(context);
      const resource = scoped?.[kGrpcWrite] ?? this[kGrpcCallScope]!.resource;
      return resource.runInAsyncScope(below(this, 'sendMessageWithContext'), this, scoped, message);
    } as CallMethod,
  ],
  [
    'halfClose',
    function halfClose(this: ScopedCall) {
      const scope = this[kGrpcCallScope]!;
      if (this[kGrpcOwnsScope] === true && scope.streamsRequests)
        scope.halfClose ??= new AsyncResource('GrpcHalfClose');
      return (scope.halfClose ?? scope.resource).runInAsyncScope(below(this, 'halfClose'), this);
    } as CallMethod,
  ],
];

/**
 * A call without interceptors (register scopes it directly): grpc-js's client starts it, sends
 * and half-closes in the caller's own context, so only what comes back later, the listener's
 * results and the write callbacks, needs a scope. Two scope entries fewer per call.
 */
export const directMethods: ReadonlyArray<[ScopedMethod, CallMethod]> = [
  [
    'start',
    function start(this: ScopedCall, metadata: unknown, listener?: Listener) {
      return below(this, 'start').call(this, metadata, scopedListener(this, listener));
    } as CallMethod,
  ],
  [
    'sendMessageWithContext',
    function sendMessageWithContext(this: ScopedCall, context: MessageContext, message: unknown) {
      return below(this, 'sendMessageWithContext').call(this, writeContext(context), message);
    } as CallMethod,
  ],
];

/** Whether each of `methods` that `call` has can be given an own property: not one it owns read-only. */
function canScope(call: object, methods: ReadonlyArray<[ScopedMethod, CallMethod]>): boolean {
  return methods.every(([method]) => {
    const own = Object.getOwnPropertyDescriptor(call, method);
    return own === undefined || own.configurable === true || own.writable === true;
  });
}

/** Puts `value` on `call` as an own property: defined, so that a read-only one inherited (a frozen class) does not stop it. */
function define(call: object, key: PropertyKey, value: unknown): void {
  const own = Object.getOwnPropertyDescriptor(call, key);
  if (own !== undefined && !own.configurable) (call as Record<PropertyKey, unknown>)[key] = value;
  else
    Object.defineProperty(call, key, {
      value,
      writable: true,
      enumerable: own?.enumerable ?? false,
      configurable: true,
    });
}

/**
 * Makes `call` (made by the next hop just now, for this call alone) run in `scope`. A call that
 * cannot take properties (frozen, or with a read-only method of its own) is handed back as it
 * is: never a failure. Methods its class defines on a frozen prototype are covered by own ones.
 */
export function scopeCall<Call>(call: Call, scope: CallScope, owns: boolean, methods = hopMethods): Call {
  const target = call as ScopedCall;
  if (typeof target !== 'object' || target === null) return call;
  if (!Object.isExtensible(target) || !canScope(target, methods)) {
    debug('a grpc-js call left unscoped: it cannot take properties (frozen or read-only)');
    return call;
  }
  if (owns) define(target, kGrpcOwnsScope, true);
  // Two hops of ours side by side: one scoping of the call is enough.
  if (target[kGrpcCallScope] !== undefined) return call;
  define(target, kGrpcCallScope, scope);
  for (const [method, scoped] of methods) {
    if (typeof target[method] !== 'function') continue;
    if (Object.hasOwn(target, method)) {
      const belowMethods = target[kGrpcCallBelow] ?? {};
      belowMethods[method] = target[method];
      define(target, kGrpcCallBelow, belowMethods);
    }
    define(target, method, scoped);
  }
  return call;
}
