// The one place a copy of a supported library shows itself to `register` when no loader hook of
// ours saw it load: it opens an HTTP/2 session. A test runner's own module registry (Jest's, and
// vitest's `vmThreads`/`vmForks` without the setup file) and a bundle built without the plugin
// load the libraries where the preload cannot reach; their calls then run unscoped, so the
// package says so rather than stay silently off.
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { debug } from '../debug.js';
import { describeCopy, hookState } from './copies.js';
import { recognise } from './recognise.js';
import { unreachedWarningCode } from './registry.js';

/** The folders already reported, once each per process. */
const reported = new Set<string>();

/** The file of each frame of a V8, JavaScriptCore or Deno stack line: `(path:line:column)` or a bare `path:line:column`. */
const framePath = /(?:\(|\s)((?:file:\/\/)?(?:\/|[A-Za-z]:[\\/])[^()]*?):\d+:\d+\)?$/;

function fileOf(line: string): string | undefined {
  const path = framePath.exec(line)?.[1];
  if (path === undefined) return undefined;
  try {
    return path.startsWith('file://') ? fileURLToPath(path) : path;
  } catch {
    return undefined;
  }
}

/**
 * The function, named in a stack line, from which a supported library opens its sessions: what is
 * left of the library in a bundle that keeps names (esbuild's and webpack's unminified output),
 * where the file is the bundle's. undici 6.0 and http2-wrapper open theirs from functions whose
 * names say nothing (`connect`, `entry`), so a bundle of those is not recognised.
 */
const sessionOpeners = [
  { name: '@grpc/grpc-js', frame: /\bat Http2SubchannelConnector\.createSession \(/ },
  { name: 'undici', frame: /\bat connectH2 \(/ },
] as const;

/**
 * Called by register's `connect` for each session it opens while the client patch is on (a
 * session, not a request: a stack trace here costs a few microseconds a connection). If the code
 * that called it is a supported library's file in range whose copy no hook of ours patched, or a
 * library's session opener in a file that is no package's (a bundle) while no bundled copy of that
 * library announced itself (the esbuild plugin's mark), warns once for that copy or bundle, with
 * the package's code, and says so under `NODE_DEBUG=http2-async-context`.
 */
export function noteConnectCaller(): void {
  const state = hookState(false);
  if (state?.active !== true) return;
  for (const line of (new Error().stack ?? '').split('\n').slice(1)) {
    const file = fileOf(line.trim());
    if (file === undefined) continue;
    const recognised = recognise(file);
    if (recognised === undefined) {
      const opener = sessionOpeners.find(({ frame }) => frame.test(line));
      if (opener === undefined) continue;
      if (!bundledCopyAnnounced(state.patched.values(), opener.name)) warnBundled(opener.name, file);
      return;
    }
    const { folder, integration, version } = recognised;
    if (state.patched.has(folder) || state.leftAlone.has(folder) || reported.has(folder)) return;
    reported.add(folder);
    const copy = describeCopy({ name: integration.name, version, path: folder });
    debug('%s opened a session, but no load hook of ours saw it load: its calls are not scoped', copy);
    process.emitWarning(
      `${copy} opened an HTTP/2 session but was loaded where register could not patch it (a test ` +
        "runner's own module registry, such as Jest's or vitest's vmThreads, or a bundle built without " +
        "the plugin), so its callbacks may run in another request's store. See the README's Test runners and bundlers.",
      { type: 'Http2AsyncContextWarning', code: unreachedWarningCode },
    );
    return;
  }
}

/** A copy the bundle hook patched is named by its folder relative to where the bundle was built. */
function bundledCopyAnnounced(patched: Iterable<{ name: string; path: string | undefined }>, name: string): boolean {
  for (const copy of patched) if (copy.name === name && copy.path !== undefined && !isAbsolute(copy.path)) return true;
  return false;
}

function warnBundled(name: string, file: string): void {
  const key = `${name}\0${file}`;
  if (reported.has(key)) return;
  reported.add(key);
  debug('%s opened a session from %s, a bundle the plugin did not mark: its calls are not scoped', name, file);
  process.emitWarning(
    `${name} opened an HTTP/2 session from ${file}, which register does not know as that library's ` +
      "(a bundle built without the package's plugin, or a copy installed under another name), so its " +
      "callbacks may run in another request's store. See the README's Test runners and bundlers.",
    { type: 'Http2AsyncContextWarning', code: unreachedWarningCode },
  );
}
