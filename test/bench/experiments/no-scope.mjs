// Decomposition, not a candidate: the package's binding (own emit, lookups, released emit kept
// on close), but no event enters the scope. The package minus this is what its
// runInAsyncScope calls cost; this minus `resource-only` is what the binding itself costs.
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
    return Reflect.apply(emit, this, arguments);
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
  scope.emitDestroy();
}

function emitContinueOnce(stream, scope) {
  if (stream[kContinued]) return false;
  stream[kContinued] = true;
  return emitBelow(stream).call(stream, 'continue');
}

export const connect = connectWith(bind);
