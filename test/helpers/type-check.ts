// Type-checks many small consumer projects in two processes: TypeScript 5.x through its compiler
// API, TypeScript 7 (a native binary with no synchronous JS API) in one `tsc -b`.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const checker5 = fileURLToPath(new URL('check-with-typescript5.mjs', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/consumer-types/', import.meta.url));
const typescript7 = fileURLToPath(new URL('../../node_modules/typescript7/', import.meta.url));

const versionOf = (folder: string) =>
  (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version: string }).version;
export const typescriptVersions = {
  ts5: versionOf(fileURLToPath(new URL('../../node_modules/typescript/', import.meta.url))),
  ts7: versionOf(typescript7),
};

/** One tsconfig a user may have. Unset options keep the compiler's default. */
export interface Configuration {
  compiler: 'ts5' | 'ts7';
  module: string;
  moduleResolution?: string;
  esModuleInterop?: boolean;
  skipLibCheck: boolean;
}

/** An error, with its file relative to the project's folder. */
export interface Diagnostic {
  file: string;
  code: string;
  text: string;
}

/** The folder name of a configuration's project. */
export function projectName(c: Configuration): string {
  return [
    c.compiler,
    c.module,
    c.moduleResolution ?? 'default',
    `interop-${c.esModuleInterop ?? 'default'}`,
    `skiplib-${c.skipLibCheck}`,
  ].join('-');
}

/**
 * Writes `<consumer>/<projectName>/` with a tsconfig.json and the fixture files. Under node16 and
 * nodenext a `.ts` file is CommonJS here (no "type" in the consumer's package.json), so those
 * projects also get a `.mts` copy, which resolves the package's `import` condition.
 */
export function writeProject(consumer: string, c: Configuration): string {
  const dir = join(consumer, projectName(c));
  mkdirSync(dir);
  const files = ['consumer.ts', 'misuse.ts'];
  for (const file of files) copyFileSync(join(fixtures, file), join(dir, file));
  if (c.module.startsWith('node1') || c.module === 'nodenext') {
    copyFileSync(join(fixtures, 'consumer.ts'), join(dir, 'consumer.mts'));
    files.push('consumer.mts');
  }
  const { compiler: _, ...options } = c;
  writeFileSync(
    join(dir, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: { strict: true, noEmit: true, types: ['node'], ...options },
        files,
      },
      null,
      2,
    )}\n`,
  );
  return dir;
}

/** TypeScript 5 through its compiler API, in one child process: see check-with-typescript5.mjs. */
export function checkWithTypeScript5(dirs: readonly string[]): Promise<Map<string, Diagnostic[]>> {
  const { NODE_V8_COVERAGE: _, ...env } = process.env;
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [checker5, ...dirs],
      { env, timeout: 120_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`tsc 5: ${error.message}\n${stderr}`));
        resolvePromise(new Map(Object.entries(JSON.parse(stdout) as Record<string, Diagnostic[]>)));
      },
    );
  });
}

/**
 * TypeScript 7 in one `tsc -b` over every project, single-threaded (the machine has two cores
 * and other tests run beside). `--verbose` names each project before its errors.
 */
export function checkWithTypeScript7(consumer: string, dirs: readonly string[]): Promise<Map<string, Diagnostic[]>> {
  const args = [
    join(typescript7, 'bin/tsc'),
    '-b',
    '--singleThreaded',
    '--verbose',
    '--pretty',
    'false',
    ...dirs.map((dir) => relative(consumer, dir)),
  ];
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, args, { cwd: consumer, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(new Error(`tsc 7: ${error.message}\n${stderr}`));
      const results = new Map<string, Diagnostic[]>();
      let current: Diagnostic[] | undefined;
      let dir = '';
      for (const line of stdout.split('\n')) {
        const building = /Building project '(.+)\/tsconfig\.json'\.\.\./.exec(line);
        if (building) {
          dir = resolve(consumer, building[1]!);
          results.set(dir, (current = []));
          continue;
        }
        const error = /^(?:(.+?)\(\d+,\d+\): )?error (TS\d+): /.exec(line);
        if (error && current)
          current.push({
            file: error[1] ? relative(dir, resolve(consumer, error[1])) : '',
            code: error[2]!,
            text: line,
          });
      }
      resolvePromise(results);
    });
  });
}
