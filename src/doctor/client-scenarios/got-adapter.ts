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

/**
 * got (tested 12.0.0 and 14.6.6) with `http2: true`, given its module object and the
 * http2-wrapper module got itself resolves (for the Agent each client gets: `agent: { http2 }`).
 * Measures the stream API and an `afterResponse` hook of the promise API, over TLS.
 *
 * @example
 * ```ts
 * import got from 'got';
 * const http2wrapper = createRequire(import.meta.resolve('got'))('http2-wrapper');
 * const run = await runClientScenarios(gotAdapter(got, http2wrapper), { tls: { key, cert } });
 * ```
 */
export function gotAdapter(gotModule: unknown, http2wrapper: unknown): ClientAdapter {
  const got = typeof gotModule === 'function' ? (gotModule as Got) : member<Got>(gotModule, 'got', 'got');
  const Agent = member<Http2WrapperAgentConstructor>(http2wrapper, 'Agent', 'http2-wrapper (for got)');
  return {
    client: 'got',
    h2c: false,
    kinds: [
      { name: 'stream', callbacks: ['stream response', 'stream data', 'stream end', 'stream error?'] },
      { name: 'promise', callbacks: ['promise afterResponse', 'promise beforeError?'] },
    ],
    phases: ['cold', 'warm', 'after GOAWAY'],
    helperHooks: ['wrapHttp2WrapperAgent'],
    open(target: ClientTarget): OpenedClient {
      const agent = createAgent(Agent, target.helpers);
      const url = `${target.origin}/hello`;
      // No retries: a failure must show as a failure, not as a second request in another context.
      const options = {
        http2: true,
        agent: { http2: agent },
        https: { certificateAuthority: target.ca },
        retry: { limit: 0 },
      };
      return {
        start: (kind, probe) => (kind === 'stream' ? streamHello : promiseHello)(got, url, options, probe),
        close: async () => agent.destroy(),
      };
    },
  };
}
