// The HTTP/2 client libraries a project has installed, and how the doctor judges each copy:
// outside the versions the package supports, too new for this Node, or one Deno cannot run.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { supportedClients } from '../../index.js';

/** The client libraries the integrations cover, by the name the doctor shows. */
export const clientNames = ['grpc-js', 'http2-wrapper', 'got', 'undici'] as const;
export type ClientName = (typeof clientNames)[number];

/** The npm package of each client, the name the tables print. */
export const clientPackages: Readonly<Record<ClientName, string>> = {
  'grpc-js': '@grpc/grpc-js',
  'http2-wrapper': 'http2-wrapper',
  got: 'got',
  undici: 'undici',
};

/** The client `name` stands for, by doctor name (`grpc-js`) or npm package name (`@grpc/grpc-js`). */
export function clientNamed(name: string): ClientName | undefined {
  return clientNames.find((client) => client === name || clientPackages[client] === name);
}

/** A client library as a project has it installed. */
export interface InstalledClient {
  client: ClientName;
  /** The npm package name, and the version its package.json states. */
  package: string;
  version: string;
  /** The file its main entry resolves to from the project. */
  entry: string;
}

interface Manifest {
  name?: string;
  version?: string;
  engines?: { node?: string };
}

/** The package.json of the package that holds `file`: the nearest one above it with that name. */
function manifestOf(file: string, name: string): Manifest | undefined {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as Manifest;
    if (parsed.name === name) return parsed;
  }
  return undefined;
}

const versionOf = (file: string, name: string) => manifestOf(file, name)?.version;

/**
 * Why a copy that failed to load cannot run on this Node at all: its package.json's `engines`
 * asks for a newer one (undici 8 and got 16 need Node 22); undefined if it does not say so.
 */
export function tooOldForIt(installed: InstalledClient): string | undefined {
  const wanted = manifestOf(installed.entry, installed.package)?.engines?.node;
  const minimum = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(wanted?.trim() ?? '')?.[1];
  if (minimum === undefined || rank(process.versions.node) >= rank(minimum)) return undefined;
  return `${installed.version} needs Node ${wanted} (its engines field); this is Node ${process.versions.node}`;
}

const isPath = (resolved: string) => resolved.startsWith('/') || /^[A-Za-z]:[\\/]/.test(resolved);

/**
 * The file `name`'s main entry resolves to, or undefined if it is not installed. Bun answers
 * `undici` with a built-in module rather than the package: then the package's own `main` is the
 * entry, as loading it by path gets it.
 */
function resolveEntry(require: NodeJS.Require, name: string): string | undefined {
  try {
    const entry = require.resolve(name);
    if (isPath(entry)) return entry;
    const manifest = require.resolve(`${name}/package.json`);
    return join(
      dirname(manifest),
      (JSON.parse(readFileSync(manifest, 'utf8')) as { main?: string }).main ?? 'index.js',
    );
  } catch {
    return undefined;
  }
}

/**
 * The client libraries that `from` (a project directory; default the current one) resolves, as
 * `require` from a file there would: the project's own dependencies and whatever is hoisted.
 *
 * @example
 * ```ts
 * findInstalledClients('/srv/my-app'); // [{ client: 'grpc-js', package: '@grpc/grpc-js', version: '1.14.7', … }]
 * ```
 */
export function findInstalledClients(from: string = process.cwd()): InstalledClient[] {
  const require = createRequire(join(resolve(from), 'package.json'));
  const found: InstalledClient[] = [];
  for (const client of clientNames) {
    const name = clientPackages[client];
    const entry = resolveEntry(require, name);
    if (entry !== undefined) found.push({ client, package: name, version: versionOf(entry, name) ?? 'unknown', entry });
  }
  return found;
}

/** `A.B.C` as one number that orders versions (each part below 10 000; a pre-release counts as its release). */
const rank = (version: string) =>
  version
    .split(/[.+-]/)
    .slice(0, 3)
    .reduce((sum, part) => sum * 10_000 + Number(part), 0);

/**
 * Why the package leaves `installed` alone: outside the versions `supportedClients` declares for
 * it (`>=A.B.C <X.Y.Z`), as register judges it; undefined inside them.
 */
export function unsupportedVersion(installed: Pick<InstalledClient, 'package' | 'version'>): string | undefined {
  const versions = supportedClients.find((supported) => supported.name === installed.package)?.versions;
  const [, low = '', high = ''] = /^>=(\S+) <(\S+)$/.exec(versions ?? '') ?? [];
  const version = rank(installed.version);
  if (versions === undefined || (version >= rank(low) && version < rank(high))) return undefined;
  return `not supported yet (the package supports ${versions}), so it is left alone`;
}

/** Why Deno 2.9's node:http2 cannot run `installed` at all, natively or not; undefined if it can. */
export function denoCannotRun(installed: InstalledClient): string | undefined {
  switch (installed.client) {
    case 'http2-wrapper':
      return 'does not run on Deno 2.9: its sessions close without a SETTINGS frame (HTTP2WRAPPER_NOSETTINGS)';
    case 'got':
      if (Number.parseInt(installed.version, 10) >= 16) return undefined;
      return (
        "does not run on Deno 2.9 before got 16: http2-wrapper's sessions close without a SETTINGS frame, " +
        "and a GOAWAY throws from Deno's http2 internals"
      );
    case 'undici':
      return installed.version.startsWith('6.')
        ? 'does not run on Deno 2.9 in version 6: its HTTP/2 requests never finish (measured with 6.0.0)'
        : undefined;
    default:
      return undefined;
  }
}
