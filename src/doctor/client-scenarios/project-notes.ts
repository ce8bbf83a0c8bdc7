// What the doctor can say about where it does not measure: it measures the clients as the
// runtime loads them, and a bundle inlines them (`register` reaches them only through the esbuild
// plugin), and a test runner with a registry of its own loads them itself (only through the
// route the README gives). Both run elsewhere, so the one sign the doctor has is the bundler or
// the runner among the project's dependencies.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bundlers an app is commonly built with; esbuild first, the one with a plugin. */
const bundlers = ['esbuild', 'webpack', 'rollup', 'next', 'vite', '@vercel/ncc', 'parcel', 'tsup', '@rspack/core'];

/** Test runners that load modules through a registry of their own, and what reaches the clients under each. */
const runners: Record<string, string> = {
  jest: 'with Jest, use withHttp2AsyncContext(config) from http2-async-context/jest',
  vitest: "with vitest, add 'http2-async-context/register' to setupFiles (its vmThreads and vmForks pools need it)",
};

/** What the project at `from` depends on, dev dependencies included; empty without a readable package.json. */
function dependenciesOf(from: string): Set<string> {
  let manifest: { dependencies?: object; devDependencies?: object };
  try {
    manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as typeof manifest;
  } catch {
    return new Set();
  }
  return new Set([...Object.keys(manifest?.dependencies ?? {}), ...Object.keys(manifest?.devDependencies ?? {})]);
}

/**
 * A note for the project at `from` when its package.json depends on a bundler, undefined
 * otherwise: these results hold for the clients as installed, not inlined in a bundle.
 */
export function bundlerNote(from: string): string | undefined {
  const named = dependenciesOf(from);
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

/**
 * A note for the project at `from` when it depends on Jest or vitest, undefined otherwise: under
 * them the preload alone may not reach the clients, which these results do not show.
 */
export function testRunnerNote(from: string): string | undefined {
  const named = dependenciesOf(from);
  const found = Object.keys(runners).filter((runner) => named.has(runner));
  if (found.length === 0) return undefined;
  const fixes = found.map((runner) => runners[runner]).join('; ');
  return (
    `Test runners: this project depends on ${found.join(', ')}. These results are for the clients as the runtime ` +
    `loads them; a test runner with a module registry of its own loads them where the preload alone cannot reach: ${fixes}.`
  );
}
