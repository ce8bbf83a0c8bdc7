import { once } from 'node:events';
import http2 from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../dist/esm/doctor.js';
import { requireClient } from './helpers/clients.js';

type Grpc = typeof import('@grpc/grpc-js');
const grpc = requireClient('@grpc/grpc-js') as Grpc;
const bytes = (buffer: Buffer) => buffer;

/** One GET over HTTP/2, resolving the status and body; a refused certificate rejects with the session's error. */
async function get(url: string, options: http2.SecureClientSessionOptions): Promise<[number, string]> {
  const session = http2.connect(new URL(url).origin, options);
  let sessionError: Error | undefined;
  session.on('error', (error: Error) => {
    sessionError = error;
  });
  try {
    const stream = session.request({ ':path': new URL(url).pathname }).end();
    stream.setEncoding('utf8');
    let body = '';
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    // A failed session cancels the stream: the session's error says why.
    const [headers] = (await once(stream, 'response').catch((error: unknown) => {
      throw sessionError ?? error;
    })) as [http2.IncomingHttpHeaders];
    await once(stream, 'end');
    return [Number(headers[':status']), body];
  } finally {
    session.destroy();
  }
}

/** Whether something accepts a TCP connection at `127.0.0.1:port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('startDemoServer', () => {
  let demo: DemoServer;
  beforeAll(async () => {
    demo = await startDemoServer();
  });
  afterAll(() => demo.close());

  it('serves a unary gRPC echo over h2c at grpcTarget, for a grpc-js client with insecure credentials', async () => {
    expect(demo.grpcTarget).toMatch(/^127\.0\.0\.1:\d+$/);
    const client = new grpc.Client(demo.grpcTarget, grpc.credentials.createInsecure());
    try {
      const reply = await new Promise<Buffer>((resolve, reject) =>
        client.makeUnaryRequest(demo.grpcEcho, bytes, bytes, Buffer.from('ping'), (error, value) =>
          error ? reject(error) : resolve(value!),
        ),
      );
      expect(reply.toString()).toBe('ping');
    } finally {
      client.close();
    }
  });

  it('serves GET /hello over HTTPS to a client that trusts ca, and its certificate to no other', async () => {
    expect(demo.origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(`${demo.origin}/hello`, { ca: demo.ca })).toEqual([200, 'hello']);
    await expect(get(`${demo.origin}/hello`, {})).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  it('close() stops both servers', async () => {
    const other = await startDemoServer();
    const ports = [other.grpcTarget, other.origin].map((address) => Number(address.split(':').pop()));
    expect(await Promise.all(ports.map(listening))).toEqual([true, true]);
    await other.close();
    expect(await Promise.all(ports.map(listening))).toEqual([false, false]);
  });
});
