// Decomposition, not a candidate: the package's properties and an own `emit` that only passes
// every event to the one beneath (looked up per call), with no check and no scope. What the
// extra call per event costs on top of the shape change. Forwards by argument count.
import { connectWith } from './session.mjs';

const kScope = Symbol('scope');
const kEmitBelow = Symbol('emit-below');

function bind(stream, scope) {
  if (stream[kScope] !== undefined) return false;
  if (Object.hasOwn(stream, 'emit')) stream[kEmitBelow] = stream.emit;
  stream[kScope] = scope;
  stream.emit = passEmit;
  return true;
}

function passEmit(event, a, b) {
  const emit = this[kEmitBelow] ?? Object.getPrototypeOf(this).emit;
  if (event === 'close') {
    const scope = this[kScope];
    if (scope) {
      this[kScope] = null;
      scope.emitDestroy();
    }
  }
  switch (arguments.length) {
    case 1:
      return emit.call(this, event);
    case 2:
      return emit.call(this, event, a);
    case 3:
      return emit.call(this, event, a, b);
    default:
      return Reflect.apply(emit, this, arguments);
  }
}

export const connect = connectWith(bind);
