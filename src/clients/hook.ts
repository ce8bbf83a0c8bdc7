import http2 from 'node:http2';
import Module from 'node:module';
import { replace, restore, type Replacement } from '../replace.js';
import { grpcJsIntegration } from './grpc-js.js';
import { http2WrapperIntegration } from './http2-wrapper.js';
import { loadedModules, sharedClientState, type Integration } from './integration.js';
import { undiciIntegration } from './undici.js';

/** Every client the register patch makes right. */
export const integrations: readonly Integration[] = [grpcJsIntegration, http2WrapperIntegration, undiciIntegration];

type Load = (this: unknown, request: unknown, ...rest: unknown[]) => unknown;
interface ModuleInternals { _load?: Load }
const moduleInternals = Module as unknown as ModuleInternals;

/** Shared on `node:http2` by both module copies of this package, like the http2 patch state. */
interface HookState {
  active: boolean;
  /** Ours on `Module._load`, while installed or buried under a later patch; undefined once restored. */
  load: Replacement<Load> | undefined;
  /** Every copy (exports object) patched so far, so that unpatch and a later patch reach them. */
  copies: Map<object, Integration>;
}

// Versioned by the shape of what it holds.
const kHookState = Symbol.for('http2-async-context.clients.hook.v2');

function hookState(): HookState {
  const holder = http2 as unknown as { [kHookState]?: HookState };
  let state = holder[kHookState];
  if (state === undefined) {
    state = { active: false, load: undefined, copies: new Map() };
    Object.defineProperty(holder, kHookState, { value: state });
  }
  return state;
}

/** What a load of `integration`'s main entry is called with: its name, or (from ESM) its path. */
const entrySuffixes = new Map(integrations.map((integration) => {
  const posix = `/node_modules/${integration.name}/${integration.entry}`;
  return [integration, [posix, posix.replaceAll('/', '\\')]] as const;
}));

/** The integration whose main entry `request` names, judged by the string alone. */
function integrationFor(request: string): Integration | undefined {
  for (const [integration, suffixes] of entrySuffixes) {
    if (request === integration.name || suffixes.some((suffix) => request.endsWith(suffix))) return integration;
  }
  return undefined;
}

function patchCopy(state: HookState, integration: Integration, exports: unknown): void {
  if (typeof exports !== 'object' || exports === null || state.copies.has(exports)) return;
  if (integration.patch(exports)) state.copies.set(exports, integration);
}

/**
 * Ours goes on top of `Module._load`: every CommonJS load, also an ES module's import of a
 * CommonJS package on Node 20–26 and Deno, passes through it. It looks only at the request
 * string (a package name or a resolved path), never at what other modules export.
 */
function installLoadHook(state: HookState): void {
  if (typeof moduleInternals._load !== 'function' || state.load !== undefined) return;
  state.load = replace(Module, '_load', (below: () => Load) => function load(this: unknown, request: unknown) {
    const exports = Reflect.apply(below(), this, arguments);
    if (state.active && typeof request === 'string') {
      const integration = integrationFor(request);
      if (integration !== undefined) patchCopy(state, integration, exports);
    }
    return exports;
  });
}

/** Copies loaded before the patch, found in the CommonJS module cache by their entry's path. */
function patchLoadedCopies(state: HookState): void {
  for (const [filename, exports] of loadedModules()) {
    const integration = integrationFor(filename);
    if (integration !== undefined) patchCopy(state, integration, exports);
  }
  for (const [exports, integration] of state.copies) integration.patch(exports);
}

/**
 * Applies the client integrations (grpc-js, http2-wrapper and so got, undici) process-wide: to
 * every copy loaded from now on and to every copy already loaded. What is not installed costs
 * one string comparison per module load. Idempotent; returns false if already patched.
 */
export function patchClients(): boolean {
  const state = hookState();
  if (state.active) return false;
  state.active = true;
  sharedClientState().registerActive = true;
  installLoadHook(state);
  patchLoadedCopies(state);
  return true;
}

/**
 * Undoes `patchClients()`: each patched copy gets its methods back where ours are still the
 * ones installed, and `Module._load` too; where someone patched on top, theirs stays and ours
 * passes through. Returns false if the patch was not active.
 */
export function unpatchClients(): boolean {
  const state = hookState();
  if (!state.active) return false;
  state.active = false;
  sharedClientState().registerActive = false;
  for (const [exports, integration] of state.copies) integration.unpatch(exports);
  if (state.load !== undefined && restore(state.load)) state.load = undefined;
  return true;
}
