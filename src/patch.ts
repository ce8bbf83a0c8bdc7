import http2 from 'node:http2';
import module from 'node:module';
import { Duplex } from 'node:stream';
import { withPromisifiedForm } from './connect.js';
import { kPatchState, kShim } from './symbols.js';
import { requestInScope, wrapSession } from './wrap-session.js';

type Connect = typeof http2.connect;
type Request = http2.ClientHttp2Session['request'];

/** One property we replace: where it lives, what was there, and whether ours is in its chain. */
interface Slot<T> {
  holder: Record<string, unknown>;
  key: string;
  original: T;
  patched: T;
  /** False once unpatch put `original` back; true while ours is installed or buried under a later patch. */
  installed: boolean;
}

/** Lives on the `node:http2` module object, so the ESM and CommonJS copies share one patch. */
interface PatchState {
  active: boolean;
  connect: Slot<Connect>;
  request: Slot<Request>;
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

/** Builds the two replacements once per process; they consult `state.active` on every call. */
function createState(): PatchState {
  const prototype = clientSessionPrototype(http2Module.connect);
  const state = { active: false } as PatchState;
  const patchedConnect = withPromisifiedForm(function connect(authority: unknown, options?: unknown, listener?: unknown) {
    const session = Reflect.apply(state.connect.original, http2Module, arguments) as http2.ClientHttp2Session;
    return state.active ? wrapSession(session) : session;
  } as Connect, http2Module.connect);
  const patchedRequest = function request(this: http2.ClientHttp2Session, headers?: unknown, options?: unknown) {
    return state.active
      ? requestInScope(state.request.original, this, arguments)
      : Reflect.apply(state.request.original, this, arguments);
  } as Request;
  // Read by wrapSession(): while this is true, a session's own wrapper leaves the scoping to us.
  Object.defineProperty(patchedRequest, kShim, { get: () => state.active });
  state.connect = { holder: http2Module as never, key: 'connect', original: http2Module.connect, patched: patchedConnect, installed: false };
  state.request = { holder: prototype as never, key: 'request', original: prototype.request, patched: patchedRequest, installed: false };
  return state;
}

/** Puts ours on top of whatever the slot holds now. */
function install<T>(slot: Slot<T>): void {
  slot.original = slot.holder[slot.key] as T;
  slot.holder[slot.key] = slot.patched;
  slot.installed = true;
}

/** Restores the original only if ours is still on top: never clobbers a later patch. */
function uninstall<T>(slot: Slot<T>): void {
  if (slot.holder[slot.key] !== slot.patched) return;
  slot.holder[slot.key] = slot.original;
  slot.installed = false;
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
  let state = http2Module[kPatchState];
  if (state?.active) return false;
  if (!state) {
    state = createState();
    Object.defineProperty(http2Module, kPatchState, { value: state });
  }
  state.active = true;
  // A slot where ours stayed buried under someone's later patch comes back to life in place.
  if (!state.connect.installed) install(state.connect);
  if (!state.request.installed) install(state.request);
  syncNamedExports();
  return true;
}

/**
 * Undoes `patchHttp2()`. Restores the originals where ours are still the ones installed; where
 * someone patched after us, leaves their function in place and turns ours into a pass-through.
 * Calling it again after they unhook themselves restores the original then. Sessions wrapped
 * explicitly with `connect()` or `wrapSession()` stay scoped. Returns false if it was not active.
 */
export function unpatchHttp2(): boolean {
  const state = http2Module[kPatchState];
  if (!state) return false;
  const wasActive = state.active;
  state.active = false;
  uninstall(state.connect);
  uninstall(state.request);
  syncNamedExports();
  return wasActive;
}
