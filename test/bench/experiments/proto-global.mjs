// (a) The scoping `emit` installed once on the client stream class's own prototype (where no
// `emit` was), and only the scope on each stream. A global patch: every stream of the class,
// bound or not, goes through it; unbound ones pass straight through. Not for explicit connect()
// as it stands (it must not patch globally); measured to see what no per-stream shape change buys.
import { connectWith } from './session.mjs';

const kScope = Symbol('scope');
const kEmitBelow = Symbol('emit-below');
const kContinued = Symbol('continued');
let patched = null;

function bind(stream, scope) {
  if (stream[kScope] !== undefined) return false;
  stream[kScope] = scope;
  if (Object.hasOwn(stream, 'emit')) {
    stream[kEmitBelow] = stream.emit;
    stream.emit = scopedEmit;
  } else if (patched === null) {
    patched = Object.getPrototypeOf(stream);
    Object.defineProperty(patched, 'emit', { value: scopedEmit, writable: true, configurable: true });
  }
  return true;
}

/** Beneath ours: the stream's former own emit, else what the class prototype's parent has now. */
function emitBelow(stream) {
  return stream[kEmitBelow] ?? Object.getPrototypeOf(patched).emit;
}

function scopedEmit(event, a, b, c) {
  const scope = this[kScope];
  if (!scope) return Reflect.apply(emitBelow(this), this, arguments);
  if (event === 'headers' || event === 'continue') {
    const status = event === 'headers' ? a?.[':status'] : 100;
    if (status === 100 || status === '100') return emitContinueOnce(this, scope);
  }
  const emit = emitBelow(this);
  if (!needsScope(this, event)) return Reflect.apply(emit, this, arguments);
  try {
    switch (arguments.length) {
      case 1: return scope.runInAsyncScope(emit, this, event);
      case 2: return scope.runInAsyncScope(emit, this, event, a);
      case 3: return scope.runInAsyncScope(emit, this, event, a, b);
      case 4: return scope.runInAsyncScope(emit, this, event, a, b, c);
      default: return scope.runInAsyncScope(emit, this, ...arguments);
    }
  } finally {
    if (event === 'close') release(this, scope);
  }
}

function needsScope(stream, event) {
  if (event === 'error' || event === 'close') return true;
  if (event === 'newListener' || event === 'removeListener') return false;
  return stream.listenerCount(event) > 0;
}

function release(stream, scope) {
  stream[kScope] = null;
  const below = stream[kEmitBelow];
  if (below !== undefined && Object.hasOwn(stream, 'emit') && stream.emit === scopedEmit) stream.emit = below;
  scope.emitDestroy();
}

function emitContinueOnce(stream, scope) {
  if (stream[kContinued]) return false;
  stream[kContinued] = true;
  return scope.runInAsyncScope(emitBelow(stream), stream, 'continue');
}

export const connect = connectWith(bind);
