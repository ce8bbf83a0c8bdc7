import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grpcJsIntegration } from '../dist/esm/integrations/grpc-js.js';
import { http2WrapperIntegration } from '../dist/esm/integrations/http2-wrapper.js';
import type { Integration } from '../dist/esm/integrations/integration.js';
import { undiciIntegration } from '../dist/esm/integrations/undici.js';
import { runNode } from './helpers/child.js';
import { type ClientSet, requireClient, requireOldest } from './helpers/clients.js';

// Each integration's file-by-file patch, which register uses on Bun (where an imported entry
// passes no hook): the files it knows, in the newest and the oldest supported layout of each
// library, patched in place and given back; any other file left alone. That the result scopes
// requests on Bun is test/bun.test.ts.
const requireFrom = { newest: requireClient, oldest: requireOldest };
type Holder = Record<string, unknown>;

/** The package folder of `name` in `set` (loaded whole first, as an app's import would), and a require for its files. */
function library(set: ClientSet, name: string) {
  requireFrom[set](name);
  const folder = dirname(requireFrom[set].resolve(`${name}/package.json`));
  return { folder, load: (file: string) => createRequire(join(folder, 'package.json'))(join(folder, file)) as unknown };
}

/** Patches `file`, checks that `method` of `holder` is ours then, and that unpatching gives back the original. */
function expectPatchedInPlace(
  integration: Integration,
  folder: string,
  file: string,
  exports: unknown,
  holder: Holder,
  method: string,
) {
  const original = holder[method];
  expect(integration.patchFile(file, exports, folder), file).toBe(true);
  expect(Object.hasOwn(holder, method)).toBe(true);
  expect(holder[method]).not.toBe(original);
  // A second patch installs nothing twice.
  const ours = holder[method];
  integration.patchFile(file, exports, folder);
  expect(holder[method]).toBe(ours);
  integration.unpatchFile(file, exports);
  expect(holder[method]).toBe(original);
}

describe.each(['newest', 'oldest'] as const)('file-by-file patches, %s clients', (set) => {
  it('grpc-js: getInterceptingCall in client-interceptors.js and Client#waitForReady in client.js', () => {
    const { folder, load } = library(set, '@grpc/grpc-js');
    const interceptors = load('build/src/client-interceptors.js') as Holder;
    expectPatchedInPlace(
      grpcJsIntegration,
      folder,
      'build/src/client-interceptors.js',
      interceptors,
      interceptors,
      'getInterceptingCall',
    );
    const client = load('build/src/client.js') as { Client: { prototype: Holder } };
    expectPatchedInPlace(
      grpcJsIntegration,
      folder,
      'build/src/client.js',
      client,
      client.Client.prototype,
      'waitForReady',
    );
    expect(grpcJsIntegration.patchFile('build/src/channel.js', load('build/src/channel.js'), folder)).toBe(false);
    // The right file with the wrong exports is left alone too.
    expect(grpcJsIntegration.patchFile('build/src/client-interceptors.js', client, folder)).toBe(false);
  });

  it('http2-wrapper: Agent#request in source/agent.js', () => {
    const { folder, load } = library(set, 'http2-wrapper');
    const agent = load('source/agent.js') as { Agent: { prototype: Holder } };
    expectPatchedInPlace(http2WrapperIntegration, folder, 'source/agent.js', agent, agent.Agent.prototype, 'request');
    expect(
      http2WrapperIntegration.patchFile('source/client-request.js', load('source/client-request.js'), folder),
    ).toBe(false);
  });

  it('undici: dispatch of each dispatcher class in its own file, and Dispatcher#compose where there is one', () => {
    const { folder, load } = library(set, 'undici');
    const where = set === 'newest' ? 'lib/dispatcher/' : 'lib/';
    const classes =
      set === 'newest'
        ? [
            'client',
            'pool',
            'balanced-pool',
            'agent',
            'proxy-agent',
            'env-http-proxy-agent',
            'retry-agent',
            'h2c-client',
          ]
        : ['client', 'pool', 'balanced-pool', 'agent', 'proxy-agent'];
    for (const name of classes) {
      const file = `${where}${name}.js`;
      const Class = load(file) as { prototype: Holder };
      expectPatchedInPlace(undiciIntegration, folder, file, Class, Class.prototype, 'dispatch');
    }
    const Dispatcher = load(`${where}dispatcher.js`) as { prototype: Holder };
    if (set === 'newest')
      expectPatchedInPlace(
        undiciIntegration,
        folder,
        `${where}dispatcher.js`,
        Dispatcher,
        Dispatcher.prototype,
        'compose',
      );
    // undici 6.0 has no compose(): nothing to patch in its Dispatcher.
    else expect(undiciIntegration.patchFile(`${where}dispatcher.js`, Dispatcher, folder)).toBe(false);
    // Not one of the classes, or one under another file's name, or not where undici keeps them.
    expect(undiciIntegration.patchFile('lib/mock/mock-client.js', load('lib/mock/mock-client.js'), folder)).toBe(false);
    expect(undiciIntegration.patchFile(`${where}client.js`, load(`${where}pool.js`), folder)).toBe(false);
    expect(undiciIntegration.patchFile('lib/core/client.js', load(`${where}client.js`), folder)).toBe(false);
  });
});

describe('file-by-file patches in the order the files load', () => {
  it("undici's Dispatcher first, then each class below it: every class gets a dispatch of its own", () => {
    const { folder, load } = library('newest', 'undici');
    const files = [
      'dispatcher',
      'client',
      'pool',
      'balanced-pool',
      'agent',
      'proxy-agent',
      'env-http-proxy-agent',
      'retry-agent',
      'h2c-client',
    ].map((name) => `lib/dispatcher/${name}.js`);
    const classes = files.map((file) => load(file) as { prototype: Holder });
    const methods = () =>
      classes.map(({ prototype }, i) => [
        i === 0 ? prototype.compose : prototype.dispatch,
        Object.hasOwn(prototype, i === 0 ? 'compose' : 'dispatch'),
      ]);
    const native = methods();
    for (const [i, file] of files.entries())
      expect(undiciIntegration.patchFile(file, classes[i], folder), file).toBe(true);
    const patched = methods();
    expect(patched.map(([, own]) => own)).toEqual(files.map(() => true));
    for (const [i, [method]] of patched.entries()) expect(method, files[i]).not.toBe(native[i]![0]);
    for (const [i, file] of files.entries()) undiciIntegration.unpatchFile(file, classes[i]);
    expect(methods()).toEqual(native);
  });
});

describe('the Bun file hook, run on Node', () => {
  it('patches on Module._extensions[".js"] alone, entry and file by file, and unpatching takes it off', async () => {
    // Node pretending to be Bun, with our Module._load buried: only the Bun hook can patch.
    expect(await runNode('test/fixtures/file-hook-on-node.mjs')).toEqual({
      hookInstalled: true,
      patchedAsLoaded: {
        'undici 6 entry': true,
        'http2-wrapper 2.0 entry': true,
        'grpc-js client-interceptors.js': true,
        'undici 7 lib/dispatcher/client.js': true,
        'undici 5 (out of range)': false,
      },
      laterCall: false,
      reported: ['@grpc/grpc-js 1.8.22', 'http2-wrapper 2.0.3', 'undici 6.0.0', 'undici 7.30.2'],
      hookRestored: true,
    });
  });
});
