import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { http2AsyncContext } from '../../dist/esm/esbuild.js';
import { type ClientSet, clientDirs } from './clients.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface BundleOptions {
  format: 'esm' | 'cjs';
  minify: boolean;
  /** With the package's plugin, or as a bundle is built without it. */
  plugin: boolean;
  /** Where `got` and `undici` come from (grpc-js and http2-wrapper are the root's in every set). */
  set: ClientSet;
}

/**
 * The test's own resolution: `got` and `undici`, imported by the app, from `set`; the package
 * itself, which the app imports for patchStatus(), left out of the bundle and loaded from dist/
 * (the copy the preloaded register is, or the CommonJS one beside it, which shares its state).
 */
const testResolution = (set: ClientSet, format: BundleOptions['format']): esbuild.Plugin => ({
  name: 'test resolution',
  setup(build) {
    build.onResolve({ filter: /^(got|undici)$/ }, (args) =>
      args.pluginData === 'set' || args.importer.includes('node_modules')
        ? undefined
        : build.resolve(args.path, { resolveDir: clientDirs[set], kind: args.kind, pluginData: 'set' }),
    );
    build.onResolve({ filter: /^http2-async-context$/ }, () => ({
      path: join(root, 'dist', format, 'index.js'),
      external: true,
    }));
  },
});

/**
 * Bundles test/fixtures/bundled-app.mjs for Node (platform node) into `outdir`, and returns the
 * file. The ESM output gets `require` from the banner most ESM bundles of CommonJS code carry;
 * `import.meta.url` (the servers' certificate paths) is the fixture folder's in either format.
 */
export async function bundleApp(outdir: string, { format, minify, plugin, set }: BundleOptions): Promise<string> {
  const outfile = join(
    outdir,
    `app-${set}-${minify ? 'min' : 'plain'}-${plugin ? 'plugin' : 'none'}.${format === 'esm' ? 'mjs' : 'cjs'}`,
  );
  const requireBanner = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
  await esbuild.build({
    entryPoints: [join(root, 'test/fixtures/bundled-app.mjs')],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format,
    minify,
    outfile,
    logLevel: 'error',
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(root, 'test/fixtures/bundled-app.mjs')).href) },
    ...(format === 'esm' && { banner: { js: requireBanner } }),
    plugins: [testResolution(set, format), ...(plugin ? [http2AsyncContext()] : [])],
  });
  return outfile;
}

export interface BundledRun {
  patchedClients: string[];
  clients: Record<string, Record<string, { ran: number; total: number; wrongCallbacks: string[]; errors?: string[] }>>;
}

/** Runs a bundle with `node`, register preloaded, and parses the JSON line it prints; with its stderr. */
export function runBundle(
  node: string,
  file: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<BundledRun & { stderr: string }> {
  const register = join(root, 'dist/esm/register.js');
  return new Promise((resolve, reject) => {
    execFile(
      node,
      ['--import', register, file, ...args],
      { cwd: root, env, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${file} failed: ${error.message}\n${stdout}\n${stderr}`));
        const lines = stdout.trim().split('\n');
        resolve({ ...(JSON.parse(lines[lines.length - 1]!) as BundledRun), stderr });
      },
    );
  });
}
