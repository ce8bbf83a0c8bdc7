import Module from 'node:module';

type ModuleCache = Record<string, { exports?: unknown } | undefined>;
const moduleCache = () => (Module as unknown as { _cache?: ModuleCache })._cache ?? {};

/** The CommonJS module cache (`require.cache`) as `[filename, exports]`; empty where there is none. */
export function loadedModules(): Array<[string, unknown]> {
  return Object.entries(moduleCache()).map(([filename, loaded]) => [filename, loaded?.exports]);
}

/** The exports of the module loaded from `filename`, if the CommonJS module cache has it. */
export function loadedModule(filename: string): unknown {
  return moduleCache()[filename]?.exports;
}
