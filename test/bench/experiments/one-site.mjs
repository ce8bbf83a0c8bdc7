// package-copy.mjs with one call site each way: the scoped path spreads `arguments` into
// runInAsyncScope and the pass-through forwards them with Reflect.apply, instead of switching on
// the count. A smaller function for TurboFan to compile; the arguments handed on as they are.
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
  if (scope && needsScope(this, event)) {
    if (event === 'headers' || event === 'continue') {
      const status = event === 'headers' ? a?.[':status'] : 100;
      if (status === 100 || status === '100') return emitContinueOnce(this, scope);
    }
    try {
      return scope.runInAsyncScope(emitBelow(this), this, ...arguments);
    } finally {
      if (event === 'close') release(this, scope);
    }
  }
  return Reflect.apply(emitBelow(this), this, arguments);
}

function needsScope(stream, event) {
  if (event === 'error' || event === 'close') return true;
  if (event === 'newListener' || event === 'removeListener') return false;
  const events = stream._events;
  return events === undefined ? stream.listenerCount(event) > 0 : events[event] !== undefined;
}

function release(stream, scope) {
  stream[kScope] = null;
  scope.emitDestroy();
}

function emitContinueOnce(stream, scope) {
  if (stream[kContinued]) return false;
  stream[kContinued] = true;
  return scope.runInAsyncScope(emitBelow(stream), stream, 'continue');
}

export const connect = connectWith(bind);
