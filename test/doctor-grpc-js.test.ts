import { beforeAll, describe, expect, it } from 'vitest';
import { type ClientRun, grpcJsAdapter, runClientScenarios } from '../dist/esm/doctor/internals.js';
import {
  expectConnectingRequestsStore,
  expectEveryCallbackObserved,
  installedVersion,
  loadClient,
  phase,
  tls,
} from './helpers/clients.js';

const phases = ['cold', 'warm', 'after GOAWAY', 'server restart'] as const;

describe.each([
  { version: '1.8.22', set: 'oldest', transport: 'h2c' },
  { version: '1.14.7', set: 'newest', transport: 'TLS' },
] as const)('grpc-js $version natively, over $transport', ({ version, set, transport }) => {
  let run: ClientRun;
  beforeAll(async () => {
    run = await runClientScenarios(
      grpcJsAdapter(await loadClient(set, '@grpc/grpc-js')),
      transport === 'TLS' ? { tls } : {},
    );
  });

  it('observes every callback of unary, server-streaming, failing, client-streaming and bidi calls in every phase', () => {
    expect(installedVersion(set, '@grpc/grpc-js')).toBe(version);
    expect(run).toMatchObject({ client: 'grpc-js', transport: transport.toLowerCase(), requests: 8, helpers: [] });
    expectEveryCallbackObserved(run, phases);
    expect(phase(run, 'cold').started).toBe(40);
  });

  it('cold, after GOAWAY and across a restart, queued calls run in the store of the call that connected', () => {
    for (const name of ['cold', 'after GOAWAY', 'server restart'] as const) {
      expect(phase(run, name).sessionsOpened).toBeGreaterThanOrEqual(1);
      expectConnectingRequestsStore(phase(run, name), 5); // a server-streaming call has 5
    }
  });

  it("warm, unary calls keep their store; whatever is wrong saw the session's store", () => {
    const warm = phase(run, 'warm');
    expect(warm.sessionsOpened).toBe(0);
    for (const name of ['unary callback', 'unary metadata', 'unary status']) {
      expect(
        warm.cells.find((cell) => cell.name === name),
        name,
      ).toMatchObject({ right: 8, seen: [] });
    }
    // Node 20 emits a stream's `end` after trailers in the session's context (the compat table shows it), and
    // grpc-js may report a call's status from that `end`: then status, end and close follow it.
    const [session] = new Set(phase(run, 'cold').cells.flatMap((cell) => cell.seen));
    expect(new Set(warm.cells.flatMap((cell) => cell.seen))).toEqual(new Set(warm.right < warm.total ? [session] : []));
  });
});
