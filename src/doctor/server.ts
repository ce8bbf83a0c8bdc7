import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

const { NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR } = http2.constants;

/** A loopback HTTP/2 server whose paths each make one client-side event happen for real. */
export interface ScenarioServer {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  readonly origin: string;
  /** Closes every session the server holds, then the server. */
  close(): Promise<void>;
}

/** Key and certificate for the TLS variant; h2c when omitted. */
export interface ScenarioServerOptions {
  tls?: { key: string | Buffer; cert: string | Buffer };
}

type Route = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

/** Each path names what the client should observe. Unknown paths answer 404. */
const routes: Record<string, Route> = {
  '/plain': (stream) => {
    stream.respond({ ':status': 200 });
    stream.end('hello');
  },
  '/trailers': (stream) => {
    stream.respond({ ':status': 200 }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'abc' }));
    stream.end('body');
  },
  '/early-hints': (stream) => {
    stream.additionalHeaders({ ':status': 103, link: '</app.css>; rel=preload; as=style' });
    stream.respond({ ':status': 200 });
    stream.end('hinted');
  },
  '/continue': (stream) => {
    stream.additionalHeaders({ ':status': 100 });
    stream.resume();
    stream.on('end', () => {
      stream.respond({ ':status': 200 });
      stream.end('continued');
    });
  },
  '/rst': (stream) => {
    // The client keeps its upload open: `aborted` only fires while its writable side is open.
    stream.respond({ ':status': 200 });
    stream.write('partial');
    stream.close(NGHTTP2_INTERNAL_ERROR);
  },
  '/push': (stream) => {
    stream.pushStream({ ':path': '/pushed' }, (error, pushed) => {
      if (error) return stream.destroy(error);
      pushed.respond({ ':status': 200 });
      pushed.end('pushed');
      stream.respond({ ':status': 200 });
      stream.end('with push');
    });
  },
  '/hang': (stream) => {
    stream.respond({ ':status': 200 });
    stream.write('started');
  },
  '/upload': (stream) => {
    stream.resume();
    stream.on('end', () => {
      stream.respond({ ':status': 200 });
      stream.end('uploaded');
    });
  },
  '/graceful': (stream) => {
    // Close the session gracefully (GOAWAY, no error) while the client is still uploading.
    stream.session?.close();
    stream.resume();
    stream.on('end', () => {
      stream.respond({ ':status': 200 });
      stream.end('finished after close');
    });
  },
  '/goaway': (stream) => {
    // Refuse every stream after this one, then finish this one normally.
    stream.session?.goaway(NGHTTP2_NO_ERROR, stream.id);
    stream.respond({ ':status': 200 });
    stream.end('last');
  },
};

/**
 * Starts the scenario server on `127.0.0.1`, port 0.
 *
 * @example
 * ```ts
 * const server = await startScenarioServer();
 * // ... http2.connect(server.origin) ...
 * await server.close();
 * ```
 */
export async function startScenarioServer(options: ScenarioServerOptions = {}): Promise<ScenarioServer> {
  const server = options.tls ? http2.createSecureServer({ ...options.tls, allowHTTP1: false }) : http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => {});
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const route = routes[String(headers[':path']).split('?')[0] as string];
    if (route) return route(stream, headers);
    stream.respond({ ':status': 404 });
    stream.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}
