import http2 from 'node:http2';
import net from 'node:net';
import { once, type Scenario, type ScenarioContext } from './scenario.js';

const { NGHTTP2_REFUSED_STREAM } = http2.constants;

/** Codes a runtime may give a request refused by, or made after, a GOAWAY (measured: Node, Bun, Deno). */
const goawayCodes = ['ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_INVALID_SESSION'];

/**
 * Scenarios where the session, not the stream, decides how a stream ends. The session's own
 * events are not watched: the shim leaves them as the runtime emits them (README, Limitations).
 */
export const sessionScenarios: Scenario[] = [
  {
    name: 'socket destroyed mid-stream',
    async run(context) {
      let socket: net.Socket | undefined;
      const session = await context.connected({
        createConnection: (authority: URL) => (socket = net.connect(Number(authority.port), authority.hostname)),
      });
      const { stream, closed } = context.request(
        session,
        { ':path': '/hang' },
        { events: ['response', 'data', 'error?', 'close'] },
      );
      await once(stream, 'data');
      context.inStore('teardown', () => socket?.destroy());
      await closed;
    },
  },
  {
    name: 'session timeout',
    async run(context) {
      const session = await context.connected();
      const { stream, closed } = context.request(
        session,
        { ':path': '/hang' },
        { events: ['response', 'data', 'error?', 'close'] },
      );
      // Armed in the session's store, as code that sets a timeout right after connect does, but
      // once the response has started, so that a loaded machine cannot time the session out
      // before it answers. The handler tears the session down, and its open stream with it, from
      // the timer's scope.
      await once(stream, 'data');
      context.inStore('session', () => session.setTimeout(50, () => session.destroy()));
      await closed;
    },
  },
  {
    name: 'server push',
    async run(context) {
      const session = await context.connected();
      const pushed = once(session, 'stream').then(([stream]) => {
        const pushedStream = stream as http2.ClientHttp2Stream;
        context.recorder.watch('pushed', pushedStream, 'session', ['push?', 'data', 'end', 'close']);
        pushedStream.resume();
        return once(pushedStream, 'close');
      });
      const { closed } = context.request(
        session,
        { ':path': '/push' },
        { events: ['response', 'data', 'end', 'close'] },
      );
      await Promise.all([closed, pushed]);
    },
  },
  {
    name: 'graceful server close while uploading',
    async run(context) {
      const session = await context.connected();
      const goaway = once(session, 'goaway');
      const inFlight = context.request(
        session,
        { ':path': '/graceful', ':method': 'POST' },
        { label: 'in-flight', events: ['response', 'data', 'end', 'close'], options: { endStream: false } },
      );
      inFlight.stream.write('part one');
      await goaway;
      const late = requestAfterGoaway(context, session);
      inFlight.stream.end('part two');
      await Promise.all([inFlight.closed, late]);
    },
  },
  {
    name: 'GOAWAY refuses later streams',
    async run(context) {
      const session = await context.connected();
      let said: { code: number; lastStreamID: number } | undefined;
      session.on('goaway', (code: number, lastStreamID: number) => {
        said = { code, lastStreamID };
      });
      const last = context.request(
        session,
        { ':path': '/goaway' },
        { label: 'last', events: ['response', 'data', 'end', 'close'] },
      );
      const refused = [1, 2].map((i) =>
        context.request(
          session,
          { ':path': '/hang' },
          { label: 'refused', store: `refused-${i}`, events: ['error', 'close'] },
        ),
      );
      for (const { stream } of refused) {
        stream.once('error', (error: NodeJS.ErrnoException) => {
          // What a caller needs to retry safely: REFUSED_STREAM, and (from `goaway`) that its id was past the last one.
          const ok =
            goawayCodes.includes(String(error.code)) &&
            stream.rstCode === NGHTTP2_REFUSED_STREAM &&
            said !== undefined &&
            stream.id !== undefined &&
            stream.id > said.lastStreamID;
          context.recorder.check(
            'refused error shows REFUSED_STREAM and lastStreamID',
            ok,
            `${error.code}, rstCode ${stream.rstCode}, stream ${stream.id}, ` +
              `GOAWAY ${said ? `code ${said.code} lastStreamID ${said.lastStreamID}` : 'not seen'}`,
          );
        });
      }
      await Promise.all([last.closed, ...refused.map(({ closed }) => closed)]);
    },
  },
];

/**
 * Opens a request on a session that has received a GOAWAY. Node 20/22 and Deno throw at once;
 * Node 24/26 and Bun return a stream that emits `error`. Either way, the failure must be clear
 * and reach the caller in its own store.
 */
function requestAfterGoaway(context: ScenarioContext, session: http2.ClientHttp2Session): Promise<unknown> {
  const { recorder } = context;
  const report = (error: NodeJS.ErrnoException, how: string) =>
    recorder.check(
      'late request fails with a clear error',
      goawayCodes.includes(String(error.code)),
      `${error.code} (${how})`,
    );
  return context.inStore('late', () => {
    try {
      const { stream, closed } = context.request(
        session,
        { ':path': '/plain' },
        { label: 'late', events: ['error', 'close'] },
      );
      stream.once('error', (error: NodeJS.ErrnoException) => report(error, 'error event'));
      return closed;
    } catch (error) {
      recorder.observe('late', 'error', 'late', error as object);
      recorder.expectOptional('late', 'close');
      report(error as NodeJS.ErrnoException, 'thrown by request()');
      return Promise.resolve();
    }
  });
}
