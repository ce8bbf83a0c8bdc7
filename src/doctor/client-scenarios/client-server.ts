import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { type Later, routeGrpc } from './grpc-routes.js';

const { NGHTTP2_NO_ERROR } = http2.constants;

/** How long a client that never ACKs the PING after a GOAWAY is given to have read the GOAWAY. */
const readGoawayMs = 50;

/** Key and certificate for TLS (what ALPN-only clients need); h2c when omitted. */
export interface ClientServerOptions {
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Milliseconds each response waits before its headers, so that requests started together overlap. Default 20. */
  delayMs?: number;
}

/**
 * A loopback server for real HTTP/2 clients: gRPC (hand-framed, no gRPC library) on
 * `/http2_async_context.doctor.Echo/*`, and `GET /hello` for plain HTTP clients.
 */
export interface ClientScenarioServer {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  readonly origin: string;
  /** `127.0.0.1:PORT`, the target a gRPC client is given. */
  readonly authority: string;
  /** Sessions accepted since start: shows whether a client opened a new one. */
  readonly sessionsOpened: number;
  /**
   * Sends a graceful GOAWAY (NO_ERROR, the last stream id the session has seen) to every live
   * session, so streams in flight finish and new ones need a new session. Resolves once those
   * sessions have closed, or after `waitMs` (default 1000) if a client keeps one open.
   */
  goaway(waitMs?: number): Promise<void>;
  /** Destroys every session and stops listening; `restart()` listens again on the same port. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
}

/**
 * Starts the client scenario server on `127.0.0.1`, port 0.
 *
 * @example
 * ```ts
 * const server = await startClientScenarioServer({ tls: { key, cert } });
 * await server.goaway(); // every client must open a new session now
 * await server.close();
 * ```
 */
export async function startClientScenarioServer(options: ClientServerOptions = {}): Promise<ClientScenarioServer> {
  const delayMs = options.delayMs ?? 20;
  const sessions = new Map<http2.Http2Session, number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let sessionsOpened = 0;
  const later: Later = (stream, fn) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stream.destroyed) fn();
    }, delayMs);
    timers.add(timer);
  };
  const listen = async (port: number) => {
    const server = options.tls ? http2.createSecureServer({ ...options.tls, allowHTTP1: false }) : http2.createServer();
    server.on('session', (session) => {
      sessionsOpened++;
      sessions.set(session, 0);
      session.on('close', () => sessions.delete(session));
      session.on('error', () => {});
    });
    server.on('stream', (stream, headers) => {
      // The last stream id a graceful GOAWAY lets finish.
      if (stream.session && sessions.has(stream.session)) sessions.set(stream.session, stream.id ?? 0);
      stream.on('error', () => {});
      answer(stream, headers, later);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return server;
  };
  let server: http2.Http2Server | http2.Http2SecureServer | undefined = await listen(0);
  const { port } = server.address() as AddressInfo;
  const stop = async () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    for (const session of sessions.keys()) session.destroy();
    const closing = server;
    server = undefined;
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  return {
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    authority: `127.0.0.1:${port}`,
    get sessionsOpened() {
      return sessionsOpened;
    },
    goaway: (waitMs = 1_000) => goawayAll(sessions, waitMs),
    stop,
    async restart() {
      server ??= await listen(port);
    },
    close: stop,
  };
}

function answer(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, later: Later): void {
  const path = String(headers[':path']);
  if (String(headers['content-type']).startsWith('application/grpc')) {
    routeGrpc(stream, path, later);
    return;
  }
  if (path === '/hello') {
    stream.resume();
    later(stream, () => {
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end('hello');
    });
    return;
  }
  stream.respond({ ':status': 404 });
  stream.end();
}

async function goawayAll(sessions: Map<http2.Http2Session, number>, waitMs: number): Promise<void> {
  const live = [...sessions].filter(([session]) => !session.destroyed);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
  });
  await Promise.race([Promise.all(live.map(([session, lastStreamId]) => drain(session, lastStreamId))), waited]);
  clearTimeout(timer);
}

/** Sends a graceful GOAWAY, waits until the client has read it, then closes once the streams are done. */
async function drain(session: http2.Http2Session, lastStreamId: number): Promise<void> {
  const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
  session.goaway(NGHTTP2_NO_ERROR, lastStreamId);
  // Proof the client has read the GOAWAY before the server closes: the ACK of a PING sent after
  // it. Without this, Bun 1.4.5's client saw the server's close before its own `goaway`, and took
  // requests started in between on the old session. Node's client never ACKs: it closes its
  // session as it reads the GOAWAY (and the server sees nothing until it closes too), hence the
  // fallback after `readGoawayMs`.
  await new Promise<void>((resolve) => {
    const fallback = setTimeout(resolve, readGoawayMs);
    const done = () => {
      clearTimeout(fallback);
      resolve();
    };
    if (!session.ping(done)) done();
  });
  // Ends the connection once its streams are done, as a draining server does. Without it a Node
  // 20.20 server keeps the connection after the client's side has ended.
  session.close();
  await closed;
}
