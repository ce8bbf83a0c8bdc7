import type { EventEmitter } from 'node:events';
import { type ClientAdapter, type ClientHelpers, type ClientTarget, member, type OpenedClient } from './adapter.js';
import type { RequestProbe } from './callback-log.js';

/** An http2-wrapper `ClientRequest`, as far as the adapter uses it. */
interface Http2WrapperRequest extends EventEmitter {
  end(): void;
}
type RequestFunction = (
  url: string,
  options: object,
  callback: (response: EventEmitter) => void,
) => Http2WrapperRequest;
/** `http2wrapper.Agent`: a session pool that queues requests while a session connects. */
export interface Http2WrapperAgent {
  destroy(): void;
}
export type Http2WrapperAgentConstructor = new () => Http2WrapperAgent;

/** A new Agent, passed through the integration's wrapper when one is given. */
export function createAgent(Agent: Http2WrapperAgentConstructor, helpers: ClientHelpers): Http2WrapperAgent {
  const agent = new Agent();
  return helpers.wrapHttp2WrapperAgent ? (helpers.wrapHttp2WrapperAgent(agent) as Http2WrapperAgent) : agent;
}

/** Makes one `GET /hello` and records every user-facing callback of it; settles on `close` or `error`. */
function requestHello(
  request: RequestFunction,
  target: ClientTarget,
  agent: Http2WrapperAgent,
  probe: RequestProbe,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const onResponse = probe.wrap('response callback', (response: EventEmitter) => {
      probe.listen(response, 'response', ['data', 'end', 'close']);
    });
    // No SNI: http2-wrapper's Agent would send the IP as servername, which Node deprecates (DEP0123).
    const req = request(`${target.origin}/hello`, { agent, ca: target.ca, servername: '' }, onResponse);
    probe.listen(req, 'request', ['response', 'error']);
    // `close` of the request comes after the response's (http2-wrapper 2.x emits them in that order).
    req.once('close', () => resolve());
    req.once('error', () => resolve());
    req.end();
  });
}

/**
 * http2-wrapper (tested 2.0.3 and 2.2.4), given its module object: `http2wrapper.request()`
 * through an Agent of the adapter's own, over TLS.
 *
 * @example
 * ```ts
 * import http2wrapper from 'http2-wrapper';
 * const run = await runClientScenarios(http2WrapperAdapter(http2wrapper), { tls: { key, cert } });
 * ```
 */
export function http2WrapperAdapter(http2wrapper: unknown): ClientAdapter {
  const request = member<RequestFunction>(http2wrapper, 'request', 'http2-wrapper');
  const Agent = member<Http2WrapperAgentConstructor>(http2wrapper, 'Agent', 'http2-wrapper');
  return {
    client: 'http2-wrapper',
    h2c: false,
    kinds: [
      {
        name: 'request',
        callbacks: [
          'response callback',
          'request response',
          'response data',
          'response end',
          'response close',
          'request error?',
        ],
      },
    ],
    phases: ['cold', 'warm', 'after GOAWAY'],
    helperHooks: ['wrapHttp2WrapperAgent'],
    open(target: ClientTarget): OpenedClient {
      const agent = createAgent(Agent, target.helpers);
      return {
        start: (_kind, probe) => requestHello(request, target, agent, probe),
        close: async () => agent.destroy(),
      };
    },
  };
}
