// (a) No own property but the scope: each bound stream's prototype is swapped for one of ours,
// created once per stream class on top of it, that holds the scoping `emit`; on close the
// stream gets its own prototype back. Nothing global is patched. The inherited `emit` is looked
// up per emit, beneath our prototype.
import { connectWith } from './session.mjs';

const kScope = Symbol('scope');
const kEmitBelow = Symbol('emit-below');
const kContinued = Symbol('continued');
/** Stream class prototype → ours on top of it (one class in practice). */
const ours = new Map();
let lastBase = null;
let lastOurs = null;

function scopedPrototypeOf(base) {
  if (base === lastBase) return lastOurs;
  let proto = ours.get(base);
  if (!proto) {
    proto = Object.create(base, { emit: { value: scopedEmit, writable: true, configurable: true } });
    ours.set(base, proto);
  }
  lastBase = base;
  lastOurs = proto;
  return proto;
}

function bind(stream, scope) {
  if (stream[kScope] !== undefined) return false;
  stream[kScope] = scope;
  if (Object.hasOwn(stream, 'emit')) {
    stream[kEmitBelow] = stream.emit;
    stream.emit = scopedEmit;
  } else {
    Object.setPrototypeOf(stream, scopedPrototypeOf(Object.getPrototypeOf(stream)));
  }
  return true;
}

/** Beneath ours: the stream's former own emit, else what its class prototype has now. */
function emitBelow(stream) {
  const below = stream[kEmitBelow];
  if (below !== undefined) return below;
  const proto = Object.getPrototypeOf(stream);
  return (proto === lastOurs || ours.has(proto) ? Object.getPrototypeOf(proto) : proto).emit;
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
  if (stream[kEmitBelow] !== undefined) {
    if (Object.hasOwn(stream, 'emit') && stream.emit === scopedEmit) stream.emit = stream[kEmitBelow];
  } else {
    const proto = Object.getPrototypeOf(stream);
    if (proto === lastOurs || ours.has(proto)) Object.setPrototypeOf(stream, Object.getPrototypeOf(proto));
  }
  scope.emitDestroy();
}

function emitContinueOnce(stream, scope) {
  if (stream[kContinued]) return false;
  stream[kContinued] = true;
  return scope.runInAsyncScope(emitBelow(stream), stream, 'continue');
}

export const connect = connectWith(bind);
