// Bundled apps: a bundle inlines the client libraries, so no module load names their package and
// no load hook sees them. The bundler plugin (../esbuild.ts) appends to each CommonJS file of a
// supported library a call to the function installed here, with what that file exported and the
// copy it came from, as read from its package.json when the bundle was built.
import { join } from 'node:path';
import { kBundled } from '../symbols.js';
import { addBundledModule } from './module-cache.js';
import { integrations, type KnownFile } from './registry.js';

/** What the plugin states for each file it marks: the copy's package name and version, its folder and the file below it. */
export interface BundledFile {
  readonly name: string;
  readonly version: string;
  /** The package folder, relative to where the bundle was built, with `/`. */
  readonly folder: string;
  /** The file below the package folder, with `/`. */
  readonly file: string;
}

/** Judges the copy by the stated version and patches the file's exports, as the load hooks patch a file. */
export type PatchBundledFile = (known: KnownFile, version: string, exports: unknown) => void;

type Announce = (exports: unknown, stated: unknown) => void;

const isBundledFile = (stated: unknown): stated is BundledFile => {
  const { name, version, folder, file } = (stated ?? {}) as Record<string, unknown>;
  return [name, version, folder, file].every((part) => typeof part === 'string');
};

/**
 * Installs, once per process, the function the marked files call (a copy of this package that
 * comes second keeps the first one's). It stays when the patch is turned off: the function then
 * only notes the file, and `patchBundledFile` leaves it as it is.
 */
export function installBundleHook(patchBundledFile: PatchBundledFile): void {
  const holder = globalThis as { [kBundled]?: Announce };
  if (typeof holder[kBundled] === 'function') return;
  const announce: Announce = (exports, stated) => {
    if (!isBundledFile(stated)) return;
    const integration = integrations.find(({ name }) => name === stated.name);
    if (integration === undefined) return;
    addBundledModule(join(stated.folder, stated.file), exports);
    patchBundledFile({ integration, folder: stated.folder, file: stated.file }, stated.version, exports);
  };
  Object.defineProperty(holder, kBundled, { value: announce, configurable: true });
}
