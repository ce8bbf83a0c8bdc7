import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grpcJsIntegration } from '../dist/esm/integrations/grpc-js.js';
import { http2WrapperIntegration } from '../dist/esm/integrations/http2-wrapper.js';
import type { Integration } from '../dist/esm/integrations/integration.js';
import { undiciIntegration } from '../dist/esm/integrations/undici.js';
import { runNode } from './helpers/child.js';
import { type ClientSet, requireClient, requireOldest, requirePrevious } from './helpers/clients.js';

// Each integration's file-by-file patch, which register uses on Bun (where an imported entry
// passes no hook): the files it knows, in the newest and the oldest supported layout of each
// library, patched in place and given back; any other file left alone. That the result scopes
// requests on Bun is test/bun.test.ts. (undici 8 needs Node 22: here its previous major, 7.30.)
const requireFrom: Partial<Record<ClientSet, NodeJS.Require>> = {
  newest: requireClient,
  previous: requirePrevious,
  oldest: requireOldest,
};
type Holder = Record<PropertyKey, unknown>;

/** The package folder of `name` in `set` (loaded whole first, as an app's import would), and a require for its files. */
function library(set: ClientSet, name: string) {
  const require = requireFrom[set]!;
  require(name);
  const folder = dirname(require.resolve(`${name}/package.json`));
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
});

/**
 * Where undici's dispatch steps are for `Class`: each prototype on its chain below `Dispatcher`
 * (the class that extends EventEmitter) that defines `dispatch` or the internal `kDispatch`.
 */
function dispatchSteps(Class: { prototype: object }): Array<[Holder, PropertyKey]> {
  const steps: Array<[Holder, PropertyKey]> = [];
  for (let holder = Class.prototype; ; holder = Object.getPrototypeOf(holder) as object) {
    if (Object.getPrototypeOf(holder) === EventEmitter.prototype) return steps;
    for (const key of Reflect.ownKeys(holder))
      if (key === 'dispatch' || (typeof key === 'symbol' && key.description === 'dispatch'))
        steps.push([holder as Holder, key]);
  }
}

/** Patches `file` (a dispatcher class), checks every dispatch step on its chain is ours, and that unpatching gives them back. */
function expectStepsPatched(folder: string, file: string, Class: { prototype: object }) {
  const steps = dispatchSteps(Class);
  expect(steps.length, file).toBeGreaterThan(0);
  const originals = steps.map(([holder, key]) => holder[key]);
  expect(undiciIntegration.patchFile(file, Class, folder), file).toBe(true);
  const ours = steps.map(([holder, key]) => holder[key]);
  for (const [i, method] of ours.entries()) expect(method, `${file} ${String(steps[i]![1])}`).not.toBe(originals[i]);
  // A second patch installs nothing twice.
  undiciIntegration.patchFile(file, Class, folder);
  expect(steps.map(([holder, key]) => holder[key])).toEqual(ours);
  undiciIntegration.unpatchFile(file, Class);
  expect(steps.map(([holder, key]) => holder[key])).toEqual(originals);
}

describe.each(['previous', 'oldest'] as const)('undici file by file, %s set', (set) => {
  const layout =
    set === 'previous'
      ? {
          where: 'lib/dispatcher/',
          // RoundRobinPool (7.18) and Socks5ProxyAgent were missed by the old list of class names.
          classes: [
            'client',
            'pool',
            'balanced-pool',
            'round-robin-pool',
            'agent',
            'proxy-agent',
            'socks5-proxy-agent',
            'env-http-proxy-agent',
            'retry-agent',
            'h2c-client',
          ],
        }
      : { where: 'lib/', classes: ['client', 'pool', 'balanced-pool', 'agent', 'proxy-agent'] };

  it('every dispatcher class: each dispatch step on its prototype chain, found by the chain, not by name', () => {
    const { folder, load } = library(set, 'undici');
    for (const name of layout.classes) {
      const file = `${layout.where}${name}.js`;
      expectStepsPatched(folder, file, load(file) as { prototype: object });
    }
    // A test double's dispatcher is a dispatcher too.
    expectStepsPatched(folder, 'lib/mock/mock-client.js', load('lib/mock/mock-client.js') as { prototype: object });
  });

  it('Dispatcher#compose where there is one (6.9 on); files that export no dispatcher class are left alone', () => {
    const { folder, load } = library(set, 'undici');
    const file = `${layout.where}dispatcher.js`;
    const Dispatcher = load(file) as { prototype: Holder };
    if (set === 'previous')
      expectPatchedInPlace(undiciIntegration, folder, file, Dispatcher, Dispatcher.prototype, 'compose');
    // undici 6.0 has no compose(): nothing to patch in its Dispatcher.
    else expect(undiciIntegration.patchFile(file, Dispatcher, folder)).toBe(false);
    expect(undiciIntegration.patchFile('lib/core/util.js', load('lib/core/util.js'), folder)).toBe(false);
    expect(undiciIntegration.patchFile('lib/core/errors.js', load('lib/core/errors.js'), folder)).toBe(false);
  });
});

describe('file-by-file patches in the order the files load', () => {
  it("undici's Dispatcher first, then each class below it: every dispatch step is ours, then given back", () => {
    const { folder, load } = library('previous', 'undici');
    const files = ['dispatcher', 'client', 'pool', 'round-robin-pool', 'agent', 'retry-agent', 'h2c-client'].map(
      (name) => `lib/dispatcher/${name}.js`,
    );
    const classes = files.map((file) => load(file) as { prototype: Holder });
    const steps = [...new Set(classes.flatMap((Class) => dispatchSteps(Class)))];
    const compose = () => classes[0]!.prototype.compose;
    const native = [compose(), ...steps.map(([holder, key]) => holder[key])];
    for (const [i, file] of files.entries())
      expect(undiciIntegration.patchFile(file, classes[i], folder), file).toBe(true);
    const patched = [compose(), ...steps.map(([holder, key]) => holder[key])];
    for (const [i, method] of patched.entries()) expect(method).not.toBe(native[i]);
    for (const [i, file] of files.entries()) undiciIntegration.unpatchFile(file, classes[i]);
    expect([compose(), ...steps.map(([holder, key]) => holder[key])]).toEqual(native);
  });
});

describe('the Bun file hook, run on Node', () => {
  it('patches on Module.prototype.require alone, entry and file by file, and unpatching takes it off', async () => {
    // Node pretending to be Bun: only the Bun hook is installed.
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
      reported: ['@grpc/grpc-js 1.8.22', 'http2-wrapper 2.0.3', 'undici 6.0.0', 'undici 7.30.3'],
      hookRestored: true,
    });
  });
});

describe('patchLibraryFile(), for a loader that knows a file by name and version (a bundle)', () => {
  it('patches a copy no hook or module cache shows, version-checked and reported, only while the patch is on', async () => {
    expect(await runNode('test/fixtures/patch-library-file.mjs')).toEqual({
      beforePatch: false,
      cacheScan: [],
      outOfRange: true,
      afterOutOfRange: false,
      inRange: true,
      patched: true,
      restored: true,
      patchedClients: [{ name: 'undici', version: '6.0.0', path: '/bundle/undici' }],
      unsupported: ['/bundle/undici-5 5.0.0'],
    });
  });
});
