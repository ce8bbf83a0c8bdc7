import { createHook } from 'node:async_hooks';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ScenarioServer, startScenarioServer } from '../dist/esm/doctor/server.js';
import { scopeHttp2WrapperAgent } from '../dist/esm/http2-wrapper.js';
import { patchClients, unpatchClients, unpatchHttp2 } from '../dist/esm/index.js';
import { undiciInterceptor } from '../dist/esm/undici.js';
import { requireOldest, requirePrevious } from './helpers/clients.js';
import { als, transports } from './helpers/h2.js';

// What patchClients() does to the libraries themselves: applying, undoing, living next to a later
// patch, and scoping each request once. Whether every callback of every client then sees the
// right store, cold, warm and after GOAWAY, is the client matrix (test/clients-*.test.ts).
const require = createRequire(import.meta.url);
// undici 7 (the root's undici 8 needs Node 22). Register wraps the dispatch steps where undici
// defines them: the public `dispatch` every Client, Pool and Agent inherits is DispatcherBase's.
const undici = requirePrevious('undici') as typeof import('undici');
const dispatcherBase = Object.getPrototypeOf(undici.Client.prototype) as { dispatch: unknown };
const http2wrapper = require('http2-wrapper') as typeof import('http2-wrapper') & {
  Agent: { prototype: { request: unknown }; connect(origin: URL, options: object): unknown };
};
/** The parts of an http2-wrapper `Agent` these tests call. */
interface WrapperAgent {
  request(origin: URL, options: object, headers: object): Promise<import('node:http2').ClientHttp2Stream>;
  createConnection(origin: URL, options: object): unknown;
  destroy(): void;
}
const tls = transports[1];
// Register's load hook on Node: once per CommonJS file as it first loads.
const extensions = (Module as unknown as { _extensions: Record<string, unknown> })._extensions;
const nativeCompile = extensions['.js'];
const nativeDispatch = dispatcherBase.dispatch;
const nativeAgentRequest = http2wrapper.Agent.prototype.request;

let server: ScenarioServer;
beforeAll(async () => {
  server = await startScenarioServer(tls.server);
});
afterAll(() => server.close());
afterEach(() => {
  unpatchClients();
});

/** Counts the async resources of `type` created while `fn` runs, to the end of its promise. */
async function resourcesCreatedBy(type: string, fn: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const hook = createHook({
    init: (_id, initType) => {
      if (initType === type) count++;
    },
  }).enable();
  try {
    await fn();
  } finally {
    hook.disable();
  }
  return count;
}

/** One undici dispatch of /trailers inside the store `id`; resolves with the stores its handler saw. */
function dispatchIn(dispatcher: Pick<InstanceType<typeof undici.Client>, 'dispatch'>, id: string) {
  return als.run(
    id,
    () =>
      new Promise<Array<string | undefined>>((resolve, reject) => {
        const seen: Array<string | undefined> = [];
        dispatcher.dispatch({ path: '/trailers', method: 'GET' }, {
          onConnect() {},
          onHeaders() {
            seen.push(als.getStore());
            return true;
          },
          onData() {
            seen.push(als.getStore());
            return true;
          },
          onComplete() {
            seen.push(als.getStore());
            resolve(seen);
          },
          onError: reject,
        } as never);
      }),
  );
}

const h2Client = () =>
  new undici.Client(server.origin, { allowH2: true, connect: { ca: tls.client.ca, servername: 'localhost' } });

/** Three dispatches at once on a cold client, each in its own store: how many saw only theirs. */
async function coldUndici(client: Pick<InstanceType<typeof undici.Client>, 'dispatch'>) {
  const ids = ['a', 'b', 'c'];
  const seen = await Promise.all(ids.map((id) => dispatchIn(client, id)));
  return seen.filter((stores, i) => stores.length > 0 && stores.every((store) => store === ids[i])).length;
}

/** How patchClients() reports the copy of `name` that `from` resolves. */
function reported(name: string, from = require) {
  const manifest = from.resolve(`${name}/package.json`);
  return { name, version: (from(manifest) as { version: string }).version, path: dirname(manifest) };
}
const byName = (copies: readonly { name: string; path?: string }[] | false) =>
  copies === false ? false : [...copies].sort((a, b) => `${a.name} ${a.path}`.localeCompare(`${b.name} ${b.path}`));

describe('patchClients()', () => {
  it('patches copies already loaded, says which, and unpatch gives back exactly what was there', () => {
    expect(byName(patchClients())).toEqual([reported('http2-wrapper'), reported('undici', requirePrevious)]);
    // On already, with every loaded copy patched: nothing changed, and it says so.
    expect(patchClients()).toBe(false);
    expect(extensions['.js']).not.toBe(nativeCompile);
    expect(undici.Client.prototype.dispatch).not.toBe(nativeDispatch);
    expect(http2wrapper.Agent.prototype.request).not.toBe(nativeAgentRequest);
    expect(unpatchClients()).toBe(true);
    expect(unpatchClients()).toBe(false);
    expect(extensions['.js']).toBe(nativeCompile);
    expect(Object.hasOwn(undici.Client.prototype, 'dispatch')).toBe(false);
    expect(dispatcherBase.dispatch).toBe(nativeDispatch);
    expect(http2wrapper.Agent.prototype.request).toBe(nativeAgentRequest);
  });

  it('patched methods keep their name, length and enumerability', () => {
    const describeMethods = () =>
      [
        undici.Client.prototype.dispatch,
        undici.Agent.prototype.dispatch,
        http2wrapper.Agent.prototype.request as (...args: unknown[]) => unknown,
      ].map((method) => [method.name, method.length]);
    const native = {
      methods: describeMethods(),
      keys: [Object.keys(undici.Agent.prototype), Object.keys(http2wrapper.Agent.prototype)],
    };
    patchClients();
    expect(undici.Client.prototype.dispatch).not.toBe(nativeDispatch);
    expect({
      methods: describeMethods(),
      keys: [Object.keys(undici.Agent.prototype), Object.keys(http2wrapper.Agent.prototype)],
    }).toEqual(native);
  });

  it('unpatchHttp2() turns it off too, as it turns off all that register turned on', () => {
    expect(patchClients()).toBeTruthy();
    expect(unpatchHttp2()).toBe(true);
    expect(extensions['.js']).toBe(nativeCompile);
    expect(undici.Client.prototype.dispatch).toBe(nativeDispatch);
    expect(http2wrapper.Agent.prototype.request).toBe(nativeAgentRequest);
    expect(unpatchClients()).toBe(false);
  });

  it('scopes undici dispatch handlers of a cold client, natively wrong', async () => {
    const native = h2Client();
    expect(await coldUndici(native)).toBeLessThan(3);
    await native.close();
    patchClients();
    const patched = h2Client();
    expect(await coldUndici(patched)).toBe(3);
    await patched.close();
  });

  it('reaches a Client composed before it, whose compose() bound the native dispatch, scoping each request once', async () => {
    const identity = (dispatch: unknown) => dispatch;
    const before = h2Client();
    const composed = before.compose(identity as never);
    patchClients();
    expect(
      await resourcesCreatedBy('UndiciRequest', () => coldUndici(composed).then((right) => expect(right).toBe(3))),
    ).toBe(3);
    await before.close();
    // Composed after the patch, ours goes between the interceptors and the internal hop steps aside.
    const after = h2Client();
    expect(
      await resourcesCreatedBy('UndiciRequest', () =>
        coldUndici(after.compose(identity as never)).then((right) => expect(right).toBe(3)),
      ),
    ).toBe(3);
    await after.close();
  });

  it('leaves a later patch on top in place and passes through until patched again', async () => {
    patchClients();
    const ours = dispatcherBase.dispatch as (...args: unknown[]) => unknown;
    const theirs = function dispatch(this: unknown, ...args: unknown[]) {
      return Reflect.apply(ours, this, args);
    };
    dispatcherBase.dispatch = theirs;
    try {
      unpatchClients();
      expect(dispatcherBase.dispatch).toBe(theirs);
      const client = h2Client();
      expect(await coldUndici(client)).toBeLessThan(3);
      await client.close();
      patchClients();
      expect(dispatcherBase.dispatch).toBe(theirs);
      const again = h2Client();
      expect(await coldUndici(again)).toBe(3);
      await again.close();
    } finally {
      dispatcherBase.dispatch = ours;
    }
  });

  it('patches each copy once: one loaded before the patch, and a nested one loaded after it', async () => {
    const oldestEntry = requireOldest.resolve('undici');
    expect(require.cache[oldestEntry], 'the nested copy must load after the patch').toBeUndefined();
    patchClients();
    const oldest = requireOldest('undici') as typeof undici;
    expect(oldest.Client).not.toBe(undici.Client);
    const bases = [undici, oldest].map(
      ({ Client }) => Object.getPrototypeOf(Client.prototype) as { dispatch: unknown },
    );
    // The nested copy was patched as it loaded: its native dispatch shows once unpatched.
    const asPatched = bases.map(({ dispatch }) => dispatch);
    expect(asPatched[0]).not.toBe(nativeDispatch);
    const client = new oldest.Client(server.origin, {
      allowH2: true,
      connect: { ca: tls.client.ca, servername: 'localhost' },
    });
    expect(
      await resourcesCreatedBy('UndiciRequest', () => coldUndici(client).then((right) => expect(right).toBe(3))),
    ).toBe(3);
    await client.close();
    unpatchClients();
    for (const [i, base] of bases.entries()) expect(base.dispatch).not.toBe(asPatched[i]);
    expect(bases[0]!.dispatch).toBe(nativeDispatch);
  });

  it('reports each copy it patches once: one its hook patched as it loaded is not news to the next call', () => {
    const loaded = [reported('http2-wrapper'), reported('undici', requirePrevious), reported('undici', requireOldest)];
    // After an unpatch everything loaded is patched again, and reported again.
    expect(byName(patchClients())).toEqual(byName(loaded));
    const entry = requireOldest.resolve('http2-wrapper');
    expect(require.cache[entry], 'this copy must load after the patch').toBeUndefined();
    const wrapper = requireOldest(entry) as typeof http2wrapper;
    const asLoaded = wrapper.Agent.prototype.request;
    expect(patchClients()).toBe(false);
    unpatchClients();
    expect(wrapper.Agent.prototype.request, 'the hook patched it as it loaded').not.toBe(asLoaded);
    expect(byName(patchClients())).toEqual(byName([...loaded, reported('http2-wrapper', requireOldest)]));
  });

  it("a later Module._extensions['.js'] wrapper stays; ours passes loads through once unpatched", () => {
    patchClients();
    const ours = extensions['.js'] as (...args: unknown[]) => unknown;
    const theirs = function load(this: unknown, ...args: unknown[]) {
      return Reflect.apply(ours, this, args);
    };
    extensions['.js'] = theirs;
    try {
      unpatchClients();
      expect(extensions['.js']).toBe(theirs);
      expect(requireOldest('@grpc/grpc-js')).toBeTypeOf('object');
    } finally {
      extensions['.js'] = nativeCompile;
    }
  });
});

describe('explicit helpers', () => {
  it('undiciInterceptor scopes a composed client without register', async () => {
    const client = h2Client();
    expect(await coldUndici(client.compose(undiciInterceptor))).toBe(3);
    await client.close();
  });

  it('with register as well, an undici request is scoped once', async () => {
    patchClients();
    const client = h2Client();
    const composed = client.compose(undiciInterceptor);
    expect(await resourcesCreatedBy('UndiciRequest', () => dispatchIn(composed, 'once'))).toBe(1);
    await client.close();
  });

  /** http2-wrapper requests for /trailers at once in their own stores, each seeing only its own. */
  async function coldWrapper(agent: unknown) {
    const ids = ['a', 'b', 'c'];
    const seen = await Promise.all(
      ids.map((id) =>
        als.run(
          id,
          () =>
            new Promise<Array<string | undefined>>((resolve, reject) => {
              const stores: Array<string | undefined> = [];
              http2wrapper
                .request(
                  `${server.origin}/trailers`,
                  { agent, ca: tls.client.ca, servername: 'localhost' } as never,
                  (response) => {
                    stores.push(als.getStore());
                    response.on('data', () => stores.push(als.getStore()));
                    response.on('end', () => {
                      stores.push(als.getStore());
                      resolve(stores);
                    });
                  },
                )
                .on('error', reject)
                .end();
            }),
        ),
      ),
    );
    (agent as { destroy(): void }).destroy();
    return seen.filter((stores, i) => stores.length >= 2 && stores.every((store) => store === ids[i])).length;
  }

  it('scopeHttp2WrapperAgent scopes a cold agent without register, natively wrong', async () => {
    expect(await coldWrapper(new http2wrapper.Agent())).toBeLessThan(3);
    expect(await coldWrapper(scopeHttp2WrapperAgent(new http2wrapper.Agent()))).toBe(3);
  });

  /** One `agent.request()` for /trailers in the store `id`; resolves with the stores its stream's events saw. */
  function agentRequestIn(agent: WrapperAgent, id: string): Promise<Array<string | undefined>> {
    return als.run(id, async () => {
      const stream = await agent.request(
        new URL(server.origin),
        { ca: tls.client.ca },
        {
          ':path': '/trailers',
        },
      );
      return new Promise((resolve, reject) => {
        const stores: Array<string | undefined> = [];
        stream.on('response', () => stores.push(als.getStore()));
        stream.on('data', () => stores.push(als.getStore()));
        stream.on('end', () => {
          stores.push(als.getStore());
          resolve(stores);
        });
        stream.on('error', reject);
        stream.resume();
      });
    });
  }

  it('a request started inside a request of the agent is a request of its own, not a hop of it', async () => {
    // The only user code that runs synchronously inside Agent#request is a custom
    // createConnection. A request made there, in its own store, queues behind the session the
    // first request is connecting, and is opened from that session's callbacks with the first one.
    patchClients();
    const agent = new http2wrapper.Agent() as unknown as WrapperAgent;
    let side: Promise<Array<string | undefined>> | undefined;
    agent.createConnection = (origin, options) => {
      side ??= agentRequestIn(agent, 'side');
      return http2wrapper.Agent.connect(origin, options);
    };
    const first = agentRequestIn(agent, 'first');
    expect(side).toBeDefined();
    expect(await first).toEqual(['first', 'first', 'first']);
    expect(await side).toEqual(['side', 'side', 'side']);
    agent.destroy();
  });

  it('with register as well, an http2-wrapper request is scoped once', async () => {
    patchClients();
    const agent = scopeHttp2WrapperAgent(new http2wrapper.Agent());
    expect(await resourcesCreatedBy('Http2WrapperRequest', () => coldWrapper(agent))).toBe(3);
  });
});
