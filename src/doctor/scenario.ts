import type { EventEmitter } from 'node:events';
import type * as http2 from 'node:http2';
import type { Recorder } from './recorder.js';

/** A request opened by a scenario: the stream, and a promise settled once it has closed. */
export interface OpenedRequest {
  stream: http2.ClientHttp2Stream;
  closed: Promise<void>;
}

/** What to watch on a request and how to open it. */
export interface RequestPlan {
  /** Row prefix; `request` (the default) gives rows named by the bare event. */
  label?: string;
  /** Store the request is opened in, which its events must see. Defaults to the label. */
  store?: string;
  /** Events to watch, in the order they should fire (`name?` may not fire, `!name` must not). */
  events: readonly string[];
  /**
   * Events the package changes on purpose against native, and how: the table shows them as a
   * change, not as a native loss, and the summary counts them apart.
   */
  changes?: Readonly<Record<string, string>>;
  options?: http2.ClientSessionRequestOptions;
}

/** What a scenario is given: the connect under test, the server, and the recorder. */
export interface ScenarioContext {
  readonly origin: string;
  readonly recorder: Recorder;
  /** Opens a session with the connect under test, inside the store `session`. */
  connect(options?: http2.ClientSessionOptions): http2.ClientHttp2Session;
  /** `connect`, resolved once the session has connected. */
  connected(options?: http2.ClientSessionOptions): Promise<http2.ClientHttp2Session>;
  /** Runs `fn` inside the store `id`. */
  inStore<T>(id: string, fn: () => T): T;
  /** Opens a request inside its store, watches its events and reads its body. */
  request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, plan: RequestPlan): OpenedRequest;
}

/** One situation a client stream can be in, made to happen for real against the scenario server. */
export interface Scenario {
  readonly name: string;
  /** Resolves once every stream it watches has closed. */
  run(context: ScenarioContext): Promise<void>;
}

/** Resolves on the next `event`; unlike `events.once`, an `error` does not reject. */
export function once(emitter: EventEmitter, event: string): Promise<unknown[]> {
  return new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args)));
}
