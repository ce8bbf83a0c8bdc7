import type { OpenedRequest, Scenario } from './scenario.js';

const body = ['response', 'data', 'end', 'close'] as const;

/** Scenarios about one stream's own life: its response shapes and how it can end. */
export const streamScenarios: Scenario[] = [
  {
    name: 'plain request',
    async run(context) {
      const session = await context.connected();
      await context.request(session, { ':path': '/plain' }, { events: body }).closed;
    },
  },
  {
    name: '103 early hints',
    async run(context) {
      const session = await context.connected();
      await context.request(session, { ':path': '/early-hints' }, { events: ['headers', ...body] }).closed;
    },
  },
  {
    name: '100-continue',
    async run(context) {
      const session = await context.connected();
      const { stream, closed } = context.request(
        session,
        { ':path': '/continue', ':method': 'POST', expect: '100-continue' },
        {
          events: ['continue', '!headers', ...body],
          // Node also emits `headers` for a 100; the package emits `continue` once and no `headers`
          // for it (other 1xx still emit `headers`).
          changes: { headers: 'a 100 emits continue only, not headers' },
          options: { endStream: false },
        },
      );
      stream.once('continue', () => stream.end('body'));
      await closed;
    },
  },
  {
    name: 'trailers',
    async run(context) {
      const session = await context.connected();
      await context.request(
        session,
        { ':path': '/trailers' },
        { events: ['response', 'data', 'trailers', 'end', 'close'] },
      ).closed;
    },
  },
  {
    name: 'RST_STREAM mid-body',
    async run(context) {
      const session = await context.connected();
      // The upload stays open: `aborted` only fires while the stream's writable side is.
      await context.request(
        session,
        { ':path': '/rst', ':method': 'POST' },
        { events: ['response', 'data', 'aborted', 'error', 'close'], options: { endStream: false } },
      ).closed;
    },
  },
  {
    name: 'oversized header block (frameError)',
    async run(context) {
      const session = await context.connected({ maxSendHeaderBlockLength: 100 });
      await context.request(
        session,
        { ':path': '/plain', 'x-big': 'a'.repeat(2000) },
        { events: ['frameError', 'error', 'close'] },
      ).closed;
    },
  },
  {
    name: 'request issued before connect',
    async run(context) {
      const session = context.connect();
      await context.request(session, { ':path': '/plain' }, { events: ['ready?', ...body] }).closed;
    },
  },
  {
    name: '200 concurrent requests, one session',
    async run(context) {
      const session = await context.connected();
      const requests: OpenedRequest[] = [];
      for (let i = 0; i < 200; i++) {
        requests.push(context.request(session, { ':path': '/plain' }, { store: `request-${i}`, events: body }));
      }
      await Promise.all(requests.map(({ closed }) => closed));
    },
  },
];
