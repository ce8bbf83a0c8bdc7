// package-copy.mjs where the events a stream nearly always has a listener for (`finish`, which
// Node's own listener hears, `data`, `end`, `response`) go without the listener check and are scoped
// whether heard or not: no `_events[event]` keyed load for them.
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
}

function needsScope(stream, event) {
  if (event === 'data' || event === 'end' || event === 'finish' || event === 'response') return true;
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
