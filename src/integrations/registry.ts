// The client libraries the integrations cover, and how a file path below node_modules is told to be
// one of theirs (recognise.ts reads the package.json as well).
import { grpcJsIntegration } from './grpc-js.js';
import { http2WrapperIntegration } from './http2-wrapper.js';
import type { Integration } from './integration.js';
import { undiciIntegration } from './undici.js';

/** Every client the register patch makes right. */
export const integrations: readonly Integration[] = [grpcJsIntegration, http2WrapperIntegration, undiciIntegration];

/** A client library the package makes right, and the versions of it supported and tested. */
export interface SupportedClient {
  /** The npm package name. */
  readonly name: string;
  /** The supported versions, as `>=A.B.C <X.Y.Z`; `register` leaves other versions alone. */
  readonly versions: string;
  /**
   * What makes it right where it has no integration of its own: got 12–15 go through
   * http2-wrapper's; got 16 has an HTTP/2 client of its own, which calls `session.request()` in
   * the caller's context, so the node:http2 patch is all it needs.
   */
  readonly through?: string;
}

/**
 * The client libraries `register` and the explicit helpers make right, with the versions of
 * each that are supported and tested (`npm run compat -- --all-versions`).
 *
 * @example
 * ```ts
 * import { supportedClients } from 'http2-async-context';
 * for (const { name, versions } of supportedClients) console.log(name, versions);
 * ```
 */
export const supportedClients: readonly SupportedClient[] = Object.freeze([
  ...integrations.map(({ name, versions }) => Object.freeze({ name, versions })),
  Object.freeze({
    name: 'got',
    versions: '>=12.0.0 <17.0.0',
    through: 'http2-wrapper (got 12–15), node:http2 (got 16)',
  }),
]);

/** Where to ask for a version, or report what the package gets wrong (package.json's `bugs`). */
export const issuesUrl = 'https://github.com/http2-async-context/http2-async-context/issues';

/** The code of the warning `register` gives for a copy outside its supported range. */
export const unsupportedWarningCode = 'HTTP2_ASYNC_CONTEXT_UNSUPPORTED';

/** The code of the warning for a copy that opened a session where no load hook of ours saw it load (unreached.ts). */
export const unreachedWarningCode = 'HTTP2_ASYNC_CONTEXT_UNREACHED';

/** A copy of a client library that `patchClients()` patched, as it reports it. */
export interface PatchedClient {
  /** The npm package name: `@grpc/grpc-js`, `http2-wrapper` or `undici` (got is patched through http2-wrapper). */
  readonly name: string;
  /** The version its package.json states; undefined where that could not be read. */
  readonly version: string | undefined;
  /** Its package folder; undefined where the module cache does not say. */
  readonly path: string | undefined;
}

/** A copy of a client library `patchClients()` found outside its supported range and left alone. */
export interface UnsupportedClient extends PatchedClient {
  /** The versions of it the package supports. */
  readonly versions: string;
}

/** One file of a copy patched as it loaded (see `installCompileHook`). */
export interface KnownFile {
  integration: Integration;
  file: string;
  folder: string;
}

/** Each integration's package folder below `node_modules`, with `/` and with `\\`. */
const packagePrefixes = integrations.map(
  (integration) => [integration, `${integration.name}/`, `${integration.name.replace('/', '\\')}\\`] as const,
);

/**
 * The integration whose package holds the file at `filename` (an absolute path), the package
 * folder and the file below it with `/`; undefined for a file of any other package. The last
 * `node_modules` in the path decides, so a nested copy is its own.
 */
export function packageFileOf(filename: string): KnownFile | undefined {
  const at = filename.lastIndexOf('node_modules');
  if (at === -1) return undefined;
  const start = at + 'node_modules/'.length;
  for (const [integration, posix, windows] of packagePrefixes) {
    if (!filename.startsWith(posix, start) && !filename.startsWith(windows, start)) continue;
    const end = start + posix.length;
    return { integration, folder: filename.slice(0, end - 1), file: filename.slice(end).replaceAll('\\', '/') };
  }
  return undefined;
}
