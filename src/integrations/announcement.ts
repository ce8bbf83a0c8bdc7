// What the build-time routes (the esbuild plugin, the Jest transformer) append to each CommonJS
// file of a supported library: a call, as the file finishes running, to the function `register`
// installs on `globalThis` (bundle-hook.ts), with what the file exported and the copy it came from.
import { kBundled } from '../symbols.js';

/** The copy a marked file belongs to: package name and version, its folder, and the file below it with `/`. */
export interface StatedFile {
  readonly name: string;
  readonly version: string;
  readonly folder: string;
  readonly file: string;
}

/**
 * The appended call. `module` is the CommonJS wrapper's parameter (a bundler renames it with the
 * wrapper when minifying); without `register` the call does nothing. It goes on a line of its
 * own after the file's last one, so the file's line numbers and source map stay as they are.
 */
export function announcement(stated: StatedFile): string {
  const key = JSON.stringify(Symbol.keyFor(kBundled));
  return `\n;globalThis[Symbol.for(${key})]?.(module.exports, ${JSON.stringify(stated)});\n`;
}
