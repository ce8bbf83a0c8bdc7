import { AsyncResource } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  type ClientAdapter,
  formatClientRun,
  gotAdapter,
  grpcJsAdapter,
  http2WrapperAdapter,
  runClientScenarios,
  undiciAdapter,
} from '../dist/esm/doctor/internals.js';
import { http2WrapperOf, phase, requireClient, requireOldest, requirePrevious, tls } from './helpers/clients.js';

interface Http2Wrapper {
  Agent: new () => { request: (...args: unknown[]) => unknown; destroy(): void };
  request(url: string, options: object, callback: (response: EventEmitter) => void): EventEmitter & { end(): void };
}
const http2wrapper = requireClient('http2-wrapper') as Http2Wrapper;

/** http2-wrapper, with the response callback bound to the caller's context where it is passed. */
const boundAtCallSite: ClientAdapter = {
  client: 'http2-wrapper, callback bound at the call site',
  h2c: false,
  phases: ['cold'],
  helperHooks: [],
  kinds: [{ name: 'request', callbacks: ['bound response callback', 'response end'] }],
  open(target) {
    const agent = new http2wrapper.Agent();
    return {
      start: (_kind, probe) =>
        new Promise<void>((resolve) => {
          const onResponse = AsyncResource.bind(
            probe.wrap('bound response callback', (response: EventEmitter) => {
              probe.listen(response, 'response', ['end']);
              response.once('end', () => resolve());
              (response as EventEmitter & { resume(): void }).resume();
            }),
          );
          http2wrapper.request(`${target.origin}/hello`, { agent, ca: target.ca, servername: '' }, onResponse).end();
        }),
      close: async () => agent.destroy(),
    };
  },
};

describe('the client scenario runner', () => {
  it('reports a callback bound with AsyncResource.bind right, and the unbound one beside it wrong', async () => {
    const cold = phase(await runClientScenarios(boundAtCallSite, { tls, phases: ['cold'] }), 'cold');
    expect(cold.cells.find((cell) => cell.name === 'bound response callback')).toMatchObject({
      ran: 8,
      right: 8,
      seen: [],
    });
    expect(cold.cells.find((cell) => cell.name === 'response end')).toMatchObject({
      ran: 8,
      right: 1,
      seen: ['cold:request:0'],
    });
    expect(cold.summary).toBe('cold: 9 of 16 callbacks in the right store');
  });

  it('reports a phase whose requests never finish as hung, within its timeout', async () => {
    const started = Date.now();
    const run = await runClientScenarios(http2WrapperAdapter(http2wrapper), {
      tls,
      delayMs: 10_000,
      timeoutMs: 300,
      requests: 2,
      phases: ['cold'],
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(phase(run, 'cold')).toMatchObject({
      started: 2,
      finished: 0,
      error: 'hung: 2 of 2 requests did not finish within 300 ms',
      right: 0,
    });
    expect(phase(run, 'cold').summary).toBe(
      'cold: 0 of 10 callbacks in the right store, 10 did not run (hung: 2 of 2 requests did not finish within 300 ms)',
    );
    expect(formatClientRun(run)).toMatch(/^ {2}response callback +✘ did not run$/m);
  });

  it('reports a request that throws, rejects or fails, and a client that cannot close, instead of failing the run', async () => {
    const failing: ClientAdapter = {
      ...boundAtCallSite,
      kinds: [
        { name: 'throws', callbacks: [] },
        { name: 'rejects', callbacks: [] },
        { name: 'refused', callbacks: ['refused error'] },
      ],
      open: () => ({
        start: (kind, probe) => {
          if (kind === 'throws') throw new Error('thrown');
          if (kind === 'rejects') return Promise.reject(new Error('rejected'));
          return new Promise<void>((resolve) => {
            // Nothing listens on port 1: the request fails for real, and its error reaches the report.
            const request = http2wrapper.request('https://127.0.0.1:1/', { agent: new http2wrapper.Agent() }, () => {});
            probe.listen(request, 'refused', ['error']);
            request.once('error', () => resolve());
            request.end();
          });
        },
        close: () => {
          throw new Error('cannot close');
        },
      }),
    };
    const run = await runClientScenarios(failing, { tls, requests: 1 });
    expect(phase(run, 'cold')).toMatchObject({
      started: 3,
      finished: 3,
      error: 'cold:throws:0 threw thrown; cold:rejects:0 threw rejected',
      errors: ['ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1'],
      summary: expect.stringMatching(/^cold: 1 of 1 callbacks in the right store \(/),
    });
    expect(run.error).toBe('closing the client failed: cannot close');
    const rejecting = {
      ...failing,
      kinds: [],
      open: () => ({ start: async () => {}, close: () => Promise.reject(new Error('refused to close')) }),
    };
    expect((await runClientScenarios(rejecting, { tls })).error).toBe('closing the client failed: refused to close');
    const stuck = {
      ...failing,
      kinds: [],
      open: () => ({ start: async () => {}, close: () => new Promise<void>(() => {}) }),
    };
    expect((await runClientScenarios(stuck, { tls, timeoutMs: 50 })).error).toBe(
      'the client did not close within 50 ms',
    );
  });

  it('passes each helper hook to the extension point its library offers', async () => {
    const counts = { wrapped: 0, agentRequests: 0, grpc: 0, undici: 0 };
    const wrapHttp2WrapperAgent = (agent: unknown) => {
      counts.wrapped++;
      const typed = agent as InstanceType<Http2Wrapper['Agent']>;
      const request = typed.request;
      typed.request = function (this: unknown, ...args: unknown[]) {
        counts.agentRequests++;
        return request.apply(this, args);
      };
      return agent;
    };
    const grpcInterceptors = [
      (options: unknown, next: (options: unknown) => unknown) => {
        counts.grpc++;
        return next(options);
      },
    ];
    const undiciInterceptors = [
      (dispatch: (...args: unknown[]) => boolean) =>
        (...args: unknown[]) => {
          counts.undici++;
          return dispatch(...args);
        },
    ];
    const helpers = { wrapHttp2WrapperAgent, grpcInterceptors, undiciInterceptors };
    const options = { tls, helpers, requests: 2, phases: ['cold'] as const };
    const runs = [
      await runClientScenarios(http2WrapperAdapter(http2wrapper), options),
      // got 16 and undici 8 need Node 22: here, the previous majors.
      await runClientScenarios(
        gotAdapter(await import(requirePrevious.resolve('got')), http2WrapperOf('previous')),
        options,
      ),
      await runClientScenarios(grpcJsAdapter(requireClient('@grpc/grpc-js')), options),
      await runClientScenarios(undiciAdapter(requirePrevious('undici')), options),
      // undici 6.0.0 has no compose(): the interceptors cannot be applied, and the run says so.
      await runClientScenarios(undiciAdapter(requireOldest('undici')), options),
    ];
    expect(runs.map((run) => run.helpers)).toEqual([
      ['wrapHttp2WrapperAgent'],
      ['wrapHttp2WrapperAgent'],
      ['grpcInterceptors'],
      ['undiciInterceptors'],
      [],
    ]);
    // http2-wrapper: 2 requests; got: 2 stream + 2 promise requests. grpc-js: 5 kinds × 2; undici 7: 2 kinds × 2.
    expect(counts).toEqual({ wrapped: 2, agentRequests: 6, grpc: 10, undici: 4 });
  });

  it('refuses a client that needs TLS without it, and a module that is not the library', async () => {
    await expect(runClientScenarios(undiciAdapter(requirePrevious('undici')))).rejects.toThrow(
      'undici speaks HTTP/2 only over TLS (ALPN): pass options.tls',
    );
    expect(() => grpcJsAdapter({})).toThrow('grpc-js: the module given has no `makeGenericClientConstructor`');
    expect(() => gotAdapter(() => {}, {})).toThrow('http2-wrapper (for got): the module given has no `Agent`');
    // An ESM namespace of a CommonJS module keeps the exports on `default`.
    expect(http2WrapperAdapter({ default: http2wrapper }).client).toBe('http2-wrapper');
    // What Bun 1.4.5 gives for require('undici'): a stub Client with only request().
    expect(() =>
      undiciAdapter({
        Client: class {
          request() {}
        },
      }),
    ).toThrow('undici: this Client has no dispatch()');
  });

  it('formats a run as a table of callbacks by phase, then the summaries', async () => {
    const run = await runClientScenarios(http2WrapperAdapter(http2wrapper), {
      tls,
      requests: 2,
      phases: ['cold', 'warm'],
    });
    const text = formatClientRun(run);
    expect(text.split('\n')[0]).toBe('http2-wrapper · tls · 2 requests of each kind at once · helpers: none');
    expect(text).toMatch(/^callback +cold +warm$/m);
    expect(text).toMatch(/^ {2}response callback +✘ 1\/2 +2\/2$/m);
    expect(text).toMatch(/^ {2}request error +– +–$/m);
    expect(text).toContain('\ncold: 5 of 10 callbacks in the right store\nwarm: 10 of 10 callbacks in the right store');
  });
});
