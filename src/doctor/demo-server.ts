// `startDemoServer()`, public from `http2-async-context/doctor`: the loopback servers the doctor
// runs the client libraries against, so that trying a client (the README's examples) needs no
// server or certificate of one's own.
import { startClientScenarioServer } from './client-scenarios/client-server.js';
import { grpcService } from './client-scenarios/grpc-routes.js';
import { makeLoopbackCertificate } from './loopback-certificate.js';

/** Two HTTP/2 servers on 127.0.0.1, each on a free port: gRPC over h2c, and HTTPS. */
export interface DemoServer {
  /** `127.0.0.1:PORT`, for a gRPC client with insecure credentials (h2c). */
  readonly grpcTarget: string;
  /** The path of a unary gRPC method there that answers with the message it was sent. */
  readonly grpcEcho: string;
  /** `https://127.0.0.1:PORT`, HTTP/2 only: `GET /hello` answers `hello`, any other path 404. */
  readonly origin: string;
  /** The HTTPS server's self-signed certificate (PEM), made at start: what a client trusts as `ca`. */
  readonly ca: string;
  /** Closes both servers and every session still open on them. */
  close(): Promise<void>;
}

/**
 * Starts the demo servers. gRPC gets a server of its own over h2c because grpc-js on Bun and Deno
 * refuses a TLS server name that is an IP address; the certificate is made for this call only.
 *
 * @example
 * ```js
 * const demo = await startDemoServer();
 * const agent = new Agent({ allowH2: true, connect: { ca: demo.ca } }); // undici
 * await demo.close();
 * ```
 */
export async function startDemoServer(): Promise<DemoServer> {
  const { key, cert } = makeLoopbackCertificate();
  const [grpc, https] = await Promise.all([
    startClientScenarioServer(),
    startClientScenarioServer({ tls: { key, cert } }),
  ]);
  return {
    grpcTarget: grpc.authority,
    grpcEcho: `/${grpcService}/Unary`,
    origin: https.origin,
    ca: cert,
    close: async () => {
      await Promise.all([grpc.close(), https.close()]);
    },
  };
}
