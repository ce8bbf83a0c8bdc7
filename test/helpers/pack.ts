// Vitest globalSetup: packs the package once per run, before any test file starts, for the tests
// of the published package (test/package*.test.ts, test/readme.test.ts). With --ignore-scripts:
// npm pack would run `prepack`, which rebuilds dist/ under the tests that are loading it; the
// test scripts build it once, first, as `prepack` does before a pack or a publish.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProvidedContext } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the packed tarball. */
    tarball: string;
    /** Paths inside the tarball, as `npm pack --json` lists them. */
    packedFiles: string[];
  }
}

/** The part of vitest's TestProject used here (vitest/node's types need @types/debug). */
interface Project {
  provide<K extends keyof ProvidedContext>(key: K, value: ProvidedContext[K]): void;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

export default function setup(project: Project): () => void {
  const folder = mkdtempSync(join(tmpdir(), 'h2ac-pack-'));
  const output = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', folder], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [info] = JSON.parse(output) as Array<{ filename: string; files: Array<{ path: string }> }>;
  project.provide('tarball', join(folder, info!.filename));
  project.provide(
    'packedFiles',
    info!.files.map((file) => file.path),
  );
  return () => rmSync(folder, { recursive: true, force: true });
}
