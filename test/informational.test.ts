import { describe, expect, it } from 'vitest';
import { connect } from '../dist/esm/index.js';
import { requestIn, transports, useServer } from './helpers/h2.js';

const upload = { ':path': '/continue', ':method': 'POST', expect: '100-continue' } as const;

describe.each(transports)('1xx responses over $name', (transport) => {
  const server = useServer(transport);

  it('a 100 emits continue exactly once, in the request scope, and never headers', async () => {
    const session = server.connect(connect, 'session');
    const { stream, seen, closed } = requestIn(session, 'request', upload, ['continue', 'headers', 'response'], {
      endStream: false,
    });
    stream.on('continue', () => stream.end('body'));
    await closed;
    expect(Object.fromEntries(seen)).toEqual({ continue: ['request'], response: ['request'] });
  });

  it('a continue emitted before the 100 headers (Bun order) still leaves one continue', async () => {
    const session = server.connect(connect, 'session');
    const { stream, seen, closed } = requestIn(session, 'request', upload, ['continue', 'headers'], {
      endStream: false,
    });
    stream.emit('continue'); // what Bun does before its `headers` for the same 100
    stream.end('body');
    await closed;
    expect(Object.fromEntries(seen)).toEqual({ continue: ['request'] });
  });

  it('103 still emits headers and no continue', async () => {
    const session = server.connect(connect, 'session');
    const { seen, closed } = requestIn(session, 'request', { ':path': '/early-hints' }, ['continue', 'headers']);
    await closed;
    expect(Object.fromEntries(seen)).toEqual({ headers: ['request'] });
  });
});
