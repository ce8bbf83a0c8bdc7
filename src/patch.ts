import http2 from 'node:http2';
import module from 'node:module';
import { withPromisifiedForm } from './connect.js';
import { debug } from './debug.js';
import { unpatchClients } from './integrations/load-hook.js';
import { noteConnectCaller } from './integrations/unreached.js';
import { type Replacement, replace, restore } from './replace.js';
import { kPatchState, kShim } from './symbols.js';
import { bindSession, isClientSession, type PatchGate, scopingRequest } from './wrap-session.js';

type Connect = typeof http2.connect;
type Request = http2.ClientHttp2Session['request'];
type Holder = Record<string, unknown>;

/** Lives on the `node:http2` module object, so the ESM and CommonJS copies share one patch. */
interface PatchState extends PatchGate {
  active: boolean;
  /** Ours on `http2.connect`, while installed or buried under a later patch; undefined once restored. */
  connect: Replacement<Connect> | undefined;
  /** The client session prototype, once known (see `noteSession`). */
  prototype: Holder | undefined;
  /** Ours on the prototype's `request`, like `connect`. */
  request: Replacement<Request> | undefined;
}

type Http2Module = typeof http2 & { [kPatchState]?: PatchState; ClientHttp2Session?: { prototype: unknown } };
const http2Module = http2 as Http2Module;

/**
 * The client session prototype, if `candidate` is one: it must own a `request` function and
 * belong to a class named `ClientHttp2Session`, so that a test double's prototype (or
 * `Object.prototype`) is never taken for it.
 */
function asClientSessionPrototype(candidate: unknown): Holder | undefined {
  if (typeof candidate !== 'object' || candidate === null || candidate === Object.prototype) return undefined;
  const holder = candidate as Holder;
  const ctor = holder.constructor as { name?: unknown } | undefined;
  if (!Object.hasOwn(holder, 'request') || typeof holder.request !== 'function') return undefined;
  return ctor?.name === 'ClientHttp2Session' ? holder : undefined;
}

/** Publishes a changed `http2.connect` to `import { connect } from 'node:http2'` (Node only). */
function syncNamedExports(): void {
  // Bun's is a stub and Deno's a no-op; the prototype patch is what reaches named imports there.
  module.syncBuiltinESMExports?.();
}

/**
 * The state shared by every copy of the package. Nothing is called to build it: the rule
 * throughout is that this package never calls or constructs through someone else's function
 * (an APM agent's `connect`, a test double) to find something out.
 */
function createState(): PatchState {
  const state: PatchState = {
    active: false,
    connect: undefined,
    prototype: undefined,
    request: undefined,
    noteSession: (session) => {
      if (state.prototype === undefined && state.active) learnPrototype(state, Object.getPrototypeOf(session));
    },
  };
  return state;
}

/**
 * Our `connect` over `below()`, with the promisified form (a non-configurable property, as
 * natively) of the `connect` it goes on top of.
 */
function patchedConnect(state: PatchState, below: () => Connect): Connect {
  return withPromisifiedForm(
    function connect(authority: unknown, options?: unknown, listener?: unknown) {
      const session = Reflect.apply(below(), http2Module, arguments) as unknown;
      // A test double may return anything; only a real-looking session is wrapped.
      if (!state.active || !isClientSession(session)) return session;
      noteConnectCaller();
      return bindSession(session, state);
    } as Connect,
    below(),
  );
}

/** Our `request` on the client session prototype: scopes while the patch is on. */
function patchedRequest(state: PatchState, below: () => Request): Request {
  const request = scopingRequest(below, () => state.active);
  // Read by wrapped sessions: while this is true, their own wrapper leaves the scoping to us.
  Object.defineProperty(request, kShim, { get: () => state.active });
  return request;
}

/**
 * Patches `request` on the client session prototype once it is known. Bun and Deno export the
 * class; Node does not, and the only other way to reach it is to create a session, which would
 * call whatever `http2.connect` is installed (an APM agent's, a test double) and open a phantom
 * connection. So on Node it is taken from the first real session that passes through the
 * package while the patch is on: until then, only sessions from `http2.connect` are scoped.
 */
function learnPrototype(state: PatchState, candidate: unknown): void {
  const prototype = asClientSessionPrototype(candidate);
  if (prototype === undefined) return;
  state.prototype = prototype;
  state.request = replace(prototype, 'request', (below: () => Request) => patchedRequest(state, below));
  debug("patched node:http2's client session request()");
}

/**
 * Patches `node:http2` for the whole process: `http2.connect` (every import form) and the client
 * session prototype's `request` (every session, however `connect` was reached; on Node from the
 * first session the patch sees). Idempotent, also across the ESM and CommonJS copies of this
 * package. Calls nothing: it only replaces properties. Returns false if it was already patched.
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
  // Where ours stayed buried under someone's later patch, it comes back to life in place.
  state.connect ??= replace(http2Module, 'connect', (below: () => Connect) => patchedConnect(state, below));
  debug(
    'patched node:http2: http2.connect%s',
    state.prototype === undefined && http2Module.ClientHttp2Session === undefined
      ? ", and the client session's request() with the first session (Node exports no session class)"
      : '',
  );
  if (state.prototype === undefined) learnPrototype(state, http2Module.ClientHttp2Session?.prototype);
  else state.request ??= replace(state.prototype, 'request', (below: () => Request) => patchedRequest(state, below));
  syncNamedExports();
  return true;
}

/**
 * Undoes `patchHttp2()`, and `patchClients()` too, so that it turns off everything `register`
 * turned on. Restores the originals where ours are still the ones installed; where
 * someone patched after us, leaves their function in place and turns ours into a pass-through.
 * Calling it again after they unhook themselves restores the original then. Sessions the patch
 * wrapped act natively from then on (streams already open keep their scope until they close);
 * sessions from `connect()` and `wrapSession()` stay scoped. Returns whether it did anything:
 * turned a patch off, or took off a pass-through of ours that a later patch had covered.
 */
export function unpatchHttp2(): boolean {
  const clients = unpatchClients();
  const state = http2Module[kPatchState];
  if (!state) return clients;
  const wasActive = state.active;
  state.active = false;
  const connect = state.connect !== undefined && restore(state.connect);
  const request = state.request !== undefined && restore(state.request);
  if (connect) state.connect = undefined;
  if (request) state.request = undefined;
  syncNamedExports();
  return wasActive || clients || connect || request;
}

/** Whether `patchHttp2()` is on in this process, from either module copy; creates no state. */
export function http2Patched(): boolean {
  return http2Module[kPatchState]?.active === true;
}
