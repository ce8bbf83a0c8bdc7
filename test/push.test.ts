import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { connect, wrapSession } from '../dist/esm/index.js';
import { als, once, recordScopes, requestIn, transports, useServer } from './helpers/h2.js';

const pushedEvents = ['push', 'data', 'end', 'close'];

describe.each(transports)('server push over $name', (transport) => {
  const server = useServer(transport);

  it("every event of a pushed stream runs in the session's connect-time scope", async () => {
    const session = server.connect(connect, 'session');
    const pushed = once(session, 'stream').then(([stream]) => {
      const pushedStream = stream as http2.ClientHttp2Stream;
      pushedStream.resume();
      return { seen: recordScopes(pushedStream, pushedEvents), closed: once(pushedStream, 'close') };
    });
    const { seen, closed } = requestIn(session, 'request', { ':path': '/push' }, ['response', 'end']);
    const push = await pushed;
    await Promise.all([closed, push.closed]);
    expect(Object.fromEntries(push.seen)).toEqual(Object.fromEntries(pushedEvents.map((event) => [event, ['session']])));
    expect(Object.fromEntries(seen)).toEqual({ response: ['request'], end: ['request'] });
  });

  it('a session wrapped with wrapSession() scopes pushes to where it was wrapped', async () => {
    const session = als.run('wrapped-here', () => wrapSession(server.connect(http2.connect, undefined)));
    const pushed = once(session, 'stream').then(([stream]) => {
      const pushedStream = stream as http2.ClientHttp2Stream;
      pushedStream.resume();
      return { seen: recordScopes(pushedStream, ['data', 'end']), closed: once(pushedStream, 'close') };
    });
    requestIn(session, 'request', { ':path': '/push' }, []);
    const push = await pushed;
    await push.closed;
    expect(Object.fromEntries(push.seen)).toEqual({ data: ['wrapped-here'], end: ['wrapped-here'] });
  });
});
