// What the doctor can say about bundles: it measures the clients as installed, and a bundle
// inlines them, where `register` reaches them only through the esbuild plugin. A bundle runs
// elsewhere, so the one sign the doctor has is a bundler among the project's dependencies.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bundlers an app is commonly built with; esbuild first, the one with a plugin. */
const bundlers = ['esbuild', 'webpack', 'rollup', 'next', 'vite', '@vercel/ncc', 'parcel', 'tsup', '@rspack/core'];

/**
 * A note for the project at `from` when its package.json depends on a bundler, undefined
 * otherwise: these results hold for the clients as installed, not inlined in a bundle.
 */
export function bundlerNote(from: string): string | undefined {
  let manifest: { dependencies?: object; devDependencies?: object };
  try {
    manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as typeof manifest;
  } catch {
    return undefined;
  }
  const named = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);
  const found = bundlers.filter((bundler) => named.has(bundler));
  if (found.length === 0) return undefined;
  const fix = found.includes('esbuild')
    ? 'With esbuild, add the plugin from http2-async-context/esbuild; with another bundler, mark the client libraries external'
    : 'Mark the client libraries external';
  return (
    `Bundles: this project depends on ${found.join(', ')}. These results are for the clients as installed; ` +
    `in a bundle that inlines them, register patches only node:http2. ${fix}.`
  );
}
