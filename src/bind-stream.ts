import { AsyncResource } from 'node:async_hooks';
import type { ClientHttp2Stream } from 'node:http2';
import { kContinued, kOriginalEmit, kScope } from './symbols.js';

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

/** A stream whose `emit` we replaced; the extra fields live on the stream, not in closures. */
export interface ScopedStream extends ClientHttp2Stream {
  [kScope]: AsyncResource;
  [kOriginalEmit]: Emit;
  [kContinued]?: true;
}

/**
 * Makes every event `stream` emits run inside `scope`. Returns false, doing nothing, when the
 * stream is already bound (by us, or by the other module copy of this package).
 */
export function bindStreamToScope(stream: ClientHttp2Stream, scope: AsyncResource): boolean {
  const target = stream as ScopedStream;
  if (target[kScope] !== undefined) return false;
  target[kScope] = scope;
  target[kOriginalEmit] = target.emit as Emit;
  target.emit = scopedEmit;
  return true;
}

/**
 * Installed as each bound stream's `emit`: one shared function, so binding a stream allocates
 * no closure. Arguments are forwarded by count rather than through a rest array, keeping the
 * exact `arguments.length` that listeners with rest parameters observe.
 */
function scopedEmit(this: ScopedStream, event: string | symbol, a?: unknown, b?: unknown, c?: unknown): boolean {
  if (event === 'headers' || event === 'continue') {
    const status = event === 'headers' ? (a as Record<string, unknown> | undefined)?.[':status'] : 100;
    if (status === 100 || status === '100') return emitContinueOnce(this);
  }
  const emit = this[kOriginalEmit];
  if (!needsScope(this, event)) return Reflect.apply(emit, this, arguments) as boolean;
  const scope = this[kScope];
  try {
    switch (arguments.length) {
      case 1: return scope.runInAsyncScope(emit, this, event);
      case 2: return scope.runInAsyncScope(emit, this, event, a);
      case 3: return scope.runInAsyncScope(emit, this, event, a, b);
      case 4: return scope.runInAsyncScope(emit, this, event, a, b, c);
      default: return scope.runInAsyncScope(emit, this, ...(arguments as unknown as [string]));
    }
  } finally {
    if (event === 'close') releaseScope(this);
  }
}

/**
 * Entering the scope is most of what the shim costs per event, and a stream emits several events
 * per request that no listener can observe it in. Two kinds run in the emitting context instead:
 * - an event nobody listens to (Node, Bun and Deno emit `resume`, `prefinish` and `readable` so),
 *   except `error`, which throws or reaches `errorMonitor`, and `close`, which releases the scope;
 * - `newListener` and `removeListener`: EventEmitter emits them synchronously inside the caller's
 *   own `on()` or `off()` call (seven times per request in a typical client), so they already run
 *   in that caller's context, exactly as without the shim.
 */
function needsScope(stream: ScopedStream, event: string | symbol): boolean {
  if (event === 'error' || event === 'close') return true;
  if (event === 'newListener' || event === 'removeListener') return false;
  return stream.listenerCount(event) > 0;
}

/**
 * After `close` a stream has nothing left to say: give it back its own `emit` and end the
 * resource, so async_hooks users see it destroyed exactly once.
 */
function releaseScope(stream: ScopedStream): void {
  stream.emit = stream[kOriginalEmit];
  stream[kScope].emitDestroy();
}

/**
 * A `:status 100` must reach listeners as one `continue` and no `headers`. Node emits `headers`
 * and derives `continue` from it in an internal listener; Bun emits `continue` first, then
 * `headers`. Whichever arrives first becomes the single `continue`; the rest are dropped.
 */
function emitContinueOnce(stream: ScopedStream): boolean {
  if (stream[kContinued]) return false;
  stream[kContinued] = true;
  return stream[kScope].runInAsyncScope(stream[kOriginalEmit], stream, 'continue');
}
