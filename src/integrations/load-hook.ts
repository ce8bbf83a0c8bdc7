import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import Module from 'node:module';
import { join } from 'node:path';
import { debug } from '../debug.js';
import { type Replacement, replace, restore } from '../replace.js';
import { kHookState } from '../symbols.js';
import { installBundleHook } from './bundle-hook.js';
import { type Integration, satisfies } from './integration.js';
import { loadedModules } from './module-cache.js';
import {
  integrationFor,
  issuesUrl,
  type KnownFile,
  type PatchedClient,
  packageFileOf,
  type UnsupportedClient,
  unsupportedWarningCode,
} from './registry.js';
import { sharedClientState } from './shared-state.js';

type Load = (this: unknown, request: unknown, ...rest: unknown[]) => unknown;
type Compile = (this: unknown, module: unknown, filename: unknown, ...rest: unknown[]) => unknown;
interface ModuleInternals {
  _load?: Load;
  _extensions?: Record<string, Compile | undefined>;
}
const moduleInternals = Module as unknown as ModuleInternals;

/** A copy patched through its main entry's exports: which library, and where it is. */
interface KnownCopy {
  integration: Integration;
  copy: PatchedClient;
}

/** Shared on `node:http2` by both module copies of this package, like the http2 patch state. */
interface HookState {
  active: boolean;
  /** Ours on `Module._load`, while installed or buried under a later patch; undefined once restored. */
  load: Replacement<Load> | undefined;
  /** Ours on `Module._extensions['.js']` (Bun only), likewise. */
  compile: Replacement<Compile> | undefined;
  /** Every copy (main entry's exports) patched so far, so that unpatch and a later patch reach them. */
  copies: Map<object, KnownCopy>;
  /** Every file's exports patched as the file loaded, for the same reason. */
  files: Map<object, KnownFile>;
  /** Copies looked at and left alone (out of range, not the library), so that each is judged once. */
  skipped: WeakSet<object>;
  /** Package folders judged by the version in their package.json, each once. */
  folders: Map<string, { inRange: boolean; copy: PatchedClient }>;
  /** The copies patched since the patch was last turned on, in order, by folder (else by exports). */
  patched: Map<string | object, PatchedClient>;
  /** The copies found outside their supported range and left alone, by folder; each warned of once. */
  leftAlone: Map<string, UnsupportedClient>;
}

function hookState(): HookState {
  const holder = http2 as unknown as { [kHookState]?: HookState };
  let state = holder[kHookState];
  if (state === undefined) {
    state = {
      active: false,
      load: undefined,
      compile: undefined,
      copies: new Map(),
      files: new Map(),
      skipped: new WeakSet(),
      folders: new Map(),
      patched: new Map(),
      leftAlone: new Map(),
    };
    Object.defineProperty(holder, kHookState, { value: state });
  }
  return state;
}

const describeCopy = ({ name, version, path }: PatchedClient) =>
  `${name} ${version ?? '(version unknown)'} at ${path ?? '(path unknown)'}`;

/** The version the package.json in `folder` states; undefined where it cannot be read. */
function readVersion(folder: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The copy in `folder`, judged once by the version its package.json states; said under NODE_DEBUG if out of range. */
function judgeFolder(
  state: HookState,
  integration: Integration,
  folder: string,
  versionOf = readVersion,
): { inRange: boolean; copy: PatchedClient } {
  let judged = state.folders.get(folder);
  if (judged === undefined) {
    const version = versionOf(folder);
    const copy = Object.freeze({ name: integration.name, version, path: folder });
    judged = { inRange: version === undefined || satisfies(version, integration.versions), copy };
    state.folders.set(folder, judged);
    if (!judged.inRange) leaveAlone(state, integration, copy);
  }
  return judged;
}

/**
 * A copy outside the range its integration declares is left alone: its requests may run their
 * callbacks in another request's store, as without the package. Said once per copy where the
 * user looks, as a process warning with the package's own code (so that
 * `--disable-warning=HTTP2_ASYNC_CONTEXT_UNSUPPORTED` silences it), and kept for `patchStatus()`.
 */
function leaveAlone(state: HookState, integration: Integration, copy: PatchedClient): void {
  const leftAlone = Object.freeze({ ...copy, versions: integration.versions });
  state.leftAlone.set(copy.path ?? '', leftAlone);
  debug('left alone %s: outside the supported range %s', describeCopy(copy), integration.versions);
  process.emitWarning(
    `${describeCopy(copy)} is outside the versions http2-async-context supports (${integration.versions}), ` +
      "so it is left alone: its requests may run their callbacks in another request's store. " +
      `Use the explicit helper (see the README), or ask for this version at ${issuesUrl}.`,
    { type: 'Http2AsyncContextWarning', code: unsupportedWarningCode },
  );
}

/** Notes `copy` as patched since the patch was turned on; says so under NODE_DEBUG the first time. */
function record(state: HookState, key: string | object, copy: PatchedClient): void {
  if (state.patched.has(key)) return;
  state.patched.set(key, copy);
  debug('patched %s', describeCopy(copy));
}

/**
 * Patches one loaded copy of `integration`'s library (its main entry's exports): only a version
 * inside the range the integration declares (read from the copy's own package.json, found through
 * the module cache unless `folder` is known), and only exports that look like the library.
 * Anything else is left as it is, and said under `NODE_DEBUG=http2-async-context`.
 */
function patchCopy(state: HookState, integration: Integration, exports: unknown, folder?: string): void {
  if (typeof exports !== 'object' || exports === null || state.skipped.has(exports)) return;
  let known = state.copies.get(exports);
  if (known === undefined) {
    const path = folder ?? locate(integration, exports);
    const judged =
      path === undefined
        ? { inRange: true, copy: Object.freeze({ name: integration.name, version: undefined, path }) }
        : judgeFolder(state, integration, path);
    if (!judged.inRange) {
      state.skipped.add(exports);
      return;
    }
    if (!integration.patch(exports)) {
      state.skipped.add(exports);
      debug('left alone %s: its exports do not look like %s', describeCopy(judged.copy), integration.name);
      return;
    }
    known = { integration, copy: judged.copy };
    state.copies.set(exports, known);
  } else {
    // Again after an unpatch: installs only what is not ours already.
    integration.patch(exports);
  }
  record(state, known.copy.path ?? exports, known.copy);
}

/**
 * Patches what one file of a copy exports, as it loads or again after an unpatch: only in a
 * copy inside its integration's range, and only files that integration knows.
 */
function patchFile(state: HookState, { integration, folder, file }: KnownFile, exports: unknown): void {
  if ((typeof exports !== 'object' && typeof exports !== 'function') || exports === null) return;
  const judged = judgeFolder(state, integration, folder);
  if (!judged.inRange || !integration.patchFile(file, exports, folder)) return;
  state.files.set(exports, { integration, folder, file });
  record(state, folder, judged.copy);
}

/**
 * A file of a copy bundled with the bundler plugin, as it runs: judged by the version the plugin
 * read from the copy's package.json at build time (the bundle has none to read), then patched
 * like a file the load hooks see, the main entry through `patch`.
 */
function patchBundledFile(known: KnownFile, version: string, exports: unknown): void {
  const state = hookState();
  if (!state.active) return;
  judgeFolder(state, known.integration, known.folder, () => version);
  if (known.file === known.integration.entry) patchCopy(state, known.integration, exports, known.folder);
  else patchFile(state, known, exports);
}

/** Where a loaded copy (its main entry's exports) lives, or undefined where the module cache does not say. */
function locate(integration: Integration, exports: object): string | undefined {
  for (const [filename, loaded] of loadedModules()) {
    if (loaded === exports && integrationFor(filename) === integration)
      return filename.slice(0, filename.length - integration.entry.length - 1);
  }
  return undefined;
}

/**
 * Ours goes on top of `Module._load`: every CommonJS load, also an ES module's import of a
 * CommonJS package on Node 20–26 and Deno, passes through it. It looks only at the request
 * string (a package name or a resolved path), never at what other modules export.
 */
function installLoadHook(state: HookState): void {
  if (typeof moduleInternals._load !== 'function' || state.load !== undefined) return;
  state.load = replace(
    Module,
    '_load',
    (below: () => Load) =>
      function load(this: unknown, request: unknown) {
        const exports = Reflect.apply(below(), this, arguments);
        if (state.active && typeof request === 'string') {
          const integration = integrationFor(request);
          if (integration !== undefined) patchCopy(state, integration, exports);
        }
        return exports;
      },
  );
}

/**
 * Bun (measured on 1.4.5) calls `Module._load` for no package, imported or required, so there
 * ours goes on `Module._extensions['.js']` as well: Bun calls the function found there, once
 * registered, for every `.js` file it loads as CommonJS through `require`, also the files a
 * package's entry requires when an ES module imported the entry itself. That entry, loaded by
 * the import, passes no hook at all, which is why each integration also patches its library
 * file by file (`patchFile`), before the entry hands its exports to anyone. Nested copies pass
 * too, each with its own path. Measured and not kept: `Bun.plugin` `onLoad` runs for both
 * loads, but CommonJS source returned from it never runs (the module comes out empty), and
 * `onResolve` sees neither the exports nor the built-in `undici`; `Module.prototype.require`,
 * once replaced, is called for every `require()` call but not for an imported entry, with the
 * request string only. Cost, measured on Bun 1.4.5: nothing per request; per CommonJS `.js`
 * load, Bun calling a JavaScript loader at all (a bare pass-through wrapper costs the same:
 * 0–10 ms of CPU for 240 files, within this machine's noise) and one search of the path.
 * Node and Deno keep only `Module._load`, as before.
 */
function installCompileHook(state: HookState): void {
  const extensions = moduleInternals._extensions;
  if (
    typeof process.versions.bun !== 'string' ||
    typeof extensions?.['.js'] !== 'function' ||
    state.compile !== undefined
  )
    return;
  state.compile = replace(
    extensions,
    '.js',
    (below: () => Compile) =>
      function compile(this: unknown, module: unknown, filename: unknown) {
        const result = Reflect.apply(below(), this, arguments);
        const found = state.active && typeof filename === 'string' ? packageFileOf(filename) : undefined;
        if (found !== undefined) {
          const exports = (module as { exports?: unknown } | null)?.exports;
          if (found.file === found.integration.entry) patchCopy(state, found.integration, exports, found.folder);
          else patchFile(state, found, exports);
        }
        return result;
      },
  );
}

/**
 * Copies loaded before the patch, found in the CommonJS module cache by their entry's path, and
 * every one patched before.
 */
function patchLoadedCopies(state: HookState): void {
  for (const [filename, exports] of loadedModules()) {
    const integration = integrationFor(filename);
    if (integration !== undefined) patchCopy(state, integration, exports);
  }
  for (const [exports, { integration }] of state.copies) patchCopy(state, integration, exports);
  for (const [exports, known] of state.files) patchFile(state, known, exports);
}

/**
 * Applies the client integrations (grpc-js, http2-wrapper and so got, undici) process-wide: to
 * every copy loaded from now on and to every copy already loaded, which it looks for on every
 * call. What is not installed costs one string comparison per module load.
 *
 * Returns the copies this call patched (`[]` when it only turned the patch on, with no client
 * loaded yet), or `false` when it changed nothing: the patch was on and every loaded copy was
 * patched already (by the preload's hook, say). So `if (patchClients())` still reads "if this
 * call did something".
 */
export function patchClients(): readonly PatchedClient[] | false {
  const state = hookState();
  const turnedOn = !state.active;
  state.active = true;
  sharedClientState().clientsPatched = true;
  installLoadHook(state);
  installCompileHook(state);
  installBundleHook(patchBundledFile);
  const before = state.patched.size;
  patchLoadedCopies(state);
  const patched = Object.freeze([...state.patched.values()].slice(before));
  return turnedOn || patched.length > 0 ? patched : false;
}

/** Takes `replacement` off if ours is still on top; returns whether it did. */
function restoreHook(replacement: Replacement<Load> | Replacement<Compile> | undefined): boolean {
  return replacement !== undefined && restore(replacement);
}

/**
 * Undoes `patchClients()`: each patched copy gets its methods back where ours are still the
 * ones installed, and `Module._load` too; where someone patched on top, theirs stays and ours
 * passes through. Calling it again after they unhook themselves restores the originals then.
 * Returns whether it did anything: turned the patch off, or took off a pass-through of ours.
 */
export function unpatchClients(): boolean {
  const state = hookState();
  const wasActive = state.active;
  state.active = false;
  sharedClientState().clientsPatched = false;
  let restored = false;
  for (const [exports, { integration }] of state.copies) restored = integration.unpatch(exports) || restored;
  for (const [exports, { integration, file }] of state.files)
    restored = integration.unpatchFile(file, exports) || restored;
  state.patched.clear();
  if (restoreHook(state.load)) {
    state.load = undefined;
    restored = true;
  }
  if (restoreHook(state.compile)) {
    state.compile = undefined;
    restored = true;
  }
  return wasActive || restored;
}

/** Whether `patchClients()` is on, the copies it patched since, and those it left alone; creates no state. */
export function clientPatchStatus(): {
  active: boolean;
  patched: readonly PatchedClient[];
  leftAlone: readonly UnsupportedClient[];
} {
  const state = (http2 as unknown as { [kHookState]?: HookState })[kHookState];
  return {
    active: state?.active === true,
    patched: Object.freeze([...(state?.patched.values() ?? [])]),
    leftAlone: Object.freeze([...(state?.leftAlone.values() ?? [])]),
  };
}
