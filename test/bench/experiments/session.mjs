// What every experiment shares: a connect() whose sessions capture a `PendingRequest` resource
// per request, as the package does, and hand the stream to the experiment's `bind`. Pushed
// streams and the session's own emit are left out: the workloads have neither.
import { AsyncResource } from 'node:async_hooks';
import http2 from 'node:http2';

/** connect() for one experiment: `bind(stream, scope)` returns false if it did not take the scope. */
export function connectWith(bind) {
  return function connect(authority, options) {
    const session = http2.connect(authority, options);
    const below = Object.getPrototypeOf(session).request;
    session.request = function request(headers, requestOptions) {
      const scope = new AsyncResource('PendingRequest');
      const stream = Reflect.apply(below, this, arguments);
      if (!bind(stream, scope)) scope.emitDestroy();
      return stream;
    };
    return session;
  };
}
