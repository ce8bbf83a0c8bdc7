/**
 * Every key this package puts on objects it does not own. Registry symbols (`Symbol.for`) rather
 * than local ones, so that the ESM and the CommonJS copies of the package, if both load in one
 * process, recognise each other's marks instead of scoping things twice.
 *
 * Each key ends in the version of the shape of what it holds. Change that shape and bump the
 * suffix: a copy of the package that expects the old shape then never reads the new one. (Each
 * is written out in full: TypeScript types only a direct `Symbol.for` as a `unique symbol`.)
 */

// The stream binding and the session wrapper (node:http2 itself).

/** The `AsyncResource` a stream's events run in; `null` once the stream closed and let it go. */
export const kScope = Symbol.for('http2-async-context.scope.v1');

/** A bound stream's own `emit` from before we bound it, when it had one (someone else's wrapper). */
export const kEmitBelow = Symbol.for('http2-async-context.emit-below.v1');

/** A wrapped session's state: its scope, and what it had before we wrapped it. */
export const kSession = Symbol.for('http2-async-context.session.v1');

/** Set on a stream once it has emitted `continue` for a `:status 100`. */
export const kContinued = Symbol.for('http2-async-context.continued.v1');

/** Marks the functions we install, so a second wrapper can see it is not the first. */
export const kShim = Symbol.for('http2-async-context.shim.v1');

/** The process-wide state of `patchHttp2()`, kept on `node:http2`. */
export const kPatchState = Symbol.for('http2-async-context.patch-state.v1');

// The client integrations.

/** The state the integrations share (whether they are on, the hop a request is passed to), on `node:http2`. */
export const kShared = Symbol.for('http2-async-context.clients-shared.v3');

/** The load hook's state (its replacements and every copy it patched), on `node:http2`. */
export const kHookState = Symbol.for('http2-async-context.load-hook.v3');

/**
 * On `globalThis`, installed by `patchClients()`: what each file of a supported client library that
 * the bundler plugin marked calls as it runs in a bundle, with its exports and the copy it came from.
 */
export const kBundled = Symbol.for('http2-async-context.bundled.v1');

/** The methods an integration replaced on one object, so that unpatching finds exactly those. */
export const kSlots = Symbol.for('http2-async-context.method-slots.v1');

/** On a grpc-js call: its call's scope (the resource its callbacks run in, and its `end()`'s). */
export const kGrpcCallScope = Symbol.for('http2-async-context.grpc-call-scope.v2');

/** On a grpc-js call: set when our hop captured that scope, and so ends it. */
export const kGrpcOwnsScope = Symbol.for('http2-async-context.grpc-owns-scope.v1');

/** On a grpc-js call: its own methods from before we scoped it, when it had own ones. */
export const kGrpcCallBelow = Symbol.for('http2-async-context.grpc-call-below.v1');

/** Marks `grpcInterceptor` and the hops `withGrpcScope` puts in a list, so they are recognised as ours. */
export const kGrpcInterceptor = Symbol.for('http2-async-context.grpc-interceptor.v1');

/** On the message context a grpc-js write passes down: the scope of the `write()` that sent it. */
export const kGrpcWrite = Symbol.for('http2-async-context.grpc-write.v1');

/** Marks an http2-wrapper Agent whose `request` we scoped. */
export const kScopedAgent = Symbol.for('http2-async-context.http2-wrapper-agent.v1');

/**
 * On a scoped undici handler, enumerable so that a copy an interceptor spreads from it keeps it:
 * the handler it reads its callbacks from, the request's scope, and the scoped handler itself.
 */
export const kUndiciScope = Symbol.for('http2-async-context.undici-scope.v2');

/** Marks `undiciInterceptor` and the hops `composeInScope` puts in a list, so they are recognised as ours. */
export const kUndiciInterceptor = Symbol.for('http2-async-context.undici-interceptor.v1');
