import http2 from 'node:http2';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { connect } from '../dist/esm/index.js';
import { als, once, requestIn, transports, useServer } from './helpers/h2.js';

const { NGHTTP2_REFUSED_STREAM } = http2.constants;

describe.each(transports)('session teardown over $name', (transport) => {
  const server = useServer(transport);

  it("streams refused by a GOAWAY get error and close in their own scope, with the GOAWAY's code", async () => {
    const session = server.connect(connect, 'session');
    const goaway = once(session, 'goaway');
    const last = requestIn(session, 'last', { ':path': '/goaway' }, ['response', 'end', 'close']);
    const refused = ['refused-1', 'refused-2'].map((id) =>
      requestIn(session, id, { ':path': '/hang' }, ['error', 'close']),
    );
    const errors = refused.map(({ stream }) => once(stream, 'error'));
    const [code, lastStreamID] = await goaway;
    await Promise.all([last.closed, ...refused.map((request) => request.closed)]);
    expect([code, lastStreamID]).toEqual([http2.constants.NGHTTP2_NO_ERROR, last.stream.id]);
    expect(Object.fromEntries(last.seen)).toEqual({ response: ['last'], end: ['last'], close: ['last'] });
    for (const [i, request] of refused.entries()) {
      const [error] = await errors[i]!;
      expect((error as NodeJS.ErrnoException).code).toBe('ERR_HTTP2_STREAM_ERROR');
      expect(request.stream.rstCode).toBe(NGHTTP2_REFUSED_STREAM);
      expect(Object.fromEntries(request.seen)).toEqual({ error: [`refused-${i + 1}`], close: [`refused-${i + 1}`] });
    }
  });

  it('a socket destroyed mid-stream from another scope closes the stream in its own', async () => {
    let socket: Duplex | undefined;
    const session = server.connect(connect, 'session', {
      createConnection: (authority) => {
        const port = Number(authority.port);
        socket =
          transport.name === 'TLS'
            ? tls.connect({ port, host: '127.0.0.1', ALPNProtocols: ['h2'], ...transport.client })
            : net.connect(port, '127.0.0.1');
        return socket;
      },
    });
    session.on('error', () => {});
    const { stream, seen, closed } = requestIn(session, 'request', { ':path': '/hang' }, ['response', 'data', 'close']);
    await once(stream, 'data');
    als.run('teardown', () => socket!.destroy());
    await closed;
    expect(Object.fromEntries(seen)).toEqual({ response: ['request'], data: ['request'], close: ['request'] });
  });

  it('session.destroy() from another scope closes the stream in its own', async () => {
    const session = server.connect(connect, 'session');
    session.on('error', () => {});
    const { stream, seen, closed } = requestIn(session, 'request', { ':path': '/hang' }, ['error', 'close']);
    await once(stream, 'response');
    als.run('teardown', () => session.destroy(new Error('going away')));
    await closed;
    expect(Object.fromEntries(seen)).toEqual({ error: ['request'], close: ['request'] });
  });

  it('a graceful server close lets an uploading request finish in its scope; a later request fails at once', async () => {
    const session = server.connect(connect, 'session');
    const { stream, seen, closed } = requestIn(
      session,
      'uploading',
      { ':path': '/graceful', ':method': 'POST' },
      ['response', 'end', 'close'],
      { endStream: false },
    );
    stream.write('part one');
    await once(session, 'goaway');
    expect(() => als.run('late', () => session.request({ ':path': '/plain' }))).toThrow(
      expect.objectContaining({ code: 'ERR_HTTP2_GOAWAY_SESSION' }),
    );
    stream.end('part two');
    await closed;
    expect(Object.fromEntries(seen)).toEqual({ response: ['uploading'], end: ['uploading'], close: ['uploading'] });
  });
});
