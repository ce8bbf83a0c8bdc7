import type { EventEmitter } from 'node:events';
import { type ClientAdapter, type ClientTarget, member, type OpenedClient } from './adapter.js';
import type { RequestProbe } from './callback-log.js';
import { createAgent, type Http2WrapperAgentConstructor } from './http2-wrapper-adapter.js';

type Got = ((url: string, options: object) => Promise<unknown>) & {
  stream(url: string, options: object): EventEmitter;
};

function streamHello(got: Got, url: string, options: object, probe: RequestProbe): Promise<void> {
  return new Promise((resolve) => {
    const stream = got.stream(url, options);
    probe.listen(stream, 'stream', ['response', 'data', 'end', 'error']);
    stream.once('end', () => resolve());
    stream.once('error', () => resolve());
  });
}

async function promiseHello(got: Got, url: string, options: object, probe: RequestProbe): Promise<void> {
  const hooks = {
    afterResponse: [probe.wrap('promise afterResponse', (response: unknown) => response)],
    beforeError: [probe.wrap('promise beforeError', (error: unknown) => error)],
  };
  // Not the promise's own continuation: promise reactions always run in the caller's store.
  await got(url, { ...options, hooks }).catch(() => {});
}

/** got itself from its ES namespace: the named `got` (got 12–15) or the default export (every version). */
function gotOf(namespace: unknown): Got {
  const fallback = (namespace as { default?: unknown } | undefined)?.default;
  return typeof fallback === 'function' ? (fallback as Got) : member<Got>(namespace, 'got', 'got');
}

/** What got's HTTP/2 requests go through in one opened client, and how to end it. */
interface GotTransport {
  agent: object;
  close(): void;
}

/** got 12–15: an http2-wrapper Agent of the client's own, which the helper scopes. */
function wrapperTransport(Agent: Http2WrapperAgentConstructor, target: ClientTarget): GotTransport {
  const agent = createAgent(Agent, target.helpers);
  return { agent: { http2: agent }, close: () => agent.destroy() };
}

/**
 * got 16: its own client, with its global session pool (got exports no class to make another);
 * each run talks to a server on a port of its own, so its first requests still open a session.
 * The helper is the node:http2 patch, on while the client is open.
 */
function ownClientTransport(target: ClientTarget): GotTransport {
  const undo = target.helpers.patchHttp2?.();
  return { agent: {}, close: () => undo?.() };
}

/**
 * got with `http2: true`, given its module object and, for got 12–15, the http2-wrapper module
 * got itself resolves (for the Agent each client gets: `agent: { http2 }`); `undefined` for got
 * 16 (tested 16.0.0 and 16.2.0), which has an HTTP/2 client of its own. Measures the stream API
 * and an `afterResponse` hook of the promise API, over TLS.
 *
 * @example
 * ```ts
 * import got from 'got';
 * const http2wrapper = createRequire(import.meta.resolve('got'))('http2-wrapper');
 * const run = await runClientScenarios(gotAdapter(got, http2wrapper), { tls: { key, cert } });
 * ```
 */
export function gotAdapter(gotModule: unknown, http2wrapper: unknown): ClientAdapter {
  const got = typeof gotModule === 'function' ? (gotModule as Got) : gotOf(gotModule);
  const Agent =
    http2wrapper === undefined
      ? undefined
      : member<Http2WrapperAgentConstructor>(http2wrapper, 'Agent', 'http2-wrapper (for got)');
  return {
    client: 'got',
    h2c: false,
    kinds: [
      { name: 'stream', callbacks: ['stream response', 'stream data', 'stream end', 'stream error?'] },
      { name: 'promise', callbacks: ['promise afterResponse', 'promise beforeError?'] },
    ],
    phases: ['cold', 'warm', 'after GOAWAY'],
    helperHooks: Agent === undefined ? ['patchHttp2'] : ['wrapHttp2WrapperAgent'],
    open(target: ClientTarget): OpenedClient {
      const transport = Agent === undefined ? ownClientTransport(target) : wrapperTransport(Agent, target);
      const url = `${target.origin}/hello`;
      // No retries: a failure must show as a failure, not as a second request in another context.
      const options = {
        http2: true,
        agent: transport.agent,
        https: { certificateAuthority: target.ca },
        retry: { limit: 0 },
      };
      return {
        start: (kind, probe) => (kind === 'stream' ? streamHello : promiseHello)(got, url, options, probe),
        close: async () => transport.close(),
      };
    },
  };
}
