// Type-checks many small consumer projects in two processes: TypeScript 5.x through its compiler
// API in this one, TypeScript 7 (a native binary with no synchronous JS API) in one `tsc -b`.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const fixtures = fileURLToPath(new URL('../fixtures/consumer-types/', import.meta.url));
const typescript7 = fileURLToPath(new URL('../../node_modules/typescript7/', import.meta.url));

export const typescriptVersions = {
  ts5: ts.version,
  ts7: (JSON.parse(readFileSync(join(typescript7, 'package.json'), 'utf8')) as { version: string }).version,
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
  return [c.compiler, c.module, c.moduleResolution ?? 'default', `interop-${c.esModuleInterop ?? 'default'}`, `skiplib-${c.skipLibCheck}`].join('-');
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
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, types: ['node'], ...options },
    files,
  }, null, 2)}\n`);
  return dir;
}

/**
 * TypeScript 5 in this process. The projects share parsed files through a document registry
 * (keyed by the options that change parsing, so sharing is only done where tsc would parse the
 * same). Diagnostics are asked of the consumer's files and the package's, not of @types/node
 * or lib files: they are not ours, and checking them is most of tsc's time, per configuration.
 */
export function checkWithTypeScript5(dirs: readonly string[]): Map<string, Diagnostic[]> {
  const registry = ts.createDocumentRegistry();
  const results = new Map<string, Diagnostic[]>();
  for (const dir of dirs) {
    const config = ts.getParsedCommandLineOfConfigFile(join(dir, 'tsconfig.json'), undefined, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => { throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')); },
    })!;
    const host = ts.createCompilerHost(config.options);
    host.getSourceFile = (fileName, languageVersionOrOptions) => {
      const text = ts.sys.readFile(fileName);
      return text === undefined ? undefined : registry.acquireDocument(fileName, config.options, ts.ScriptSnapshot.fromString(text), '0', undefined, languageVersionOrOptions);
    };
    const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
    const ours = program.getSourceFiles().filter((file) => !file.fileName.includes('/node_modules/') || file.fileName.includes('/node_modules/http2-async-context/'));
    const diagnostics = [
      ...config.errors, ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(),
      ...ours.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
    ];
    results.set(dir, diagnostics.map((diagnostic) => ({
      file: diagnostic.file ? relative(dir, diagnostic.file.fileName) : '',
      code: `TS${diagnostic.code}`,
      text: ts.formatDiagnostic(diagnostic, { ...host, getCurrentDirectory: () => dir }).trim(),
    })));
  }
  return results;
}

/**
 * TypeScript 7 in one `tsc -b` over every project, single-threaded (the machine has two cores
 * and other tests run beside). `--verbose` names each project before its errors.
 */
export function checkWithTypeScript7(consumer: string, dirs: readonly string[]): Promise<Map<string, Diagnostic[]>> {
  const args = [join(typescript7, 'bin/tsc'), '-b', '--singleThreaded', '--verbose', '--pretty', 'false', ...dirs.map((dir) => relative(consumer, dir))];
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
          results.set(dir, current = []);
          continue;
        }
        const error = /^(?:(.+?)\(\d+,\d+\): )?error (TS\d+): /.exec(line);
        if (error && current) current.push({ file: error[1] ? relative(dir, resolve(consumer, error[1])) : '', code: error[2]!, text: line });
      }
      resolvePromise(results);
    });
  });
}
