import type { EventEmitter } from 'node:events';
import {
  allFired,
  type ClientAdapter,
  type ClientPhase,
  type ClientTarget,
  member,
  type OpenedClient,
} from './adapter.js';
import type { RequestProbe } from './callback-log.js';
import { grpcService } from './grpc-routes.js';

type Callback = (error: Error | null, reply?: Buffer) => void;
/** A `grpc.Metadata`; grpc-js reads `waitForReady` from its options, not from the call options. */
type Metadata = object;
type MetadataConstructor = new (options?: { waitForReady?: boolean }) => Metadata;
interface WritableCall extends EventEmitter {
  write(message: Buffer): boolean;
  end(): void;
}
/** The generated client, as far as the adapter calls it (one method per service method). */
interface EchoClient {
  Unary(message: Buffer, metadata: Metadata, callback: Callback): EventEmitter;
  ServerStream(message: Buffer, metadata: Metadata): EventEmitter;
  Fail(message: Buffer, metadata: Metadata): EventEmitter;
  ClientStream(metadata: Metadata, callback: Callback): WritableCall;
  Bidi(metadata: Metadata): WritableCall;
  getChannel(): Channel;
  close(): void;
}
interface Channel {
  getConnectivityState(tryToConnect: boolean): number;
  watchConnectivityState(currentState: number, deadline: number, callback: (error?: Error) => void): void;
}
type EchoClientConstructor = new (
  address: string,
  credentials: unknown,
  options: Record<string, unknown>,
) => EchoClient;
interface Credentials {
  createInsecure(): unknown;
  createSsl(rootCerts?: Buffer): unknown;
}

const identity = (buffer: Buffer) => buffer;

/** A method definition with Buffer (de)serializers: no protobuf, nothing to generate. */
function method(name: string, requestStream: boolean, responseStream: boolean) {
  return {
    path: `/${grpcService}/${name}`,
    requestStream,
    responseStream,
    originalName: name,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

const echoService = {
  Unary: method('Unary', false, false),
  ServerStream: method('ServerStream', false, true),
  Fail: method('Fail', false, true),
  ClientStream: method('ClientStream', true, false),
  Bidi: method('Bidi', true, true),
};

/** Channel options for a client that starts cold and reconnects fast. */
const channelOptions = {
  // Subchannels are otherwise shared process-wide by address: a "fresh" client would reuse a session.
  'grpc.use_local_subchannel_pool': 1,
  // Default backoff is 1 s and up; the restart phase brings the server back after ~150 ms.
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 300,
};

type Starter = (client: EchoClient, probe: RequestProbe, metadata: Metadata) => Promise<void>;

const starters: Record<string, Starter> = {
  unary(client, probe, metadata) {
    const call = client.Unary(
      Buffer.from(probe.store),
      metadata,
      probe.wrap('unary callback', () => {}),
    );
    probe.listen(call, 'unary', ['metadata', 'status']);
    return allFired((event, fn) => call.once(event, fn), ['status']);
  },
  'server-streaming'(client, probe, metadata) {
    const call = client.ServerStream(Buffer.from(probe.store), metadata);
    probe.listen(call, 'server-streaming', ['metadata', 'data', 'status', 'end', 'close', 'error']);
    return allFired((event, fn) => call.once(event, fn), ['status', 'close']);
  },
  failing(client, probe, metadata) {
    const call = client.Fail(Buffer.from(probe.store), metadata);
    probe.listen(call, 'failing', ['metadata', 'data', 'error', 'status', 'close']);
    return allFired((event, fn) => call.once(event, fn), ['status', 'close']);
  },
  'client-streaming'(client, probe, metadata) {
    return new Promise<void>((resolve) => {
      const call = client.ClientStream(
        metadata,
        probe.wrap('client-streaming callback', () => resolve()),
      );
      call.write(Buffer.from(probe.store));
      call.write(Buffer.from(probe.store));
      call.end();
    });
  },
  bidi(client, probe, metadata) {
    const call = client.Bidi(metadata);
    probe.listen(call, 'bidi', ['data', 'status', 'end', 'error']);
    call.write(Buffer.from(probe.store));
    call.end();
    return allFired((event, fn) => call.once(event, fn), ['status', 'close']);
  },
};

/**
 * @grpc/grpc-js (tested 1.8.22 and 1.14.7), given its module object. Clients come from
 * `makeGenericClientConstructor` with Buffer (de)serializers; h2c, or TLS when a CA is given.
 * In `server restart`, calls are started with `waitForReady: true` while the server is down.
 *
 * @example
 * ```ts
 * import * as grpc from '@grpc/grpc-js';
 * const run = await runClientScenarios(grpcJsAdapter(grpc));
 * ```
 */
export function grpcJsAdapter(grpc: unknown): ClientAdapter {
  const makeClient = member<(service: typeof echoService, name: string) => EchoClientConstructor>(
    grpc,
    'makeGenericClientConstructor',
    'grpc-js',
  );
  const credentials = member<Credentials>(grpc, 'credentials', 'grpc-js');
  const GrpcMetadata = member<MetadataConstructor>(grpc, 'Metadata', 'grpc-js');
  return {
    client: 'grpc-js',
    h2c: true,
    kinds: [
      { name: 'unary', callbacks: ['unary callback', 'unary metadata', 'unary status'] },
      {
        name: 'server-streaming',
        callbacks: ['metadata', 'data', 'status', 'end', 'close', 'error?'].map((name) => `server-streaming ${name}`),
      },
      { name: 'failing', callbacks: ['metadata', 'data', 'error', 'status', 'close'].map((name) => `failing ${name}`) },
      { name: 'client-streaming', callbacks: ['client-streaming callback'] },
      { name: 'bidi', callbacks: ['bidi data', 'bidi status', 'bidi end', 'bidi error?'] },
    ],
    phases: ['cold', 'warm', 'after GOAWAY', 'server restart'],
    helperHooks: ['grpcInterceptors'],
    open(target: ClientTarget): OpenedClient {
      const EchoClient = makeClient(echoService, 'Echo');
      const channelCredentials = target.ca
        ? credentials.createSsl(Buffer.from(target.ca))
        : credentials.createInsecure();
      const client = new EchoClient(target.authority, channelCredentials, {
        ...channelOptions,
        // Checked against the certificate's DNS name: an IP in TLS SNI is not allowed (Node warns, DEP0123).
        ...(target.ca && { 'grpc.ssl_target_name_override': 'localhost' }),
        ...(target.helpers.grpcInterceptors && { interceptors: [...target.helpers.grpcInterceptors] }),
      });
      return {
        start: (kind: string, probe: RequestProbe, phase: ClientPhase) =>
          (starters[kind] as Starter)(client, probe, new GrpcMetadata({ waitForReady: phase === 'server restart' })),
        serverStopped: (deadlineMs: number) => leftReady(client.getChannel(), Date.now() + deadlineMs),
        close: async () => client.close(),
      };
    },
  };
}

/** grpc-js `ConnectivityState.READY`. */
const READY = 2;

/** Resolves once the channel is no longer READY (its transport saw the server go), or at `deadline`. */
function leftReady(channel: Channel, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const state = channel.getConnectivityState(false);
      if (state !== READY) return resolve();
      channel.watchConnectivityState(state, deadline, (error) => (error ? resolve() : check()));
    };
    check();
  });
}
