import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { grpcInterceptor } from '../../grpc-js.js';
import { scopeHttp2WrapperAgent } from '../../http2-wrapper.js';
import { patchClients, patchHttp2, patchStatus, unpatchClients, unpatchHttp2 } from '../../index.js';
import { undiciInterceptor } from '../../undici.js';
import { detectRuntime } from '../doctor.js';
import { loopbackTls } from '../loopback-certificate.js';
import { preloadedDoctorCommand } from '../next-step.js';
import type { ClientAdapter, ClientHelpers, ClientPhase } from './adapter.js';
import { gotAdapter } from './got-adapter.js';
import { grpcJsAdapter } from './grpc-js-adapter.js';
import { http2WrapperAdapter } from './http2-wrapper-adapter.js';
import {
  denoCannotRun,
  findInstalledClients,
  type InstalledClient,
  tooOldForIt,
  unsupportedVersion,
} from './installed-clients.js';
import { type ClientRun, runClientScenarios } from './run-clients.js';
import { undiciAdapter } from './undici-adapter.js';

/**
 * How the clients are run: `native` as installed; `register` in a process started with the
 * register preload; `explicit` with this package's helper for each (interceptor, Agent wrapper),
 * nothing patched; `late` with `patchHttp2()` and `patchClients()` called after the clients loaded
 * (for a program that cannot be started with a preload).
 */
export type ClientMode = 'native' | 'register' | 'explicit' | 'late';

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
