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
  const scope = this[kScope];
  const emit = this[kOriginalEmit];
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
