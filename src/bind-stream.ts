import type { AsyncResource } from 'node:async_hooks';
import type { ClientHttp2Stream } from 'node:http2';
import { kContinued, kEmitBelow, kScope } from './symbols.js';

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

/**
 * A stream whose events we scope. `kScope` is the resource while bound and `null` once released;
 * `kEmitBelow` is set only when the stream already had an `emit` of its own when we bound it.
 */
export interface ScopedStream extends ClientHttp2Stream {
  [kScope]: AsyncResource | null;
  [kEmitBelow]?: Emit;
  [kContinued]?: true;
}

/**
 * Makes every event `stream` emits run inside `scope`. Returns false, doing nothing, when the
 * stream is or was already bound (by us, or by the other module copy of this package).
 */
export function bindStreamToScope(stream: ClientHttp2Stream, scope: AsyncResource): boolean {
  const target = stream as ScopedStream;
  if (target[kScope] !== undefined) return false;
  // Someone else's per-instance `emit` (an APM agent's) is kept and called; the usual inherited
  // one is not copied, but looked up on each emit, so a later patch of the prototype's `emit`
  // (a profiler, a lazily loaded agent) still sees every event.
  if (Object.hasOwn(target, 'emit')) target[kEmitBelow] = target.emit as Emit;
  target[kScope] = scope;
  target.emit = scopedEmit;
  return true;
}

/** Gives a bound stream a scope other than the one it was bound with (a client integration's). */
export function rebindStreamScope(stream: ClientHttp2Stream, scope: AsyncResource): boolean {
  const target = stream as ScopedStream;
  const previous = target[kScope];
  if (previous === undefined) return bindStreamToScope(stream, scope);
  if (previous === null) return false;
  target[kScope] = scope;
  previous.emitDestroy();
  return true;
}

/** The `emit` beneath ours: the stream's former own one, else whatever its prototype has now. */
function emitBelow(stream: ScopedStream): Emit {
  return stream[kEmitBelow] ?? (Object.getPrototypeOf(stream).emit as Emit);
}

/**
 * Installed as each bound stream's `emit`: one shared function, so binding a stream allocates
 * no closure. An event nobody can observe passes straight through (`needsScope`). Arguments are
 * forwarded by count, never through `arguments` or a rest array: listeners with rest parameters
 * see the exact `arguments.length`, and the common event pays for no arguments object (which cost
 * more than entering the scope, measured in test/bench/NOTES.md).
 */
function scopedEmit(this: ScopedStream, event: string | symbol, a?: unknown, b?: unknown, c?: unknown): boolean {
  const scope = this[kScope];
  if (scope && needsScope(this, event)) {
    if (event === 'headers' || event === 'continue') {
      const status = event === 'headers' ? (a as Record<string, unknown> | undefined)?.[':status'] : 100;
      if (status === 100 || status === '100') return emitContinueOnce(this, scope);
    }
    const emit = emitBelow(this);
    try {
      switch (arguments.length) {
        case 1:
          return scope.runInAsyncScope(emit, this, event);
        case 2:
          return scope.runInAsyncScope(emit, this, event, a);
        case 3:
          return scope.runInAsyncScope(emit, this, event, a, b);
        case 4:
          return scope.runInAsyncScope(emit, this, event, a, b, c);
        default:
          return scope.runInAsyncScope(emit, this, ...(arguments as unknown as [string]));
      }
    } finally {
      if (event === 'close') releaseScope(this, scope);
    }
  }
  const emit = emitBelow(this);
  switch (arguments.length) {
    case 1:
      return emit.call(this, event);
    case 2:
      return emit.call(this, event, a);
    case 3:
      return emit.call(this, event, a, b);
    case 4:
      return emit.call(this, event, a, b, c);
    default:
      return Reflect.apply(emit, this, arguments) as boolean;
  }
}

/**
 * Entering the scope is most of what the shim costs per event, and a stream emits several events
 * per request that no listener can observe it in. Two kinds run in the emitting context instead:
 * - an event nobody listens to (Node, Bun and Deno emit `resume`, `prefinish` and `readable` so),
 *   except `error`, which throws or reaches `errorMonitor`, and `close`, which releases the scope;
 *   a `headers` for a 100 with nobody listening is passed on as it is: nobody hears it either way;
 * - `newListener` and `removeListener`: EventEmitter emits them synchronously inside the caller's
 *   own `on()` or `off()` call (seven times per request in a typical client), so they already run
 *   in that caller's context, exactly as without the shim.
 */
function needsScope(stream: ScopedStream, event: string | symbol): boolean {
  if (event === 'error' || event === 'close') return true;
  if (event === 'newListener' || event === 'removeListener') return false;
  // EventEmitter's own table of listeners, which Node, Bun and Deno all keep in `_events`: read
  // directly, because a listenerCount() call per event costs 0.5 % of a request (NOTES.md).
  const listeners = (stream as { _events?: Record<string | symbol, unknown> })._events;
  return listeners === undefined ? stream.listenerCount(event) > 0 : listeners[event] !== undefined;
}

/**
 * After `close` a stream has nothing left to say: end the resource, exactly once. Our `emit`
 * stays on the stream, released: it passes every later event to the `emit` beneath, looked up
 * per call, in the emitter's own context. Taking it off would cost more than it is worth: Node
 * adds properties to a stream after we bind it (`timeout`, its handle), so deleting `emit` would
 * delete a property that is not the last one added, and V8 would turn every stream into a
 * dictionary-mode object (measured in test/bench/NOTES.md). A wrapper someone installed on top
 * of ours is never touched.
 */
function releaseScope(stream: ScopedStream, scope: AsyncResource): void {
  stream[kScope] = null;
  scope.emitDestroy();
}

/**
 * A `:status 100` must reach listeners as one `continue` and no `headers`. Node emits `headers`
 * and derives `continue` from it in an internal listener; Bun emits `continue` first, then
 * `headers`. Whichever arrives first becomes the single `continue`; the rest are dropped.
 */
function emitContinueOnce(stream: ScopedStream, scope: AsyncResource): boolean {
  if (stream[kContinued]) return false;
  stream[kContinued] = true;
  return scope.runInAsyncScope(emitBelow(stream), stream, 'continue');
}
