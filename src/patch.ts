import http2 from 'node:http2';
import module from 'node:module';
import { Duplex } from 'node:stream';
import { withPromisifiedForm } from './connect.js';
import { kPatchState, kShim } from './symbols.js';
import { requestInScope, wrapSession } from './wrap-session.js';

type Connect = typeof http2.connect;
type Request = http2.ClientHttp2Session['request'];

/** Lives on the `node:http2` module object, so the ESM and CommonJS copies share one patch. */
interface PatchState {
  active: boolean;
  originalConnect: Connect;
  patchedConnect: Connect;
  prototype: { request: Request };
  originalRequest: Request;
  patchedRequest: Request;
}

type Http2Module = typeof http2 & { [kPatchState]?: PatchState; ClientHttp2Session?: { prototype: { request: Request } } };
const http2Module = http2 as Http2Module;

/**
 * The client session class is exported by Bun and Deno but not by Node, where it is reached
 * through a session over an in-memory stream: no socket, destroyed at once.
 */
function clientSessionPrototype(original: Connect): { request: Request } {
  const exported = http2Module.ClientHttp2Session?.prototype;
  if (exported && typeof exported.request === 'function') return exported;
  const socket = new Duplex({ read() {}, write(_chunk, _encoding, done) { done(); } });
  const session = original('http://127.0.0.1', { createConnection: () => socket });
  session.on('error', () => {});
  session.destroy();
  return Object.getPrototypeOf(session) as { request: Request };
}

/** Publishes a changed `http2.connect` to `import { connect } from 'node:http2'` (Node only). */
function syncNamedExports(): void {
  // Bun's is a stub and Deno's a no-op; the prototype patch is what reaches named imports there.
  module.syncBuiltinESMExports?.();
}

function install(): PatchState {
  const originalConnect = http2Module.connect;
  const prototype = clientSessionPrototype(originalConnect);
  const state = { active: true, originalConnect, prototype, originalRequest: prototype.request } as PatchState;

  state.patchedConnect = withPromisifiedForm(function connect(authority: unknown, options?: unknown, listener?: unknown) {
    const session = Reflect.apply(state.originalConnect, http2Module, arguments) as http2.ClientHttp2Session;
    return state.active ? wrapSession(session) : session;
  } as Connect, originalConnect);

  state.patchedRequest = function request(this: http2.ClientHttp2Session, headers?: unknown, options?: unknown) {
    return state.active
      ? requestInScope(state.originalRequest, this, arguments)
      : Reflect.apply(state.originalRequest, this, arguments);
  } as Request;
  // Read by wrapSession(): while this is true, a session's own wrapper leaves the scoping to us.
  Object.defineProperty(state.patchedRequest, kShim, { get: () => state.active });

  http2Module.connect = state.patchedConnect;
  prototype.request = state.patchedRequest;
  syncNamedExports();
  return state;
}

/**
 * Patches `node:http2` for the whole process: `http2.connect` (every import form) and the client
 * session prototype's `request` (every session, however `connect` was reached). Idempotent, also
 * across the ESM and CommonJS copies of this package. Returns false if it was already patched.
 *
 * @example
 * ```ts
 * import { patchHttp2 } from 'http2-async-context';
 * patchHttp2(); // before the code that creates sessions, or preload 'http2-async-context/register'
 * ```
 */
export function patchHttp2(): boolean {
  const state = http2Module[kPatchState];
  if (state?.active) return false;
  if (state) {
    // Unpatched earlier but someone patched on top of us: switch ours back on, in place.
    state.active = true;
    return true;
  }
  Object.defineProperty(http2Module, kPatchState, { configurable: true, value: install() });
  return true;
}

/**
 * Undoes `patchHttp2()`. Restores the originals where ours are still the ones installed; where
 * someone patched after us, leaves their function in place and turns ours into a pass-through.
 * Sessions wrapped explicitly with `connect()` or `wrapSession()` stay scoped.
 * Returns false if it was not patched.
 */
export function unpatchHttp2(): boolean {
  const state = http2Module[kPatchState];
  if (!state?.active) return false;
  state.active = false;
  const connectIsOurs = http2Module.connect === state.patchedConnect;
  const requestIsOurs = state.prototype.request === state.patchedRequest;
  if (connectIsOurs) {
    http2Module.connect = state.originalConnect;
    syncNamedExports();
  }
  if (requestIsOurs) state.prototype.request = state.originalRequest;
  if (connectIsOurs && requestIsOurs) delete http2Module[kPatchState];
  return true;
}
