import Module from 'node:module';
import { isAbsolute } from 'node:path';
import { debug } from '../debug.js';
import { type Replacement, replace, restore } from '../replace.js';
import { installBundleHook } from './bundle-hook.js';
import { type HookState, hookState, patchRecognised, repatchKnown } from './copies.js';
import { loadedModule, loadedModules } from './module-cache.js';
import { recognise } from './recognise.js';
import { integrations, type KnownFile, type PatchedClient, type UnsupportedClient } from './registry.js';
import { sharedClientState } from './shared-state.js';

type Compile = (this: unknown, module: unknown, filename: unknown, ...rest: unknown[]) => unknown;
type Require = (this: unknown, request: unknown, ...rest: unknown[]) => unknown;
type Resolve = (request: string, parent: unknown) => string;
const moduleInternals = Module as unknown as {
  _extensions?: Record<string, Compile | undefined>;
  _resolveFilename?: Resolve;
  prototype: { require?: Require };
};
const isBun = typeof process.versions.bun === 'string';

/**
 * Node and Deno: ours goes on `Module._extensions['.js']`, which runs once per CommonJS `.js`
 * file as it first loads, whether `require()` or an ES module's import reached it (measured on
 * Node 20–26 and Deno 2), and never for a load the module cache answers: a cached `require()`
 * costs what it costs natively. It sees the module object Node made for the file and the real
 * path it came from, so every request form is the same file, and a test double that
 * `Module._load` returns in its place is never seen at all.
 */
function installCompileHook(state: HookState): void {
  const extensions = moduleInternals._extensions;
  if (isBun || typeof extensions?.['.js'] !== 'function' || state.hooks.has(extensions)) return;
  const replacement = replace(
    extensions,
    '.js',
    (below: () => Compile) =>
      function compile(this: unknown, module: unknown, filename: unknown) {
        const result = Reflect.apply(below(), this, arguments);
        if (state.active && typeof filename === 'string') {
          const recognised = recognise(filename);
          if (recognised !== undefined) patchRecognised(state, recognised, (module as { exports?: unknown }).exports);
        }
        return result;
      },
  );
  if (replacement !== undefined) state.hooks.set(extensions, replacement as Replacement);
}

/**
 * Whether a `require(request)` made from `parent` may load a library file: one naming a library,
 * or a path (relative or absolute, not a built-in or another package) required by a library's file.
 */
function mayLoadLibraryFile(parent: unknown, request: string): boolean {
  if (integrations.some(({ name }) => request.includes(name))) return true;
  if (request[0] !== '.' && !isAbsolute(request)) return false;
  return typeof parent === 'string' && isAbsolute(parent) && recognise(parent) !== undefined;
}

/**
 * Bun (measured on 1.4.5): once any function is installed on `Module._extensions['.js']`, Bun
 * hands every required `.js` file to it instead of its own transpiler, so JSX in a `.js` file
 * stops loading; and it calls `Module._load` for no package. `Bun.plugin` `onLoad` runs for
 * library files, but CommonJS source returned from it never runs (the module comes out empty,
 * re-measured with `loader: 'js'` and the source with a call appended). What Bun does call, leaving the
 * loading itself to Bun, is a `Module.prototype.require` assigned (not defined) in its place: for every `require()`, also those made
 * by the files of a package whose entry an ES module imported (the entry itself passes no hook,
 * which is why each integration patches its library file by file). So ours goes there, and
 * looks only at requires made from a library's file or naming a library: those it resolves with
 * `Module._resolveFilename` (Bun's own unless someone replaced it; whoever did changes how the
 * file loads too, so the answer is the file that loaded), and patches only the module the cache
 * holds under that filename, the same object `require()` returned. Any other `require()` costs a
 * search of the request string and a map lookup of its parent's folder.
 */
function installRequireHook(state: HookState): void {
  const { prototype } = moduleInternals;
  if (!isBun || typeof prototype.require !== 'function' || state.hooks.has(prototype)) return;
  const replacement = replace(
    prototype,
    'require',
    (below: () => Require) =>
      function require(this: unknown, request: unknown) {
        const exports = Reflect.apply(below(), this, arguments);
        // A file patched already (most requires of a library are cached ones) is not looked up again.
        if (!state.active || typeof request !== 'string' || state.copies.has(exports) || state.files.has(exports))
          return exports;
        const parent = (this as { filename?: unknown } | null)?.filename;
        if (mayLoadLibraryFile(parent, request)) patchRequired(state, this, request, exports);
        return exports;
      },
    true,
  );
  if (replacement !== undefined) state.hooks.set(prototype, replacement as Replacement);
}

function patchRequired(state: HookState, parent: unknown, request: string, exports: unknown): void {
  let filename: string;
  try {
    filename = (moduleInternals._resolveFilename as Resolve)(request, parent);
  } catch {
    return;
  }
  if (!isAbsolute(filename) || loadedModule(filename) !== exports) return;
  const recognised = recognise(filename);
  if (recognised !== undefined) patchRecognised(state, recognised, exports);
}

/**
 * For a loader that knows a library's file by other means than its path on disk (a bundle, whose
 * plugin recorded the package name, version and file at build time): patches what `file` (below
 * the package folder, with `/`) of `name`'s copy at `version` exports, exactly as the load hooks
 * do: once, version-checked, reported under `folder`. Only while `patchClients()` is on; returns
 * whether it was (a file of no supported library, or out of range, is left alone all the same).
 */
export function patchLibraryFile(
  name: string,
  version: string | undefined,
  file: string,
  exports: unknown,
  folder: string,
): boolean {
  const state = hookState(false);
  const integration = integrations.find((candidate) => candidate.name === name);
  if (state?.active !== true) return false;
  if (integration !== undefined) patchRecognised(state, { integration, folder, file, version }, exports);
  return true;
}

/** The bundle hook's patch: a file the esbuild plugin marked, with the version it read at build time. */
function patchBundledFile({ integration, folder, file }: KnownFile, version: string, exports: unknown): void {
  patchLibraryFile(integration.name, version, file, exports, folder);
}

/** Copies loaded before the patch, found in the CommonJS module cache by their files' paths, and every one patched before. */
function patchLoadedCopies(state: HookState): void {
  for (const [filename, exports] of loadedModules()) {
    const recognised = isAbsolute(filename) ? recognise(filename) : undefined;
    if (recognised !== undefined) patchRecognised(state, recognised, exports);
  }
  repatchKnown(state);
}

/**
 * Applies the client integrations (grpc-js, http2-wrapper and so got, undici) process-wide: to
 * every copy loaded from now on, as each file loads, and to every copy already loaded.
 *
 * Returns the copies this call patched (`[]` when it only turned the patch on, with no client
 * loaded yet), or `false` when it changed nothing: the patch was on and every loaded copy was
 * patched already (by the preload's hook, say). So `if (patchClients())` still reads "if this
 * call did something".
 */
export function patchClients(): readonly PatchedClient[] | false {
  const state = hookState(true);
  const turnedOn = !state.active;
  state.active = true;
  sharedClientState().clientsPatched = true;
  installCompileHook(state);
  installRequireHook(state);
  installBundleHook(patchBundledFile);
  if (turnedOn && isBun)
    debug(
      "Bun's built-in undici (what 'undici' names on Bun) is left alone: it has no dispatch to patch; " +
        "npm's undici, loaded by its file (undici/index.js), is patched",
    );
  const before = state.patched.size;
  patchLoadedCopies(state);
  const patched = Object.freeze([...state.patched.values()].slice(before));
  return turnedOn || patched.length > 0 ? patched : false;
}

/**
 * Undoes `patchClients()`: each patched copy gets its methods back where ours are still the
 * ones installed, and the load hook too; where someone patched on top, theirs stays and ours
 * passes through. Calling it again after they unhook themselves restores the originals then.
 * Returns whether it did anything: turned the patch off, or took off a pass-through of ours.
 */
export function unpatchClients(): boolean {
  const state = hookState(true);
  const wasActive = state.active;
  state.active = false;
  sharedClientState().clientsPatched = false;
  let restored = false;
  for (const [exports, { integration }] of state.copies) restored = integration.unpatch(exports) || restored;
  for (const [exports, { integration, file }] of state.files)
    restored = integration.unpatchFile(file, exports) || restored;
  state.patched.clear();
  for (const [holder, replacement] of state.hooks) {
    if (!restore(replacement)) continue;
    state.hooks.delete(holder);
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
  const state = hookState(false);
  return {
    active: state?.active === true,
    patched: Object.freeze([...(state?.patched.values() ?? [])]),
    leftAlone: Object.freeze([...(state?.leftAlone.values() ?? [])]),
  };
}
