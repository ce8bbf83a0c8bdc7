import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import Module from 'node:module';
import { join } from 'node:path';
import { debug } from '../debug.js';
import { replace, restore, type Replacement } from '../replace.js';
import { grpcJsIntegration } from './grpc-js.js';
import { http2WrapperIntegration } from './http2-wrapper.js';
import { loadedModules, satisfies, sharedClientState, type Integration } from './integration.js';
import { undiciIntegration } from './undici.js';

/** Every client the register patch makes right. */
export const integrations: readonly Integration[] = [grpcJsIntegration, http2WrapperIntegration, undiciIntegration];

/** A client library the package makes right, and the versions of it supported and tested. */
export interface SupportedClient {
  /** The npm package name. */
  readonly name: string;
  /** The supported versions, as `>=A.B.C <X.Y.Z`; `register` leaves other versions alone. */
  readonly versions: string;
  /** The library whose integration covers it, where that is another one (got uses http2-wrapper). */
  readonly through?: string;
}

/**
 * The client libraries `register` and the explicit helpers make right, with the versions of
 * each that are supported and tested (`npm run compat -- --all-versions`).
 *
 * @example
 * ```ts
 * import { supportedClients } from 'http2-async-context';
 * for (const { name, versions } of supportedClients) console.log(name, versions);
 * ```
 */
export const supportedClients: readonly SupportedClient[] = Object.freeze([
  ...integrations.map(({ name, versions }) => Object.freeze({ name, versions })),
  Object.freeze({ name: 'got', versions: '>=12.0.0 <15.0.0', through: 'http2-wrapper' }),
]);

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
  /** Copies looked at and left alone (out of range, not the library), so that each is judged once. */
  skipped: WeakSet<object>;
}

// Versioned by the shape of what it holds.
const kHookState = Symbol.for('http2-async-context.clients.hook.v3');

function hookState(): HookState {
  const holder = http2 as unknown as { [kHookState]?: HookState };
  let state = holder[kHookState];
  if (state === undefined) {
    state = { active: false, load: undefined, copies: new Map(), skipped: new WeakSet() };
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

/**
 * Patches one loaded copy of `integration`'s library, once: only a version inside the range the
 * integration declares (read from the copy's own package.json, found through the module cache),
 * and only exports that look like the library. Anything else is left as it is, and said under
 * `NODE_DEBUG=http2-async-context`.
 */
function patchCopy(state: HookState, integration: Integration, exports: unknown): void {
  if (typeof exports !== 'object' || exports === null || state.copies.has(exports) || state.skipped.has(exports)) return;
  const { path, version } = locate(integration, exports);
  const copy = `${integration.name} ${version ?? '(version unknown)'} at ${path ?? '(path unknown)'}`;
  if (version !== undefined && !satisfies(version, integration.versions)) {
    state.skipped.add(exports);
    debug('left alone %s: outside the supported range %s', copy, integration.versions);
    return;
  }
  if (!integration.patch(exports)) {
    state.skipped.add(exports);
    debug('left alone %s: its exports do not look like %s', copy, integration.name);
    return;
  }
  state.copies.set(exports, integration);
  debug('patched %s', copy);
}

/** Where a loaded copy lives and its version, or undefined for what the module cache does not say. */
function locate(integration: Integration, exports: object): { path?: string; version?: string } {
  for (const [filename, loaded] of loadedModules()) {
    if (loaded !== exports || integrationFor(filename) !== integration) continue;
    const path = filename.slice(0, filename.length - integration.entry.length - 1);
    try {
      return { path, version: (JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { version?: string }).version };
    } catch {
      return { path };
    }
  }
  return {};
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
