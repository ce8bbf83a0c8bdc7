// (d) Upper bound: as `current`, but `ready` and `finish`, whose only listeners in the workloads
// are Node's own, never enter the scope. Not a candidate as it stands: a user's `end(cb)` callback
// and `once('ready')` listener would lose their context. It shows what two fewer scope entries
// per request would buy.
import { connectWith } from './session.mjs';

const kScope = Symbol('scope');
const kEmitBelow = Symbol('emit-below');
const kContinued = Symbol('continued');

function bind(stream, scope) {
  if (stream[kScope] !== undefined) return false;
  if (Object.hasOwn(stream, 'emit')) stream[kEmitBelow] = stream.emit;
  stream[kScope] = scope;
  stream.emit = scopedEmit;
  return true;
}

const emitBelow = (stream) => stream[kEmitBelow] ?? Object.getPrototypeOf(stream).emit;

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
  if (event === 'newListener' || event === 'removeListener' || event === 'ready' || event === 'finish') return false;
  return stream.listenerCount(event) > 0;
}

function release(stream, scope) {
  stream[kScope] = null;
  if (Object.hasOwn(stream, 'emit') && stream.emit === scopedEmit) {
    const below = stream[kEmitBelow];
    if (below) stream.emit = below;
    else delete stream.emit;
  }
  scope.emitDestroy();
}

function emitContinueOnce(stream, scope) {
  if (stream[kContinued]) return false;
  stream[kContinued] = true;
  return scope.runInAsyncScope(emitBelow(stream), stream, 'continue');
}

export const connect = connectWith(bind);
