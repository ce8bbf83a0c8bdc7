// Decomposition, not a candidate: the two properties the package adds to each stream (its scope
// and an own `emit`), but the `emit` added is the inherited one itself, so every event takes the
// native path, and the scope ends at once. What the shape change alone costs.
import { connectWith } from './session.mjs';

const kScope = Symbol('scope');

function bind(stream, scope) {
  if (stream[kScope] !== undefined) return false;
  stream[kScope] = null;
  stream.emit = Object.getPrototypeOf(stream).emit;
  scope.emitDestroy();
  return true;
}

export const connect = connectWith(bind);
