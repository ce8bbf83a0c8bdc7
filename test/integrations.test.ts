import { describe, expect, it } from 'vitest';
import { runNode } from './helpers/child.js';
import {
  type AppRun,
  app,
  expectEveryCallbackInItsStore,
  expectQueuedRequestsLoseTheirStore,
  oldestCopies,
  patchedCopies,
} from './helpers/client-app.js';
import { nodeBinaries } from './helpers/clients.js';

// The client integrations on real clients and loopback servers, measured by test code alone
// (test/fixtures/client-app.mjs imports nothing of the doctor): each process loads grpc-js,
// http2-wrapper, got and undici as an app does, and makes 4 requests of each kind at once on a
// fresh client (they queue while it connects), on the same client warm, after the server's
// GOAWAY (they queue while it reconnects) and, for grpc-js, while its server restarts (calls
// with waitForReady wait for it), each request in a store of its own. The kinds include calls
// that fail on purpose and grpc-js's streaming calls (test/helpers/client-app.ts lists them).
//
// One process per mode and set; each set is loaded with `import` in some modes and `require` in
// the others (test/bun.test.ts has both for every set under register on Bun).
const run = (args: string[], nodeArgs: string[] = [], node?: string) =>
  runNode(app, args, nodeArgs, node) as Promise<AppRun>;
const register = ['--import', 'http2-async-context/register'];

// undici 8 and got 16 need Node 22: the newest set runs on Node 24, the first of those majors on Node 22.
describe('the newest clients (grpc-js 1.14, http2-wrapper 2.2, got 16, undici 8.14), on Node 24', () => {
  const node = nodeBinaries[24];
  it('under --import register, every callback of every request runs, each time in its own store', async () => {
    const result = await run(['import', 'newest', '--report'], register, node);
    expectEveryCallbackInItsStore(result, 'newest');
    // The preload patched every copy as it loaded: a later call finds nothing left to do.
    expect(result.patchClients).toBe(false);
  });

  it('with the explicit helpers, nothing patched, every callback of every request runs in its own store', async () => {
    expectEveryCallbackInItsStore(await run(['require', 'newest', '--explicit'], [], node), 'newest');
  });

  it('patchClients() and patchHttp2() after the clients loaded fix every request and name the copies', async () => {
    const result = await run(['import', 'newest', '--late'], [], node);
    expectEveryCallbackInItsStore(result, 'newest');
    // got 16 has no http2-wrapper: the node:http2 patch is what it needs.
    expect(patchedCopies(result)).toEqual([
      '@grpc/grpc-js 1.14.7 node_modules/@grpc/grpc-js',
      'http2-wrapper 2.2.4 node_modules/http2-wrapper',
      'undici 8.14.1 node_modules/undici',
    ]);
  });

  it('natively, requests queued while a client (re)connects get the store of the one that connected; got 16 keeps them', async () => {
    expectQueuedRequestsLoseTheirStore(await run(['require', 'newest'], [], node), 'newest');
  });
});

describe('the first releases of the newest majors (undici 8.0.0, got 16.0.0), on Node 22', () => {
  const node = nodeBinaries[22];
  it('under --import register, every callback of every request runs, each time in its own store', async () => {
    const result = await run(['require', 'first', '--report'], register, node);
    expectEveryCallbackInItsStore(result, 'first');
    expect(result.patchClients).toBe(false);
  });

  it('natively, requests queued while a client (re)connects get the store of the one that connected; got 16 keeps them', async () => {
    expectQueuedRequestsLoseTheirStore(await run(['import', 'first'], [], node), 'first');
  });
});

describe('the previous majors (got 15 over http2-wrapper, undici 7.30), what Node 20 runs', () => {
  it('under --import register, every callback of every request runs, each time in its own store', async () => {
    const result = await run(['import', 'previous', '--report'], register);
    expectEveryCallbackInItsStore(result, 'previous');
    expect(result.patchClients).toBe(false);
  });

  it('with the explicit helpers, nothing patched, every callback of every request runs in its own store', async () => {
    expectEveryCallbackInItsStore(await run(['require', 'previous', '--explicit']), 'previous');
  });

  it('patchClients() and patchHttp2() after the clients loaded fix every request and name the copies', async () => {
    const result = await run(['import', 'previous', '--late']);
    expectEveryCallbackInItsStore(result, 'previous');
    // got 15 uses the hoisted http2-wrapper: the same copy.
    expect(patchedCopies(result)).toEqual([
      '@grpc/grpc-js 1.14.7 node_modules/@grpc/grpc-js',
      'http2-wrapper 2.2.4 node_modules/http2-wrapper',
      'undici 7.30.3 test/clients/previous/node_modules/undici',
    ]);
  });

  it('natively, requests queued while a client (re)connects get the store of the one that connected', async () => {
    expectQueuedRequestsLoseTheirStore(await run(['require', 'previous']), 'previous');
  });
});

describe('the oldest clients (grpc-js 1.8, http2-wrapper 2.0, got 12, undici 6.0), in nested node_modules', () => {
  it('under --import register, every callback of every request runs, each time in its own store', async () => {
    const result = await run(['require', 'oldest', '--report'], register);
    expectEveryCallbackInItsStore(result, 'oldest');
    expect(result.patchClients).toBe(false);
  });

  it('with the explicit helpers, every callback runs in its own store, but undici 6.0 has no compose()', async () => {
    // The undici helpers go through compose() (undici 6.9): register is what covers undici 6.0.
    const result = await run(['import', 'oldest', '--explicit']);
    expectEveryCallbackInItsStore(result, 'oldest', { undici: 'undici 6.0.0 has no compose()' });
  });

  it('patchClients() and patchHttp2() after the clients loaded fix every request and name every copy', async () => {
    const result = await run(['require', 'oldest', '--late']);
    expectEveryCallbackInItsStore(result, 'oldest');
    // got 12.0.0 brings an http2-wrapper of its own, nested below it: patched as well.
    expect(patchedCopies(result)).toEqual(oldestCopies);
  });

  it('natively, requests queued while a client (re)connects get the store of the one that connected', async () => {
    expectQueuedRequestsLoseTheirStore(await run(['import', 'oldest']), 'oldest');
  });
});
