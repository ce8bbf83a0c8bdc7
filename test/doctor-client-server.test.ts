import http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGrpcMessage, GrpcMessageReader } from '../dist/esm/doctor/client-scenarios/grpc-framing.js';
import { type ClientScenarioServer, grpcService, startClientScenarioServer } from '../dist/esm/doctor/internals.js';
import { tls } from './helpers/clients.js';
import { once } from './helpers/h2.js';

/** A raw client request; resolves with the response headers, the body and the trailers. */
async function exchange(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer) {
  const stream = session.request(headers, { endStream: body === undefined });
  if (body !== undefined) stream.end(body);
  const chunks: Buffer[] = [];
  let trailers: http2.IncomingHttpHeaders = {};
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('trailers', (received: http2.IncomingHttpHeaders) => {
    trailers = received;
  });
  const [response] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
  await once(stream, 'close');
  return { response, body: Buffer.concat(chunks), trailers, id: stream.id };
}

const grpcHeaders = (method: string) => ({
  ':method': 'POST',
  ':path': `/${grpcService}/${method}`,
  'content-type': 'application/grpc',
  te: 'trailers',
});
const messages = (body: Buffer) => new GrpcMessageReader().push(body).map(String);

describe.each([
  { name: 'h2c', server: {}, client: {} },
  { name: 'TLS', server: { tls }, client: { ca: tls.cert, servername: 'localhost' } },
])('the client scenario server over $name', ({ server: serverOptions, client: clientOptions }) => {
  let server: ClientScenarioServer;
  const sessions: http2.ClientHttp2Session[] = [];
  const connect = () => {
    const session = http2.connect(server.origin, clientOptions);
    session.on('error', () => {});
    sessions.push(session);
    return session;
  };
  beforeAll(async () => {
    server = await startClientScenarioServer({ ...serverOptions, delayMs: 5 });
  });
  afterAll(async () => {
    for (const session of sessions) session.destroy();
    await server.close();
  });

  it('answers gRPC unary and server-streaming calls in gRPC framing, with grpc-status trailers', async () => {
    const session = connect();
    const unary = await exchange(session, grpcHeaders('Unary'), encodeGrpcMessage(Buffer.from('ping')));
    expect(unary.response).toMatchObject({ ':status': 200, 'content-type': 'application/grpc' });
    expect([messages(unary.body), unary.trailers['grpc-status']]).toEqual([['ping'], '0']);
    const streamed = await exchange(session, grpcHeaders('ServerStream'), encodeGrpcMessage(Buffer.from('s')));
    expect([messages(streamed.body), streamed.trailers['grpc-status']]).toEqual([['s:0', 's:1', 's:2'], '0']);
    const unknown = await exchange(session, grpcHeaders('Nope'), Buffer.alloc(0));
    expect(unknown.response).toMatchObject({ 'grpc-status': '12' });
  });

  it('answers GET /hello after its delay, and 404 elsewhere', async () => {
    const session = connect();
    expect(String((await exchange(session, { ':path': '/hello' })).body)).toBe('hello');
    expect((await exchange(session, { ':path': '/elsewhere' })).response[':status']).toBe(404);
  });

  it('a graceful GOAWAY names the last stream, lets it finish, and the next request needs a new session', async () => {
    const session = connect();
    const goaway = once(session, 'goaway');
    // A bidi call whose response has started: the server has seen it, and the client still sends.
    const bidi = session.request(grpcHeaders('Bidi'), { endStream: false });
    const echoed: Buffer[] = [];
    bidi.on('data', (chunk: Buffer) => echoed.push(chunk));
    const closed = once(bidi, 'close');
    await once(bidi, 'response');
    const opened = server.sessionsOpened;
    // goaway() resolves once the session has closed, so after the stream has.
    await Promise.all([server.goaway(), bidi.end(encodeGrpcMessage(Buffer.from('after goaway'))), closed]);
    const [code, lastStreamID] = (await goaway) as [number, number];
    expect([code, lastStreamID, messages(Buffer.concat(echoed)), bidi.rstCode]).toEqual([
      0,
      bidi.id,
      ['after goaway'],
      0,
    ]);
    expect(session.closed).toBe(true);
    await exchange(connect(), { ':path': '/hello' });
    expect(server.sessionsOpened).toBe(opened + 1);
  });

  it('stops, refuses connections while stopped, and restarts on the same port', async () => {
    await server.stop();
    const refused = connect();
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    await server.restart();
    await server.restart(); // already listening: nothing to do
    expect(String((await exchange(connect(), { ':path': '/hello' })).body)).toBe('hello');
  });
});

describe('gRPC message framing', () => {
  it('reads messages split across chunks, and two messages from one chunk', () => {
    const reader = new GrpcMessageReader();
    const framed = Buffer.concat([encodeGrpcMessage(Buffer.from('one')), encodeGrpcMessage(Buffer.from('two'))]);
    expect(reader.push(framed.subarray(0, 3))).toEqual([]);
    expect(reader.push(framed.subarray(3, 10)).map(String)).toEqual(['one']);
    expect(reader.push(framed.subarray(10)).map(String)).toEqual(['two']);
    expect(reader.push(framed)).toHaveLength(2);
  });
});
