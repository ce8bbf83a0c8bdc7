// `package-copy` with no resource of its own where the runtime already made one: Node (20.18.3+,
// 22.12+) creates a `PendingRequest` inside `request()` and keeps it on the stream under a symbol
// described `requestAsyncResource`; this candidate scopes events in that one, and creates its
// own only where the stream has none. The candidate behind "lean on Node's own resource".
import { AsyncResource } from 'node:async_hooks';
import http2 from 'node:http2';

const kScope = Symbol('scope');
const kEmitBelow = Symbol('emit-below');
const kContinued = Symbol('continued');
const kOwn = Symbol('own');
let nodeKey; // undefined: not looked for yet; null: this runtime has none

function findNodeKey(stream) {
  for (const key of Object.getOwnPropertySymbols(stream))
    if (key.description === 'requestAsyncResource' && stream[key] instanceof AsyncResource) return key;
  return null;
}

export function connect(authority, options) {
  const session = http2.connect(authority, options);
  const below = Object.getPrototypeOf(session).request;
  session.request = function request(headers, requestOptions) {
    const stream = Reflect.apply(below, this, arguments);
    if (nodeKey === undefined) nodeKey = findNodeKey(stream);
    const native = nodeKey === null ? undefined : stream[nodeKey];
    if (native !== undefined) bind(stream, native);
    else {
      stream[kOwn] = true;
      bind(stream, new AsyncResource('PendingRequest'));
    }
    return stream;
  };
  return session;
}

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
  if (event === 'error' || event === 'close') return true;
  if (event === 'newListener' || event === 'removeListener') return false;
  const events = stream._events;
  return events === undefined ? stream.listenerCount(event) > 0 : events[event] !== undefined;
}

function release(stream, scope) {
  stream[kScope] = null;
  if (stream[kOwn]) scope.emitDestroy();
}

function emitContinueOnce(stream, scope) {
  if (stream[kContinued]) return false;
  stream[kContinued] = true;
  return scope.runInAsyncScope(emitBelow(stream), stream, 'continue');
}
