import Module from 'node:module';

type ModuleCache = Record<string, { exports?: unknown } | undefined>;
const moduleCache = () => (Module as unknown as { _cache?: ModuleCache })._cache ?? {};

/**
 * The client libraries' files that ran in a bundle, by the path below the build's folder the
 * bundler plugin states (see bundle-hook.ts): a bundle has no module cache, and the integrations
 * find a copy's other files there.
 */
const bundledModules = new Map<string, unknown>();

/** Notes what a bundled file exported, under the path the bundler plugin states for it. */
export function addBundledModule(filename: string, exports: unknown): void {
  bundledModules.set(filename, exports);
}

/**
 * The CommonJS module cache (`require.cache`) as `[filename, exports]`, then the bundled files
 * announced so far; empty where there are none.
 */
export function loadedModules(): Array<[string, unknown]> {
  const cached = Object.entries(moduleCache()).map(([filename, loaded]): [string, unknown] => [
    filename,
    loaded?.exports,
  ]);
  return bundledModules.size === 0 ? cached : [...cached, ...bundledModules];
}

/** The exports of the module loaded from `filename`, if the CommonJS module cache (or a bundle) has it. */
export function loadedModule(filename: string): unknown {
  return moduleCache()[filename]?.exports ?? bundledModules.get(filename);
}
