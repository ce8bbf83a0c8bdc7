import { describe, expect, it } from 'vitest';
import { runNode } from './helpers/child.js';
import { nodeBinaries } from './helpers/clients.js';

// got 16 has an HTTP/2 client of its own (no http2-wrapper), with a session pool and a queue while
// a session connects. Measured as the integrations were (test/fixtures/got-own-client.mjs): it
// calls session.request() after an `await` in the caller's own async function, so natively every
// request keeps its store at the client level; what node:http2 itself loses (`end` after trailers
// on Node 20–24) is the node:http2 patch's, which register applies. got 16 needs Node 22.
interface Kind {
  ran: Record<string, number>;
  wrong: string[];
}
interface Run {
  node: string;
  got: string;
  results: Record<string, Kind>;
}

const run = (nodeArgs: string[]) =>
  runNode('test/fixtures/got-own-client.mjs', [], nodeArgs, nodeBinaries[24]) as Promise<Run>;

/** 16 requests of each kind: the callbacks each runs, once per request unless said. */
const perKind: Record<string, Record<string, number>> = {
  stream: { response: 16, data: 16, end: 16 },
  trailers: { response: 16, data: 16, end: 16 },
  hooks: { beforeRequest: 16, afterResponse: 16 },
  // Each request is answered 503 once, retried, then 200: afterResponse runs for both.
  retry: { afterResponse: 32, beforeRetry: 16 },
  timeout: { beforeError: 16, rejected: 16 },
};

function expectEveryCallbackRan(results: Record<string, Kind>): void {
  for (const phase of ['cold', 'warm', 'after GOAWAY'])
    for (const [kind, ran] of Object.entries(perKind))
      expect(results[`${phase} ${kind}`]?.ran, `${phase} ${kind}`).toEqual(ran);
  // Some requests find the server down and are retried until it is back; all are answered.
  const restart = results['server restart']!;
  expect(restart.ran.afterResponse).toBe(16);
  expect(restart.ran.beforeRetry).toBeGreaterThanOrEqual(1);
  expect(Object.keys(restart.ran).sort()).toEqual(['afterResponse', 'beforeRetry']);
}

describe('got 16.2 on its own HTTP/2 client, 16 requests of each kind at once, on Node 24', () => {
  it('natively, got keeps every store: cold, warm, after GOAWAY, across a server restart, with hooks, retries and timeouts', async () => {
    const { got, results } = await run([]);
    expect(got).toBe('16.2.0');
    expectEveryCallbackRan(results);
    const wrong = Object.fromEntries(Object.entries(results).map(([kind, { wrong }]) => [kind, wrong]));
    // Only node:http2's own loss: a response that ends with trailers emits `end` outside the request.
    for (const [kind, callbacks] of Object.entries(wrong))
      expect(callbacks, kind).toEqual(kind.endsWith(' trailers') ? ['end'] : []);
  });

  it('under register, every callback of every request runs in its own store, trailers too', async () => {
    const { results } = await run(['--import', 'http2-async-context/register']);
    expectEveryCallbackRan(results);
    for (const [kind, { wrong }] of Object.entries(results)) expect(wrong, kind).toEqual([]);
  });
});
