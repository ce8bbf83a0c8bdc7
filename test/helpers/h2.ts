import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type http2 from 'node:http2';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { once } from '../../dist/esm/doctor/scenario.js';
import { type ScenarioServer, startScenarioServer } from '../../dist/esm/doctor/server.js';

/** The doctor's `once`: the next `event`, and unlike `events.once`, an `error` does not reject. */
export { once };

/** The store every test reads inside its listeners. Store values are plain ids. */
export const als = new AsyncLocalStorage<string>();

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const tls = { key: fixture('key.pem'), cert: fixture('cert.pem') };

/** The two transports every behaviour runs on. */
export const transports = [
  { name: 'h2c', server: {}, client: {} },
  { name: 'TLS', server: { tls }, client: { ca: tls.cert } },
] as const;
export type Transport = (typeof transports)[number];

type Connect = typeof http2.connect;

/** A loopback scenario server for the enclosing `describe`, plus sessions closed after each test. */
export function useServer(transport: Transport) {
  let server: ScenarioServer;
  const sessions: http2.ClientHttp2Session[] = [];
  beforeAll(async () => {
    server = await startScenarioServer(transport.server);
  });
  afterEach(() => {
    for (const session of sessions.splice(0)) session.destroy();
  });
  afterAll(() => server.close());
  return {
    get origin() {
      return server.origin;
    },
    /** Connects with `connectFn` inside the store `id` (or outside any when undefined). */
    connect(connectFn: Connect, id: string | undefined, options: http2.SecureClientSessionOptions = {}) {
      const open = () => connectFn(server.origin, { ...transport.client, ...options });
      const session = id === undefined ? open() : als.run(id, open);
      sessions.push(session);
      return session;
    },
  };
}

/**
 * Listens for `events` on `emitter` and records, per event, the store each listener call saw.
 * A missing key means the event never fired.
 */
export function recordScopes(emitter: EventEmitter, events: readonly string[]) {
  const seen = new Map<string, Array<string | undefined>>();
  for (const event of events) {
    emitter.on(event, () => {
      const list = seen.get(event) ?? [];
      list.push(als.getStore());
      seen.set(event, list);
    });
  }
  return seen;
}

/** Opens a request inside the store `id` and records the store in each of `events`. */
export function requestIn(
  session: http2.ClientHttp2Session,
  id: string | undefined,
  headers: http2.OutgoingHttpHeaders,
  events: readonly string[],
  options?: http2.ClientSessionRequestOptions,
) {
  const open = () => {
    const stream = session.request(headers, options);
    stream.resume(); // read the body, or `end` and `close` never come
    return { stream, seen: recordScopes(stream, events), closed: once(stream, 'close') };
  };
  return id === undefined ? open() : als.run(id, open);
}
