// package-copy.mjs with two shared `emit`s, one for streams that had no own `emit` (the one
// beneath is the prototype's, looked up per call) and one for streams that had: the common
// stream no longer reads the `kEmitBelow` symbol, a megamorphic keyed load, on every event.
import { connectWith } from './session.mjs';

const kScope = Symbol('scope');
const kEmitBelow = Symbol('emit-below');
const kContinued = Symbol('continued');

function bind(stream, scope) {
  if (stream[kScope] !== undefined) return false;
  const own = Object.hasOwn(stream, 'emit');
  if (own) stream[kEmitBelow] = stream.emit;
  stream[kScope] = scope;
  stream.emit = own ? scopedOverOwnEmit : scopedEmit;
  return true;
}

const inheritedEmit = (stream) => Object.getPrototypeOf(stream).emit;
const ownEmitBelow = (stream) => stream[kEmitBelow];

/** One `emit` per way of finding the one beneath: the common stream reads no `kEmitBelow` per event. */
function scopedEmitWith(emitBelow) {
  return function scopedEmit(event, a, b, c) {
    const scope = this[kScope];
    if (scope && needsScope(this, event)) {
      if (event === 'headers' || event === 'continue') {
        const status = event === 'headers' ? a?.[':status'] : 100;
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
            return scope.runInAsyncScope(emit, this, ...arguments);
        }
      } finally {
        if (event === 'close') release(this, scope);
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
        return Reflect.apply(emit, this, arguments);
    }
  };
}

const scopedEmit = scopedEmitWith(inheritedEmit);
const scopedOverOwnEmit = scopedEmitWith(ownEmitBelow);

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
  return scope.runInAsyncScope(stream[kEmitBelow] ?? inheritedEmit(stream), stream, 'continue');
}

export const connect = connectWith(bind);
