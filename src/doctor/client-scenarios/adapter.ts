import type { RequestProbe } from './callback-log.js';

/** The situations a client is measured in, in the order they run on one client. */
export type ClientPhase = 'cold' | 'warm' | 'after GOAWAY' | 'server restart';

/**
 * Explicit helpers an integration plugs in, applied where each library offers an extension
 * point. The runner only passes them through; it never looks inside.
 */
export interface ClientHelpers {
  /** grpc-js: put first in every client's `interceptors` option. */
  grpcInterceptors?: unknown[];
  /** undici: `client.compose(...undiciInterceptors)` (undici ≥ 6.9, where `compose` exists). */
  undiciInterceptors?: unknown[];
  /** http2-wrapper and got 12–15: every Agent the adapter creates is passed through this first. */
  wrapHttp2WrapperAgent?: (agent: unknown) => unknown;
  /**
   * got 16, whose own HTTP/2 client calls `session.request()` in the caller's context: the
   * node:http2 patch is its whole helper. Turns it on while the client is open; returns the undo.
   */
  patchHttp2?: () => () => void;
}

/** A sort of request a client makes, and the user-facing callbacks it must run (`name?`: only on some paths). */
export interface RequestKind {
  name: string;
  callbacks: readonly string[];
}

/** Where the adapter's client must connect, and what to apply to it. */
export interface ClientTarget {
  /** `https://127.0.0.1:PORT` (or `http://` for h2c). */
  origin: string;
  /** `127.0.0.1:PORT`. */
  authority: string;
  /** The CA to trust on TLS; absent on h2c. */
  ca?: string | Buffer;
  helpers: ClientHelpers;
}

/** One client instance, kept across the phases of a run. */
export interface OpenedClient {
  /**
   * Starts one request of `kind` in the store current now and records its callbacks through
   * `probe`. Resolves once the request has finished or failed; never rejects.
   */
  start(kind: string, probe: RequestProbe, phase: ClientPhase): Promise<void>;
  /** Resolves once the client has seen the server stop (`server restart`), so calls start while it is down. */
  serverStopped?(deadlineMs: number): Promise<void>;
  /** Closes the client and every session it holds. */
  close(): Promise<void>;
}

/** What a client library looks like to the runner. */
export interface ClientAdapter {
  /** `grpc-js`, `http2-wrapper`, `got`, `undici`. */
  readonly client: string;
  /** True if the client speaks h2c; others need TLS (ALPN). */
  readonly h2c: boolean;
  readonly kinds: readonly RequestKind[];
  /** Phases this client can be put through (`server restart` only where calls wait for ready). */
  readonly phases: readonly ClientPhase[];
  /** Names of the helper hooks this adapter applies (so a run can say which were in effect). */
  readonly helperHooks: ReadonlyArray<keyof ClientHelpers>;
  open(target: ClientTarget): OpenedClient;
}

/** A property of a library's module object, looked up on the module or on its `default` (ESM namespace of CommonJS). */
export function member<T>(library: unknown, name: string, what: string): T {
  const holder = library as Record<string, unknown> | undefined;
  const found = holder?.[name] ?? (holder?.default as Record<string, unknown> | undefined)?.[name];
  if (found === undefined) throw new TypeError(`${what}: the module given has no \`${name}\``);
  return found as T;
}

/** Resolves once `emitter`-style `subscribe` has seen every one of `events`. */
export function allFired(subscribe: (event: string, fn: () => void) => void, events: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const waiting = new Set(events);
    for (const event of events) {
      subscribe(event, () => {
        waiting.delete(event);
        if (waiting.size === 0) resolve();
      });
    }
  });
}
