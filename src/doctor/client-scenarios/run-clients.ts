import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientAdapter, ClientHelpers, ClientPhase, OpenedClient } from './adapter.js';
import { type CallbackCell, CallbackLog } from './callback-log.js';
import { type ClientScenarioServer, startClientScenarioServer } from './client-server.js';

export interface ClientRunOptions {
  /** Key and certificate for the loopback server; required by clients that need ALPN (all but grpc-js). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Requests of each kind started at once per phase. Default 8. */
  requests?: number;
  /** How long a phase may take before it counts as hung. Default 5000 ms. */
  timeoutMs?: number;
  /** The server's response delay, so requests overlap. Default 20 ms. */
  delayMs?: number;
  helpers?: ClientHelpers;
  /** A subset of the adapter's phases, kept in the adapter's order. */
  phases?: readonly ClientPhase[];
}

/** What one phase showed. */
export interface PhaseResult {
  phase: ClientPhase;
  /** Requests started (kinds × `requests`) and how many settled in time. */
  started: number;
  finished: number;
  /** Sessions the server accepted during the phase. */
  sessionsOpened: number;
  /** Callback runs (request × callback) that saw their request's store, of those that ran or had to. */
  right: number;
  total: number;
  /** Callbacks that had to run and did not (request × callback). */
  missing: number;
  cells: CallbackCell[];
  /** Up to three distinct errors the client passed to callbacks (`code: message`): why requests failed. */
  errors: string[];
  /** Set when the phase hung or something threw. */
  error?: string;
  /** `cold: 3 of 24 callbacks in the right store`. */
  summary: string;
}

/** One client measured through its phases; plain data, so it crosses process boundaries as JSON. */
export interface ClientRun {
  client: string;
  transport: 'h2c' | 'tls';
  /** The helper hooks that were given and applied. */
  helpers: string[];
  requests: number;
  phases: PhaseResult[];
  /** Set when the client threw while closing or did not close in time. */
  error?: string;
}

/** Milliseconds between stopping the server and starting it again in `server restart`. */
const restartAfterMs = 150;

/**
 * Runs `adapter`'s client through its phases against a fresh loopback server, starting each
 * request in a store of its own, and reports which callbacks ran and in which store.
 *
 * @example
 * ```ts
 * import * as grpc from '@grpc/grpc-js';
 * const run = await runClientScenarios(grpcJsAdapter(grpc));
 * console.log(run.phases.map((phase) => phase.summary).join('\n'));
 * ```
 */
export async function runClientScenarios(adapter: ClientAdapter, options: ClientRunOptions = {}): Promise<ClientRun> {
  if (!adapter.h2c && !options.tls)
    throw new TypeError(`${adapter.client} speaks HTTP/2 only over TLS (ALPN): pass options.tls`);
  const helpers = options.helpers ?? {};
  const requests = options.requests ?? 8;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const server = await startClientScenarioServer({
    ...(options.tls && { tls: options.tls }),
    delayMs: options.delayMs ?? 20,
  });
  const phases = adapter.phases.filter((phase) => options.phases?.includes(phase) ?? true);
  let client: OpenedClient | undefined;
  const results: PhaseResult[] = [];
  let closeError: string | undefined;
  try {
    client = adapter.open({
      origin: server.origin,
      authority: server.authority,
      ...(options.tls && { ca: options.tls.cert }),
      helpers,
    });
    const als = new AsyncLocalStorage<string>();
    for (const phase of phases)
      results.push(await runPhase({ adapter, client, server, als, requests, timeoutMs }, phase));
  } finally {
    closeError = client && (await closeWithin(client, timeoutMs));
    await server.close();
  }
  return {
    client: adapter.client,
    transport: options.tls ? 'tls' : 'h2c',
    requests,
    phases: results,
    helpers: adapter.helperHooks.filter((hook) => helpers[hook] !== undefined),
    ...(closeError !== undefined && { error: closeError }),
  };
}

interface PhaseContext {
  adapter: ClientAdapter;
  client: OpenedClient;
  server: ClientScenarioServer;
  als: AsyncLocalStorage<string>;
  requests: number;
  timeoutMs: number;
}

async function runPhase(context: PhaseContext, phase: ClientPhase): Promise<PhaseResult> {
  const { server, timeoutMs } = context;
  const log = new CallbackLog(context.als);
  const problems: string[] = [];
  if (phase === 'after GOAWAY') await server.goaway();
  if (phase === 'server restart') {
    await server.stop();
    await context.client.serverStopped?.(timeoutMs);
  }
  const sessionsBefore = server.sessionsOpened;
  const pending = startAll(context, phase, log, problems);
  let finished = 0;
  for (const request of pending) void request.then(() => finished++);
  const restarted = phase === 'server restart' ? restartLater(server, problems) : undefined;
  const settled = await withinTime(Promise.all(pending), timeoutMs);
  log.stop();
  await restarted;
  if (!settled)
    problems.unshift(
      `hung: ${pending.length - finished} of ${pending.length} requests did not finish within ${timeoutMs} ms`,
    );
  const counts = { started: pending.length, finished, sessionsOpened: server.sessionsOpened - sessionsBefore };
  return phaseResult(phase, log.cells(), { ...counts, errors: log.errors(), problems });
}

/** Starts every request of every kind at once, each in its own store, interleaving the kinds. */
function startAll(
  context: PhaseContext,
  phase: ClientPhase,
  log: CallbackLog,
  problems: string[],
): Array<Promise<void>> {
  const pending: Array<Promise<void>> = [];
  const prefix = phase.split(' ').pop() as string; // cold, warm, GOAWAY, restart
  for (let i = 0; i < context.requests; i++) {
    for (const kind of context.adapter.kinds) {
      const store = `${prefix}:${kind.name}:${i}`;
      const probe = log.probe(store, kind.callbacks);
      const failed = (error: unknown) => {
        problems.push(`${store} threw ${describe(error)}`);
      };
      pending.push(
        context.als.run(store, () => {
          try {
            return context.client.start(kind.name, probe, phase).catch(failed);
          } catch (error) {
            return Promise.resolve(failed(error));
          }
        }),
      );
    }
  }
  return pending;
}

/** Starts the stopped server again on its port after a moment, so that calls queue while it is down. */
async function restartLater(server: ClientScenarioServer, problems: string[]): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, restartAfterMs));
  await server.restart().catch((error: unknown) => {
    problems.push(`restart failed: ${describe(error)}`);
  });
}

type Outcome = Pick<PhaseResult, 'started' | 'finished' | 'sessionsOpened' | 'errors'> & { problems: string[] };

function phaseResult(phase: ClientPhase, cells: CallbackCell[], outcome: Outcome): PhaseResult {
  const { problems, ...counts } = outcome;
  const total = cells.reduce((sum, cell) => sum + (cell.expect === 'runs' ? cell.requests : cell.ran), 0);
  const right = cells.reduce((sum, cell) => sum + cell.right, 0);
  const missing = cells.reduce((sum, cell) => sum + (cell.expect === 'runs' ? cell.requests - cell.ran : 0), 0);
  const error = problems.length > 0 ? problems.slice(0, 3).join('; ') : undefined;
  const summary =
    `${phase}: ${right} of ${total} callbacks in the right store` +
    `${missing > 0 ? `, ${missing} did not run` : ''}${error ? ` (${error})` : ''}`;
  return { phase, ...counts, right, total, missing, cells, ...(error !== undefined && { error }), summary };
}

/** Closes the client; says why if closing threw, rejected or did not finish within `ms`. */
async function closeWithin(client: OpenedClient, ms: number): Promise<string | undefined> {
  let failure: string | undefined;
  try {
    const closing = client.close().catch((error: unknown) => {
      failure = `closing the client failed: ${describe(error)}`;
    });
    if (!(await withinTime(closing, ms))) return `the client did not close within ${ms} ms`;
  } catch (error) {
    return `closing the client failed: ${describe(error)}`;
  }
  return failure;
}

/** Resolves true if `promise` settles within `ms`, false otherwise; a rejection counts as settled. */
async function withinTime(promise: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      Promise.resolve(promise).then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return code ? `${code}: ${message}` : String(message ?? error);
}
