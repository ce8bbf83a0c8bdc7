// The benchmark's h2c server, run by run.mjs as a forked child on the machine's Node so that the
// client process measures only its own CPU. Sends { origin } over IPC once listening, and exits
// when the parent goes away (IPC disconnect), or after MAX_LIFETIME_MS whatever happens.
import http2 from 'node:http2';

// A safety net only: counting instructions (`--instructions`) can take hours on two cores.
const MAX_LIFETIME_MS = 6 * 60 * 60_000;
const CHUNK = 16 * 1024;
const KIB = Buffer.alloc(1024, 'a');
const STREAM_CHUNK = Buffer.alloc(CHUNK, 'b');

/** Streams parked by `/hold`, per batch id, until `/release` ends them. */
const held = new Map();

/** One gRPC message: a flag byte (not compressed), the length, the bytes. */
function grpcFrame(message) {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

const routes = {
  // gRPC unary echo, framed by hand: headers, the request's message back, then trailers.
  '/bench.Echo/Unary': (stream) => {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(grpcFrame(Buffer.concat(chunks).subarray(5)));
    });
  },
  '/1k': (stream) => {
    stream.respond({ ':status': 200 });
    stream.end(KIB);
  },
  '/stream': (stream, query) => {
    const total = Number(query.get('bytes'));
    stream.respond({ ':status': 200 });
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += CHUNK;
        if (!stream.write(STREAM_CHUNK)) return stream.once('drain', pump);
      }
      stream.end();
    };
    pump();
  },
  // Answers every stream of a batch with headers once `n` of them are open at the same time.
  '/hold': (stream, query) => {
    const batch = query.get('batch');
    const streams = held.get(batch) ?? [];
    held.set(batch, streams);
    streams.push(stream);
    if (streams.length === Number(query.get('n'))) for (const s of streams) s.respond({ ':status': 200 });
  },
  '/release': (stream, query) => {
    const batch = query.get('batch');
    for (const s of held.get(batch) ?? []) if (!s.closed) s.end(KIB);
    held.delete(batch);
    stream.respond({ ':status': 204 });
    stream.end();
  },
};

const server = http2.createServer({
  settings: { maxConcurrentStreams: 100_000 },
  maxSessionMemory: 1000,
});
server.on('session', (session) => session.on('error', () => {}));
server.on('stream', (stream, headers) => {
  stream.on('error', () => {});
  const url = new URL(String(headers[':path']), 'http://x');
  const route = routes[url.pathname];
  if (route) return route(stream, url.searchParams);
  stream.respond({ ':status': 404 });
  stream.end();
});
server.listen(0, '127.0.0.1', () => {
  process.send({ origin: `http://127.0.0.1:${server.address().port}` });
});

process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), MAX_LIFETIME_MS).unref();
