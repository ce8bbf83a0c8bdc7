// The one answer every loader hook asks for: is this file one of a supported library's, which
// file of which copy, and what version. Judged from the file's real path and the package.json
// above it, never from a request string, so every way of naming a file (`undici`, `undici/`,
// `./node_modules/undici`, its absolute folder, a symlinked copy) is the same file.
import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { Integration } from './integration.js';
import { integrations, packageFileOf } from './registry.js';

/** A file of a supported library's copy: `file` below `folder` with `/`; `version` undefined where package.json could not be read. */
export interface RecognisedFile {
  integration: Integration;
  folder: string;
  file: string;
  version: string | undefined;
}

/** The package a folder belongs to: where its package.json is, and what it says (undefined: unreadable). */
type PackageScope = { folder: string; manifest: { name?: unknown; version?: unknown } | undefined } | null;

/** By folder, as loaded: its real path and its package, each looked up once per process. */
const scopes = new Map<string, { real: string; scope: PackageScope }>();

function readManifest(folder: string): { name?: unknown; version?: unknown } | undefined | 'absent' {
  let text: string;
  try {
    text = readFileSync(join(folder, 'package.json'), 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : undefined;
  }
  try {
    const manifest = JSON.parse(text) as unknown;
    return typeof manifest === 'object' && manifest !== null ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The nearest package.json above `folder` that names a package (one that only sets `type`, as
 * some packages keep in a subfolder, is walked past), or one that cannot be read; null at the root.
 */
function scopeOf(folder: string): PackageScope {
  for (let at = folder; ; ) {
    const manifest = readManifest(at);
    if (manifest === undefined || (manifest !== 'absent' && typeof manifest.name === 'string'))
      return { folder: at, manifest };
    const parent = dirname(at);
    if (parent === at) return null;
    at = parent;
  }
}

function folderInfo(folder: string): { real: string; scope: PackageScope } {
  let info = scopes.get(folder);
  if (info === undefined) {
    let real: string;
    try {
      real = realpathSync(folder);
    } catch {
      real = folder;
    }
    info = { real, scope: scopeOf(real) };
    scopes.set(folder, info);
  }
  return info;
}

/**
 * Which supported library's file `filename` (an absolute path) is, in which copy, at what version;
 * undefined for any other file. A copy is its library's when its package.json names the library
 * (an npm alias or a linked folder of any name included), or, where that package.json cannot be
 * read, when it sits in `node_modules/<library>`: such a copy comes back with no version, for the
 * caller to leave alone and report. Looks up each folder once per process (the folder's real
 * path, then package.json files upwards), so a file of a folder seen before costs a map lookup.
 */
export function recognise(filename: string): RecognisedFile | undefined {
  const { real, scope } = folderInfo(dirname(filename));
  const realFile = () => join(real, basename(filename));
  const name = scope?.manifest?.name;
  const integration = integrations.find((candidate) => candidate.name === name);
  if (scope?.manifest !== undefined && integration !== undefined) {
    const { version } = scope.manifest;
    return {
      integration,
      folder: scope.folder,
      file: relative(scope.folder, realFile()).split(sep).join('/'),
      version: typeof version === 'string' ? version : undefined,
    };
  }
  // Not named by a package.json that could be read: a file in node_modules/<library> is still the
  // library's when that folder's own package.json is missing or unreadable (not when it names another package).
  const known = packageFileOf(realFile());
  if (known === undefined) return undefined;
  const readableBelow = scope !== null && scope.manifest !== undefined && scope.folder.length >= known.folder.length;
  return readableBelow ? undefined : { ...known, version: undefined };
}
