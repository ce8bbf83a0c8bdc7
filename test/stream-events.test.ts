import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { connect } from '../dist/esm/index.js';
import { als, once, requestIn, transports, useServer } from './helpers/h2.js';

const { NGHTTP2_INTERNAL_ERROR } = http2.constants;

describe.each(transports)('stream events over $name', (transport) => {
  const server = useServer(transport);

  it('response, data, end and close run in the request scope', async () => {
    const session = server.connect(connect, 'session');
    const { seen, closed } = requestIn(session, 'request', { ':path': '/plain' }, ['response', 'data', 'end', 'close']);
    await closed;
    expect(Object.fromEntries(seen)).toEqual({
      response: ['request'],
      data: ['request'],
      end: ['request'],
      close: ['request'],
    });
  });

  it('end after trailers runs in the request scope', async () => {
    const session = server.connect(connect, 'session');
    const { seen, closed } = requestIn(session, 'request', { ':path': '/trailers' }, ['trailers', 'end']);
    await closed;
    expect(seen.get('trailers')).toEqual(['request']);
    expect(seen.get('end')).toEqual(['request']);
  });

  it('103 early hints arrive as headers in the request scope, then the response', async () => {
    const session = server.connect(connect, 'session');
    const { stream, seen, closed } = requestIn(session, 'request', { ':path': '/early-hints' }, [
      'headers',
      'response',
    ]);
    const statuses: unknown[] = [];
    stream.on('headers', (headers) => statuses.push(headers[':status']));
    await closed;
    expect(statuses).toEqual([103]);
    expect(seen.get('headers')).toEqual(['request']);
    expect(seen.get('response')).toEqual(['request']);
  });

  it('aborted and error after RST_STREAM mid-response run in the request scope', async () => {
    const session = server.connect(connect, 'session');
    const { stream, seen, closed } = requestIn(
      session,
      'request',
      { ':path': '/rst', ':method': 'POST' },
      ['response', 'aborted', 'error', 'close'],
      { endStream: false },
    );
    const [error] = await once(stream, 'error');
    await closed;
    expect((error as NodeJS.ErrnoException).code).toBe('ERR_HTTP2_STREAM_ERROR');
    expect(stream.rstCode).toBe(NGHTTP2_INTERNAL_ERROR);
    expect(Object.fromEntries(seen)).toEqual({
      response: ['request'],
      aborted: ['request'],
      error: ['request'],
      close: ['request'],
    });
  });

  it('wantTrailers runs in the request scope and its trailers reach the server', async () => {
    const session = server.connect(connect, 'session');
    const { stream, seen, closed } = requestIn(
      session,
      'request',
      { ':path': '/upload', ':method': 'POST' },
      ['wantTrailers', 'response', 'end'],
      { endStream: false, waitForTrailers: true },
    );
    stream.on('wantTrailers', () => stream.sendTrailers({ 'x-upload-checksum': '42' }));
    stream.end('payload');
    stream.resume();
    await closed;
    expect(Object.fromEntries(seen)).toEqual({ wantTrailers: ['request'], response: ['request'], end: ['request'] });
  });

  it('timeout runs in the request scope', async () => {
    const session = server.connect(connect, 'session');
    const { stream, seen, closed } = requestIn(session, 'request', { ':path': '/hang' }, ['timeout', 'close']);
    stream.setTimeout(30, () => stream.close());
    await closed;
    expect(seen.get('timeout')).toEqual(['request']);
    expect(seen.get('close')).toEqual(['request']);
  });

  it('frameError for an oversized header block runs in the request scope', async () => {
    const session = server.connect(connect, 'session', { maxSendHeaderBlockLength: 100 });
    const { stream, seen, closed } = requestIn(session, 'request', { ':path': '/plain', 'x-big': 'a'.repeat(2000) }, [
      'frameError',
      'error',
      'close',
    ]);
    const [type, code, id] = await once(stream, 'frameError');
    await closed;
    const HEADERS_FRAME = 1; // RFC 9113 §6.2; node:http2 exports no constant for frame types
    expect([type, code, id]).toEqual([HEADERS_FRAME, expect.any(Number), stream.id]);
    expect(Object.fromEntries(seen)).toEqual({ frameError: ['request'], error: ['request'], close: ['request'] });
  });

  it('a request issued before connect keeps its own scope, ready included', async () => {
    const session = server.connect(connect, 'session');
    expect(session.connecting).toBe(true);
    const { seen, closed } = requestIn(session, 'early', { ':path': '/plain' }, [
      'ready',
      'response',
      'data',
      'end',
      'close',
    ]);
    await closed;
    expect(Object.fromEntries(seen)).toEqual({
      ready: ['early'],
      response: ['early'],
      data: ['early'],
      end: ['early'],
      close: ['early'],
    });
  });

  it('listeners see no store when connect ran inside one and request outside any', async () => {
    const session = server.connect(connect, 'session');
    const { seen, closed } = requestIn(session, undefined, { ':path': '/trailers' }, [
      'response',
      'trailers',
      'end',
      'close',
    ]);
    await closed;
    expect(Object.fromEntries(seen)).toEqual({
      response: [undefined],
      trailers: [undefined],
      end: [undefined],
      close: [undefined],
    });
  });

  it('two requests in two stores on a session from a third keep apart (after node test-http2-async-local-storage)', async () => {
    const session = server.connect(connect, 'session');
    const events = ['response', 'data', 'trailers', 'end', 'close'];
    const first = requestIn(session, 'first', { ':path': '/trailers' }, events);
    const second = requestIn(session, 'second', { ':path': '/trailers' }, events);
    await Promise.all([first.closed, second.closed]);
    const expected = (id: string) => Object.fromEntries(events.map((event) => [event, [id]]));
    expect(Object.fromEntries(first.seen)).toEqual(expected('first'));
    expect(Object.fromEntries(second.seen)).toEqual(expected('second'));
    expect(als.getStore()).toBeUndefined();
  });

  it('100 concurrent requests in distinct stores on one session each see their own', async () => {
    const session = server.connect(connect, 'session');
    const requests = Array.from({ length: 100 }, (_, i) =>
      requestIn(session, `request-${i}`, { ':path': i % 2 ? '/trailers' : '/plain' }, [
        'response',
        'data',
        'end',
        'close',
      ]),
    );
    await Promise.all(requests.map((request) => request.closed));
    requests.forEach(({ seen }, i) => {
      for (const event of ['response', 'data', 'end', 'close'])
        expect(seen.get(event), event).toEqual([`request-${i}`]);
    });
  });

  it('newListener and removeListener run where the listener is added or removed, as natively', async () => {
    const scopes = (connectFn: typeof http2.connect) => {
      const session = server.connect(connectFn, 'session');
      const { stream, closed } = requestIn(session, 'request', { ':path': '/plain' }, []);
      const seen: Array<[string, string | undefined]> = [];
      const listener = () => seen.push(['end', als.getStore()]);
      stream.on('newListener', (_: string, added: unknown) => {
        if (added === listener) seen.push(['newListener', als.getStore()]);
      });
      stream.on('removeListener', (_: string, removed: unknown) => {
        if (removed === listener) seen.push(['removeListener', als.getStore()]);
      });
      als.run('adder', () => stream.on('end', listener));
      return closed.then(() => {
        als.run('remover', () => stream.off('end', listener));
        return seen;
      });
    };
    const expected = [
      ['newListener', 'adder'],
      ['end', 'request'],
      ['removeListener', 'remover'],
    ];
    expect(await scopes(connect)).toEqual(expected);
    // Natively `end` also sees the scope here, since it follows `data` in the same tick; only the
    // two bookkeeping events are compared with native.
    expect((await scopes(http2.connect)).filter(([event]) => event !== 'end')).toEqual(
      expected.filter(([event]) => event !== 'end'),
    );
  });
});
