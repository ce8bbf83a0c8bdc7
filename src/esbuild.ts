// The `./esbuild` entry: a bundler plugin that keeps the supported client libraries recognisable
// in a bundle, so that `register`, preloaded when the bundle runs, patches them as unbundled.
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { announcement } from './integrations/announcement.js';
import { integrations, packageFileOf } from './integrations/registry.js';

/** What the plugin's `onLoad` returns: a marked file, or (once per copy) why one is left as it is. */
export type LoadResult = { contents: string; loader: 'js' } | { warnings: Array<{ text: string }> };

/** What the plugin reads of the build it joins: esbuild's `PluginBuild`. */
export interface Http2AsyncContextBuild {
  readonly initialOptions: { readonly absWorkingDir?: string | undefined };
  onLoad(options: { filter: RegExp }, callback: (args: { path: string }) => Promise<LoadResult | undefined>): unknown;
}

/** An esbuild plugin: `plugins: [http2AsyncContext()]`. */
export interface Http2AsyncContextPlugin {
  readonly name: 'http2-async-context';
  setup(build: Http2AsyncContextBuild): void;
}

/** `name` as a pattern (esbuild's filters are Go regular expressions), a scope's `/` matching `\\` too. */
const namePattern = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('/', '[\\\\/]');

/** Any `.js` or `.cjs` file below `node_modules/<library>/`, a supported library's. */
const libraryFiles = new RegExp(
  `[\\\\/]node_modules[\\\\/](?:${integrations.map(({ name }) => namePattern(name)).join('|')})[\\\\/].*\\.c?js$`,
);

interface Manifest {
  name?: unknown;
  version?: unknown;
  type?: unknown;
}

async function readManifest(folder: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/**
 * The plugin: each CommonJS file of @grpc/grpc-js, http2-wrapper and undici in the bundle calls,
 * as it runs, the function `register` installs, with its exports and the copy it came from (the
 * package name and version read from its package.json when the bundle is built). `register` then
 * checks the version and patches the file as it patches it unbundled. got is an ES module; it goes
 * through http2-wrapper (got 12–15) or `node:http2` itself (got 16).
 *
 * @example
 * ```js
 * import * as esbuild from 'esbuild';
 * import { http2AsyncContext } from 'http2-async-context/esbuild';
 * await esbuild.build({ entryPoints: ['app.mjs'], bundle: true, platform: 'node', outfile: 'dist/app.mjs',
 *   format: 'esm', plugins: [http2AsyncContext()] });
 * // node --import http2-async-context/register dist/app.mjs
 * ```
 */
export function http2AsyncContext(): Http2AsyncContextPlugin {
  return {
    name: 'http2-async-context',
    setup(build) {
      // Bun.build (1.4.5; its builder alone has `config`) turns some CommonJS files into ES modules
      // and renames `module.exports` in what the plugin appends to a namespace it never declares
      // (undici's index.js): the bundle would throw, so the plugin refuses it rather than half-work.
      if ('config' in build)
        throw new Error(
          'http2-async-context/esbuild serves esbuild only: with another bundler (Bun.build among them), ' +
            'mark @grpc/grpc-js, http2-wrapper and undici external.',
        );
      const root = build.initialOptions.absWorkingDir ?? process.cwd();
      const manifests = new Map<string, Promise<Manifest | undefined>>();
      const warned = new Set<string>();
      build.onLoad({ filter: libraryFiles }, async ({ path }) => {
        const found = packageFileOf(path);
        if (found === undefined) return undefined;
        let manifest = manifests.get(found.folder);
        if (manifest === undefined) manifests.set(found.folder, (manifest = readManifest(found.folder)));
        const { name, version, type } = (await manifest) ?? {};
        // Another package in that folder (an alias), or no version to check: never patched blind.
        if (name !== found.integration.name || typeof version !== 'string') {
          if (warned.has(found.folder)) return undefined;
          warned.add(found.folder);
          const text = `${found.folder}: no package.json naming ${found.integration.name} with a version`;
          return { warnings: [{ text: `http2-async-context: ${text}, so register will leave this copy alone` }] };
        }
        // ES modules: no CommonJS wrapper to append to (no supported version has any).
        if (type === 'module' && path.endsWith('.js')) return undefined;
        const folder = relative(root, found.folder).replaceAll('\\', '/');
        const contents = await readFile(path, 'utf8');
        return { contents: contents + announcement({ name, version, folder, file: found.file }), loader: 'js' };
      });
    },
  };
}

export default http2AsyncContext;
