import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { grpcInterceptor } from '../../grpc-js.js';
import { scopeHttp2WrapperAgent } from '../../http2-wrapper.js';
import { patchClients, patchHttp2, patchStatus, supportedClients, unpatchClients, unpatchHttp2 } from '../../index.js';
import { undiciInterceptor } from '../../undici.js';
import { detectRuntime } from '../doctor.js';
import { loopbackTls } from '../loopback-certificate.js';
import { preloadedDoctorCommand } from '../next-step.js';
import type { ClientAdapter, ClientHelpers, ClientPhase } from './adapter.js';
import { gotAdapter } from './got-adapter.js';
import { grpcJsAdapter } from './grpc-js-adapter.js';
import { http2WrapperAdapter } from './http2-wrapper-adapter.js';
import { type ClientRun, runClientScenarios } from './run-clients.js';
import { undiciAdapter } from './undici-adapter.js';

/**
 * How the clients are run: `native` as installed; `register` in a process started with the
 * register preload; `explicit` with this package's helper for each (interceptor, Agent wrapper),
 * nothing patched; `late` with `patchHttp2()` and `patchClients()` called after the clients loaded
 * (for a program that cannot be started with a preload).
 */
export type ClientMode = 'native' | 'register' | 'explicit' | 'late';

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
function tooOldForIt(installed: InstalledClient): string | undefined {
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

/**
 * Loads `installed` (by its file path, as the project's own code would get it) and makes its
 * adapter. got is an ES module; the others are loaded with `require`, so that a register preload
 * sees them exactly as it sees an application's.
 */
export async function loadClientAdapter(installed: InstalledClient): Promise<ClientAdapter> {
  const require = createRequire(installed.entry);
  switch (installed.client) {
    case 'grpc-js':
      return grpcJsAdapter(require(installed.entry));
    case 'http2-wrapper':
      return http2WrapperAdapter(require(installed.entry));
    case 'undici':
      return undiciAdapter(require(installed.entry));
    case 'got': {
      // got 16 has an HTTP/2 client of its own; 12–15 go through http2-wrapper.
      const ownClient = Number.parseInt(installed.version, 10) >= 16;
      const http2wrapper = ownClient ? undefined : require(require.resolve('http2-wrapper'));
      return gotAdapter(await import(pathToFileURL(installed.entry).href), http2wrapper);
    }
  }
}

/** This package's explicit helper for each client, as the README tells users to apply them. */
export const explicitHelpers: ClientHelpers = {
  grpcInterceptors: [grpcInterceptor],
  undiciInterceptors: [undiciInterceptor],
  wrapHttp2WrapperAgent: (agent) => scopeHttp2WrapperAgent(agent as object),
  patchHttp2: () => {
    const turnedOn = patchHttp2();
    return () => {
      if (turnedOn) unpatchHttp2();
    };
  },
};

/** One installed client in one mode: its run, or why it has none. */
export interface StackEntry extends Omit<InstalledClient, 'entry'> {
  mode: ClientMode;
  run?: ClientRun;
  /** Why there is no run: the library has no extension point for the explicit helper, it failed to load, … */
  skipped?: string;
  /**
   * Whether the missing run is expected (`runtime`: the runtime cannot run this client at all;
   * `helper`: the version has no extension point, register covers it) or a failure.
   */
  skipKind?: 'runtime' | 'helper' | 'unsupported' | 'failure';
}

export interface StackOptions {
  /** Where the clients are resolved from. Default: the current directory. */
  from?: string;
  mode: ClientMode;
  /** A subset of the clients, by doctor name. */
  only?: readonly string[];
  /** Requests of each kind at once per phase. Default 8. */
  requests?: number;
  /** A subset of the phases. Default: every phase the runtime survives (see `defaultPhases`). */
  phases?: readonly ClientPhase[];
}

/**
 * Deno 2.9's nghttp2 aborts the process (an assertion in `find_stream_on_goaway_func`) when a
 * client session with streams in flight receives a GOAWAY, and a server restart ends the same
 * way; there the runs stop after `warm`.
 */
function defaultPhases(): ClientPhase[] {
  const deno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  return deno ? ['cold', 'warm'] : ['cold', 'warm', 'after GOAWAY', 'server restart'];
}

/**
 * Runs every client the project at `from` has installed through the client scenarios (cold, warm,
 * after GOAWAY, and for grpc-js a server restart), in one mode, one client after another.
 * `register` mode expects this process to have been started with the register preload and says
 * so in each entry if it was not.
 */
export async function runClientStack(options: StackOptions): Promise<StackEntry[]> {
  const installed = findInstalledClients(options.from).filter(
    (client) => options.only?.includes(client.client) ?? true,
  );
  const entries: StackEntry[] = [];
  const late = options.mode === 'late';
  // Undone afterwards only where this call turned it on.
  const patched = late ? { clients: !patchStatus().clients, http2: patchHttp2() } : undefined;
  if (late) patchClients();
  try {
    for (const client of installed) entries.push(await runOne(client, options));
  } finally {
    if (patched?.clients) unpatchClients();
    if (patched?.http2) unpatchHttp2();
  }
  return entries;
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
function denoCannotRun(installed: InstalledClient): string | undefined {
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

async function runOne(installed: InstalledClient, options: StackOptions): Promise<StackEntry> {
  const { entry: _, ...named } = installed;
  const base = { ...named, mode: options.mode };
  if (options.mode === 'register' && !patchStatus().clients) {
    return {
      ...base,
      skipKind: 'failure',
      skipped:
        'register is not active in this process: start the doctor with the preload, ' +
        `\`${preloadedDoctorCommand(detectRuntime().name)} --clients --mode register\``,
    };
  }
  const cannotRun = (globalThis as { Deno?: unknown }).Deno !== undefined && denoCannotRun(installed);
  if (cannotRun) return { ...base, skipKind: 'runtime', skipped: cannotRun };
  let adapter: ClientAdapter;
  try {
    adapter = await loadClientAdapter(installed);
  } catch (error) {
    const tooOld = tooOldForIt(installed);
    if (tooOld !== undefined) return { ...base, skipKind: 'runtime', skipped: tooOld };
    return { ...base, skipKind: 'failure', skipped: `could not load it: ${(error as Error).message}` };
  }
  const explicit = options.mode === 'explicit';
  const unsupported = options.mode !== 'native' && unsupportedVersion(installed);
  if (unsupported) return { ...base, skipKind: 'unsupported', skipped: unsupported };
  if (explicit && adapter.helperHooks.length === 0) {
    return {
      ...base,
      skipKind: 'helper',
      skipped:
        `${installed.package} ${installed.version} has no extension point for a helper ` +
        '(undici: compose() arrived in 6.9); register covers it',
    };
  }
  const run = await runClientScenarios(adapter, {
    ...(!adapter.h2c && { tls: loopbackTls() }),
    ...(explicit && { helpers: explicitHelpers }),
    ...(options.requests !== undefined && { requests: options.requests }),
    phases: options.phases ?? defaultPhases(),
  });
  return { ...base, run };
}
