import type * as http2 from 'node:http2';
import { encodeGrpcMessage, GrpcMessageReader } from './grpc-framing.js';

/** The service every client scenario calls; its methods echo what they are sent. */
export const grpcService = 'http2_async_context.doctor.Echo';

/** Runs `fn` after the server's response delay, unless the stream has gone by then. */
export type Later = (stream: http2.ServerHttp2Stream, fn: () => void) => void;

type GrpcMethod = (stream: http2.ServerHttp2Stream, later: Later) => void;

/** Collects every message of a request stream and hands them over once the client half-closes. */
function readAll(stream: http2.ServerHttp2Stream, done: (messages: Buffer[]) => void): void {
  const reader = new GrpcMessageReader();
  const messages: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => messages.push(...reader.push(chunk)));
  stream.on('end', () => done(messages));
}

/** Sends response headers now and `grpc-status: 0` trailers once the body has been written. */
function respondOk(stream: http2.ServerHttp2Stream): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
}

/** One message, then `grpc-status: 13` trailers: a call that fails after it started answering. */
function failAfterOne(stream: http2.ServerHttp2Stream, reply: string): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '13', 'grpc-message': 'failing on purpose' }));
  stream.end(encodeGrpcMessage(Buffer.from(reply)));
}

function sendAll(stream: http2.ServerHttp2Stream, replies: readonly string[]): void {
  respondOk(stream);
  for (const reply of replies) stream.write(encodeGrpcMessage(Buffer.from(reply)));
  stream.end();
}

const methods: Record<string, GrpcMethod> = {
  Unary: (stream, later) => readAll(stream, ([request]) => later(stream, () => sendAll(stream, [String(request)]))),
  // A few messages, so that `data` fires more than once per call.
  ServerStream: (stream, later) =>
    readAll(stream, ([request]) =>
      later(stream, () =>
        sendAll(
          stream,
          [0, 1, 2].map((i) => `${request}:${i}`),
        ),
      ),
    ),
  Fail: (stream, later) => readAll(stream, ([request]) => later(stream, () => failAfterOne(stream, String(request)))),
  ClientStream: (stream, later) =>
    readAll(stream, (requests) => later(stream, () => sendAll(stream, [requests.map(String).join('+')]))),
  Bidi: (stream, later) => {
    const reader = new GrpcMessageReader();
    later(stream, () => {
      respondOk(stream);
      // Echoes each message as it arrives; the response ends when the client's side does.
      stream.on('data', (chunk: Buffer) => {
        for (const message of reader.push(chunk)) stream.write(encodeGrpcMessage(message));
      });
      stream.on('end', () => stream.end());
    });
  },
};

/** Answers a gRPC request at `path` (`/<service>/<method>`), or a trailers-only UNIMPLEMENTED. */
export function routeGrpc(stream: http2.ServerHttp2Stream, path: string, later: Later): void {
  const method = path.startsWith(`/${grpcService}/`) ? methods[path.slice(grpcService.length + 2)] : undefined;
  if (method) {
    method(stream, later);
    return;
  }
  stream.respond(
    { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': `no method ${path}` },
    { endStream: true },
  );
}
