/**
 * Registry symbols (`Symbol.for`) rather than local ones, so that the ESM and the CommonJS
 * copies of this package, if both load, recognise each other's streams and sessions
 * instead of scoping them twice.
 */

/** The `AsyncResource` a stream's events run in; `null` once the stream closed and let it go. */
export const kScope = Symbol.for('http2-async-context.scope');

/** A bound stream's own `emit` from before we bound it, when it had one (someone else's wrapper). */
export const kEmitBelow = Symbol.for('http2-async-context.emit-below');

/** A wrapped session's state: its scope, and what it had before we wrapped it. */
export const kSession = Symbol.for('http2-async-context.session');

/** Set on a stream once it has emitted `continue` for a `:status 100`. */
export const kContinued = Symbol.for('http2-async-context.continued');

/** Marks the functions we install, so a second wrapper can see it is not the first. */
export const kShim = Symbol.for('http2-async-context.shim');

/**
 * Holds the process-wide patch state that `patchHttp2()` keeps on `node:http2`. Versioned by the
 * shape of what it holds, so that a copy of the package whose state differs never reads ours.
 */
export const kPatchState = Symbol.for('http2-async-context.patch-state.v3');
