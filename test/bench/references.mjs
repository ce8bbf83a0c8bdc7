// Reference variants the shim is compared with. Each takes a connected native session and
// changes its `request()` the way that approach would, for the benchmark only.
import { AsyncResource } from 'node:async_hooks';

/**
 * The usual APM-agent approach: per stream, a closure replaces `emit` and re-enters the
 * request's resource on every event, forwarding arguments through rest arrays. The resource is
 * left to the garbage collector, as such wrappers usually do.
 */
export function wrapNaive(session) {
  const request = session.request;
  session.request = function (...args) {
    const resource = new AsyncResource('NaiveRequest');
    const stream = request.apply(this, args);
    const emit = stream.emit;
    stream.emit = function (...emitArgs) {
      return resource.runInAsyncScope(emit, this, ...emitArgs);
    };
    return stream;
  };
  return session;
}

/**
 * Listener binding: every listener added to the stream is wrapped with `AsyncResource.bind`,
 * which captures the context current where the listener is added (here: inside the request's
 * `als.run`), not where `request()` was called. `once` and `prependOnceListener` reach these
 * through `on`/`prependListener` in Node's EventEmitter, so they are not replaced themselves.
 */
export function wrapListenerBinding(session) {
  const request = session.request;
  session.request = function (...args) {
    const stream = request.apply(this, args);
    stream.on = stream.addListener = boundOn;
    stream.prependListener = boundPrepend;
    return stream;
  };
  return session;
}

/** `.listener` lets removeListener (and once's own self-removal) find the original. */
function bind(listener) {
  const bound = AsyncResource.bind(listener);
  bound.listener = listener;
  return bound;
}

function boundOn(event, listener) {
  return Object.getPrototypeOf(this).on.call(this, event, bind(listener));
}

function boundPrepend(event, listener) {
  return Object.getPrototypeOf(this).prependListener.call(this, event, bind(listener));
}
