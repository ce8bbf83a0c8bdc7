import { createHook } from 'node:async_hooks';
import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { connect, wrapSession } from '../dist/esm/index.js';
import { als, once, recordScopes, requestIn, transports, useServer } from './helpers/h2.js';

const pushedEvents = ['push', 'data', 'end', 'close'];
const kScope = Symbol.for('http2-async-context.scope.v1');
const kSession = Symbol.for('http2-async-context.session.v1');
type Resource = { asyncId(): number };
/** A bound stream's resource id; read while it is open (close releases it). */
const streamScopeId = (stream: object) => (stream as Record<symbol, Resource>)[kScope]!.asyncId();
const sessionScopeId = (session: object) => (session as Record<symbol, { scope: Resource }>)[kSession]!.scope.asyncId();

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
    expect(Object.fromEntries(push.seen)).toEqual(
      Object.fromEntries(pushedEvents.map((event) => [event, ['session']])),
    );
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

  it("a pushed stream's resource is its own, destroyed once on its close; the session's is not", async () => {
    const session = server.connect(connect, 'session');
    const destroyed: number[] = [];
    const hook = createHook({
      destroy: (id) => {
        destroyed.push(id);
      },
    }).enable();
    try {
      const pushed = once(session, 'stream').then(([stream]) => {
        const pushedStream = stream as http2.ClientHttp2Stream;
        pushedStream.resume();
        const id = streamScopeId(pushedStream);
        return once(pushedStream, 'close').then(() => id);
      });
      const { closed } = requestIn(session, 'request', { ':path': '/push' }, []);
      const [pushedId] = await Promise.all([pushed, closed]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(pushedId).not.toBe(sessionScopeId(session));
      expect(destroyed.filter((id) => id === pushedId)).toHaveLength(1);
      expect(destroyed).not.toContain(sessionScopeId(session));
    } finally {
      hook.disable();
    }
  });
});
