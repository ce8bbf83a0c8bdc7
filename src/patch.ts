import http2 from 'node:http2';
import module from 'node:module';
import { unpatchClients } from './clients/hook.js';
import { withPromisifiedForm } from './connect.js';
import { kPatchState, kShim } from './symbols.js';
import { bindSession, isClientSession, scopingRequest, type PatchGate } from './wrap-session.js';

type Connect = typeof http2.connect;
type Request = http2.ClientHttp2Session['request'];
type Holder = Record<string, unknown>;

/** One property we replace: where it lives, what was there, and whether ours is in its chain. */
interface Slot<T> {
  holder: Holder;
  key: string;
  original: T;
  patched: T;
  /** False once unpatch put `original` back; true while ours is installed or buried under a later patch. */
  installed: boolean;
}

/** Lives on the `node:http2` module object, so the ESM and CommonJS copies share one patch. */
interface PatchState extends PatchGate {
  active: boolean;
  connect: Slot<Connect>;
  /** Undefined until the client session prototype is known (see `noteSession`). */
  request: Slot<Request> | undefined;
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
  const constructor = holder.constructor as { name?: unknown } | undefined;
  if (!Object.hasOwn(holder, 'request') || typeof holder.request !== 'function') return undefined;
  return constructor?.name === 'ClientHttp2Session' ? holder : undefined;
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
  const state = { active: false, request: undefined } as unknown as PatchState;
  state.connect = { holder: http2Module as never, key: 'connect', original: http2Module.connect, patched: http2Module.connect, installed: false };
  state.noteSession = (session) => {
    if (state.request === undefined && state.active) learnPrototype(state, Object.getPrototypeOf(session));
  };
  return state;
}

/**
 * Our `connect`, made anew each time it goes on top of `original`, so that its promisified form
 * (a non-configurable property, as natively) matches the `connect` it wraps at that moment.
 */
function patchedConnectOver(state: PatchState, original: Connect): Connect {
  return withPromisifiedForm(function connect(authority: unknown, options?: unknown, listener?: unknown) {
    const session = Reflect.apply(state.connect.original, http2Module, arguments) as unknown;
    // A test double may return anything; only a real-looking session is wrapped.
    return state.active && isClientSession(session) ? bindSession(session, state) : session;
  } as Connect, original);
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
  const patchedRequest = scopingRequest(() => slot.original, () => state.active);
  // Read by wrapped sessions: while this is true, their own wrapper leaves the scoping to us.
  Object.defineProperty(patchedRequest, kShim, { get: () => state.active });
  const slot: Slot<Request> = { holder: prototype, key: 'request', original: prototype.request as Request, patched: patchedRequest, installed: false };
  state.request = slot;
  install(slot);
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
  // A slot where ours stayed buried under someone's later patch comes back to life in place.
  if (!state.connect.installed) {
    state.connect.patched = patchedConnectOver(state, http2Module.connect);
    install(state.connect);
  }
  if (state.request === undefined) learnPrototype(state, http2Module.ClientHttp2Session?.prototype);
  else if (!state.request.installed) install(state.request);
  syncNamedExports();
  return true;
}

/**
 * Undoes `patchHttp2()`, and `patchClients()` too, so that it turns off everything `register`
 * turned on. Restores the originals where ours are still the ones installed; where
 * someone patched after us, leaves their function in place and turns ours into a pass-through.
 * Calling it again after they unhook themselves restores the original then. Sessions the patch
 * wrapped act natively from then on (streams already open keep their scope until they close);
 * sessions from `connect()` and `wrapSession()` stay scoped. Returns false if it was not active.
 */
export function unpatchHttp2(): boolean {
  const clients = unpatchClients();
  const state = http2Module[kPatchState];
  if (!state) return clients;
  const wasActive = state.active;
  state.active = false;
  uninstall(state.connect);
  if (state.request) uninstall(state.request);
  syncNamedExports();
  return wasActive || clients;
}
