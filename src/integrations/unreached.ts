// The one place a copy of a supported library shows itself to `register` when no loader hook of
// ours saw it load: it opens an HTTP/2 session. A test runner's own module registry (Jest's, and
// vitest's `vmThreads`/`vmForks` without the setup file) and a bundle built without the plugin
// load the libraries where the preload cannot reach; their calls then run unscoped, so the
// package says so rather than stay silently off.
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
 * Called by register's `connect` for each session it opens while the client patch is on (a
 * session, not a request: a stack trace here costs a few microseconds a connection). If the code
 * that called it is a supported library's file in range whose copy no hook of ours patched, warns
 * once for that copy, with the package's code, and says so under `NODE_DEBUG=http2-async-context`.
 */
export function noteConnectCaller(): void {
  const state = hookState(false);
  if (state?.active !== true) return;
  for (const line of (new Error().stack ?? '').split('\n').slice(1)) {
    const file = fileOf(line.trim());
    const recognised = file === undefined ? undefined : recognise(file);
    if (recognised === undefined) continue;
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
