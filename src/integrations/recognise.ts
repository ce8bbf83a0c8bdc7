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

/** What a folder's files are: not a library's, or `folder`'s copy of `integration` (at `version`, if read). */
type Verdict = { integration: Integration; folder: string; version: string | undefined } | undefined;

/** The verdict on the files of one folder, as loaded: judged once per process. */
const verdicts = new Map<string, { real: string; verdict: Verdict }>();

function realPathOf(folder: string): string {
  try {
    return realpathSync(folder);
  } catch {
    return folder;
  }
}

function judge(real: string): Verdict {
  const scope = scopeOf(real);
  const name = scope?.manifest?.name;
  const integration = integrations.find((candidate) => candidate.name === name);
  if (scope?.manifest !== undefined && integration !== undefined) {
    const { version } = scope.manifest;
    return { integration, folder: scope.folder, version: typeof version === 'string' ? version : undefined };
  }
  // Not named by a package.json that could be read: a file in node_modules/<library> is still the
  // library's when that folder's own package.json is missing or unreadable (not when it names another package).
  const known = packageFileOf(join(real, 'file'));
  if (known === undefined) return undefined;
  const readableBelow = scope !== null && scope.manifest !== undefined && scope.folder.length >= known.folder.length;
  return readableBelow ? undefined : { integration: known.integration, folder: known.folder, version: undefined };
}

/**
 * Which supported library's file `filename` (an absolute path) is, in which copy, at what version;
 * undefined for any other file. A copy is its library's when its package.json names the library
 * (an npm alias or a linked folder of any name included), or, where that package.json cannot be
 * read, when it sits in `node_modules/<library>`: such a copy comes back with no version, for the
 * caller to leave alone and report. Judges each folder once per process (its real path, then
 * package.json files upwards), so a file of a folder seen before costs a map lookup.
 */
export function recognise(filename: string): RecognisedFile | undefined {
  const folder = dirname(filename);
  let known = verdicts.get(folder);
  if (known === undefined) {
    const real = realPathOf(folder);
    known = { real, verdict: judge(real) };
    verdicts.set(folder, known);
  }
  const { real, verdict } = known;
  if (verdict === undefined) return undefined;
  const file = relative(verdict.folder, join(real, basename(filename)))
    .split(sep)
    .join('/');
  return { ...verdict, file };
}
