import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => join(root, 'test/fixtures', name);

/** A fenced code block of the README: its language, its text, and the file it names on its first line. */
export interface CodeBlock {
  lang: string;
  text: string;
  file?: string;
}

export function readmeBlocks(): CodeBlock[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map(([, lang = '', text = '']) => {
    const named = /^\/\/ ([\w.-]+\.(?:mjs|js|ts))\n/.exec(text);
    return { lang, text, ...(named && { file: named[1] }) };
  });
}

/**
 * A fresh project, as a user's: the packed tarball installed with npm (offline; the package has no
 * dependencies), the client libraries and tracer the snippets import linked from this repository's
 * node_modules, and `type: module`. The tarball stands in for `npm install http2-async-context`,
 * which cannot reach a package that is not published yet.
 */
export function makeProject(tarball: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'h2ac-readme-'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "readme-app", "private": true, "type": "module" }\n');
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: dir, stdio: 'pipe' });
  // dd-trace 6 needs Node 22; on Node 20 a user has dd-trace 5, which the repository has as dd-trace5.
  const ddTrace = Number(process.versions.node.split('.')[0]) >= 22 ? 'dd-trace' : 'dd-trace5';
  const linked: Record<string, string> = {
    '@grpc/grpc-js': '@grpc/grpc-js',
    got: 'got',
    'http2-wrapper': 'http2-wrapper',
    undici: 'undici',
    'dd-trace': ddTrace,
    '@types/node': '@types/node',
  };
  for (const [name, from] of Object.entries(linked)) {
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
    symlinkSync(join(root, 'node_modules', from), join(dir, 'node_modules', name), 'dir');
  }
  return dir;
}

export function removeProject(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Trusts the test certificate where the snippets use TLS (Node); no update check for Deno. */
export const snippetEnvironment = {
  NODE_EXTRA_CA_CERTS: fixture('cert.pem'),
  DENO_NO_UPDATE_CHECK: '1',
};

const bytes = (text: string) => Buffer.from(text);

/** One gRPC message: the uncompressed flag, the length, the bytes. */
function grpcFrame(payload: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/** Any path: 200, `hello`, and a trailer, so that `end` follows trailers as it does for gRPC. */
function answerHttps(stream: http2.ServerHttp2Stream): void {
  stream.respond({ ':status': 200, 'content-type': 'text/plain' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'x-done': '1' }));
  stream.end(bytes('hello'));
}

/** Any gRPC method: echoes the request message, then status OK. */
function answerGrpc(stream: http2.ServerHttp2Stream): void {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(grpcFrame(Buffer.concat(chunks).subarray(5)));
  });
}

type Server = http2.Http2Server | http2.Http2SecureServer;

/**
 * The servers the snippets talk to, on the addresses they name: https://localhost:8443 (TLS,
 * the test certificate), http://localhost:8080 (h2c) and localhost:50051 (gRPC over h2c), on
 * 127.0.0.1 and, where the machine has it, ::1, since `localhost` may resolve to either.
 */
export async function startSnippetServers(): Promise<() => Promise<void>> {
  const tls = { key: readFileSync(fixture('key.pem')), cert: readFileSync(fixture('cert.pem')) };
  const servers: Server[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  for (const host of ['127.0.0.1', '::1']) {
    for (const [port, server, answer] of [
      [8443, http2.createSecureServer(tls), answerHttps],
      [8080, http2.createServer(), answerHttps],
      [50051, http2.createServer(), answerGrpc],
    ] as const) {
      server.on('stream', answer);
      server.on('session', (session) => {
        sessions.add(session);
        session.on('close', () => sessions.delete(session));
      });
      const listening = await new Promise<boolean>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) =>
          host === '::1' && error.code === 'EADDRNOTAVAIL' ? resolve(false) : reject(error),
        );
        server.listen(port, host, () => resolve(true));
      });
      if (listening) servers.push(server);
    }
  }
  return async () => {
    for (const session of sessions) session.destroy();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  };
}
