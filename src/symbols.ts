/**
 * Registry symbols (`Symbol.for`) rather than local ones, so that the ESM and the CommonJS
 * copies of this package, if both load, recognise each other's streams and sessions
 * instead of scoping them twice.
 */

/** The `AsyncResource` a stream's events run in. */
export const kScope = Symbol.for('http2-async-context.scope');

/** The `emit` a bound stream or session had before we replaced it. */
export const kOriginalEmit = Symbol.for('http2-async-context.original-emit');

/** The `request` a wrapped session had before we replaced it. */
export const kOriginalRequest = Symbol.for('http2-async-context.original-request');

/** Set on a stream once it has emitted `continue` for a `:status 100`. */
export const kContinued = Symbol.for('http2-async-context.continued');

/** Marks the functions we install, so a second wrapper can see it is not the first. */
export const kShim = Symbol.for('http2-async-context.shim');

/** Holds the process-wide patch state that `patchHttp2()` keeps on `node:http2`. */
export const kPatchState = Symbol.for('http2-async-context.patch-state');
