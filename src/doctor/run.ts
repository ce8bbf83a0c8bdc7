import { AsyncLocalStorage } from 'node:async_hooks';
import type * as http2 from 'node:http2';
import { type CellResult, Recorder } from './recorder.js';
import { type OpenedRequest, once, type Scenario, type ScenarioContext } from './scenario.js';
import { sessionScenarios } from './session-scenarios.js';
import { streamScenarios } from './stream-scenarios.js';

/** Every scenario the doctor and the compat suite run, in table order. */
export const scenarios: readonly Scenario[] = [...streamScenarios, ...sessionScenarios];

/** A `connect` under test: `http2.connect` (native) or the package's `connect()`. */
export type ConnectFunction = (authority: string, options?: http2.ClientSessionOptions) => http2.ClientHttp2Session;

/** What one scenario showed in one mode. */
export interface ScenarioRun {
  scenario: string;
  cells: CellResult[];
  /** Pairs `[listedFirst, firedFirst]`: events that fired the other way round from the scenario's list. */
  inversions: Array<[string, string]>;
  /** Set when the scenario threw or did not finish in time. */
  error?: string;
}

/** Which scenarios to run, and how long one may take before it counts as hung. */
export interface RunOptions {
  scenarios?: readonly Scenario[];
  /** Default 5000: ample for 200 requests on a loaded 2-core machine. */
  timeoutMs?: number;
}

/** Runs every scenario, one after another, with `connect` against the server at `origin`. */
export async function runScenarios(
  connect: ConnectFunction,
  origin: string,
  options: RunOptions = {},
): Promise<ScenarioRun[]> {
  const runs: ScenarioRun[] = [];
  for (const scenario of options.scenarios ?? scenarios)
    runs.push(await runScenario(scenario, connect, origin, options.timeoutMs ?? 5_000));
  return runs;
}

async function runScenario(
  scenario: Scenario,
  connect: ConnectFunction,
  origin: string,
  timeoutMs: number,
): Promise<ScenarioRun> {
  // One store per scenario, so that nothing a previous scenario left running can pass for right.
  const als = new AsyncLocalStorage<string>();
  const recorder = new Recorder(als, scenario.name);
  const sessions: http2.ClientHttp2Session[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`did not finish within ${timeoutMs} ms`), timeoutMs);
  });
  let error: string | undefined;
  try {
    error = await Promise.race([
      scenario.run(createContext(connect, origin, als, recorder, sessions)).then(() => undefined),
      timedOut,
    ]);
  } catch (thrown) {
    error = `threw ${describe(thrown)}`;
  } finally {
    clearTimeout(timer);
    recorder.stop();
    for (const session of sessions) session.destroy();
  }
  return {
    scenario: scenario.name,
    cells: recorder.cells(),
    inversions: recorder.inversions(),
    ...(error !== undefined && { error }),
  };
}

function createContext(
  connect: ConnectFunction,
  origin: string,
  als: AsyncLocalStorage<string>,
  recorder: Recorder,
  sessions: http2.ClientHttp2Session[],
): ScenarioContext {
  const context: ScenarioContext = {
    origin,
    recorder,
    connect(options) {
      const session = als.run('session', () => connect(origin, options));
      // Teardown scenarios make sessions fail on purpose; the streams' own errors are what is checked.
      session.on('error', () => {});
      sessions.push(session);
      return session;
    },
    async connected(options) {
      const session = context.connect(options);
      await once(session, 'connect');
      return session;
    },
    inStore: (id, fn) => als.run(id, fn),
    request(session, headers, plan): OpenedRequest {
      const label = plan.label ?? 'request';
      const store = plan.store ?? label;
      return als.run(store, () => {
        const stream = session.request(headers, plan.options);
        recorder.watch(label, stream, store, plan.events, plan.changes);
        const closed = once(stream, 'close').then(() => undefined);
        stream.resume();
        return { stream, closed };
      });
    },
  };
  return context;
}

function describe(thrown: unknown): string {
  const error = thrown as NodeJS.ErrnoException | undefined;
  return error?.code ? `${error.code}: ${error.message}` : String(error?.message ?? thrown);
}
