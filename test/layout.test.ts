import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The doctor is a tool on top of the package: it may reach the package only through the entries
// a user imports (and `patchStatus()`, one of them), so that it measures what users get and
// never depends on private state.
const src = fileURLToPath(new URL('../src/', import.meta.url));
const publicEntries = ['index.ts', 'grpc-js.ts', 'undici.ts', 'http2-wrapper.ts'];

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(folder, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(folder, entry.name)]
        : [],
  );
}

/** The files `file` imports or re-exports from, relative to src/, with `.ts` for `.js`. */
function relativeImports(file: string): string[] {
  const specifiers = [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^;]*?from '(\.[^']+)'/gms)];
  return specifiers.map(([, specifier]) => relative(src, join(dirname(file), specifier!)).replace(/\.js$/, '.ts'));
}

describe('the layout of src/', () => {
  const doctorFiles = [join(src, 'doctor.ts'), ...sourceFiles(join(src, 'doctor'))];

  it('the doctor imports from the package only its public entries', () => {
    const outside = doctorFiles.flatMap((file) =>
      relativeImports(file)
        .filter((target) => !target.startsWith('doctor/') && !publicEntries.includes(target))
        .map((target) => `${relative(src, file)} → ${target}`),
    );
    expect(doctorFiles.length).toBeGreaterThan(20);
    expect(outside).toEqual([]);
  });

  it('nothing outside the doctor imports the doctor', () => {
    const intoDoctor = sourceFiles(src)
      .filter((file) => !doctorFiles.includes(file))
      .flatMap((file) =>
        relativeImports(file)
          .filter((target) => target.startsWith('doctor'))
          .map((target) => `${relative(src, file)} → ${target}`),
      );
    expect(intoDoctor).toEqual([]);
  });

  it('every Symbol.for key is in symbols.ts, versioned', () => {
    const elsewhere = sourceFiles(src).filter(
      // A key written out; the esbuild plugin writes `Symbol.for(<the key of kBundled>)` into bundles.
      (file) => !file.endsWith('symbols.ts') && /Symbol\.for\(['"`]/.test(readFileSync(file, 'utf8')),
    );
    expect(elsewhere.map((file) => relative(src, file))).toEqual([]);
    const keys = [...readFileSync(join(src, 'symbols.ts'), 'utf8').matchAll(/Symbol\.for\('([^']+)'\)/g)].map(
      ([, key]) => key,
    );
    expect(keys.length).toBeGreaterThan(10);
    expect(keys.filter((key) => !/^http2-async-context\.[a-z0-9-]+\.v\d+$/.test(key!))).toEqual([]);
  });
});
