// `node check-with-typescript5.mjs <project dir>...`: type-checks each project with the
// repository's TypeScript 5 through its compiler API, in this one process, and prints
// { [dir]: [{ file, code, text }] } as JSON. A process of its own so that it runs without the
// coverage collection of the test worker, which made it twice as slow.
//
// The projects share parsed files through a document registry (keyed by the options that
// change parsing, so a file is shared only where tsc would parse it the same). Diagnostics are
// asked of the consumer's files and the package's, not of @types/node or lib files: they are
// not ours, and checking them again is most of tsc's time, per configuration.
import { join, relative } from 'node:path';
import ts from 'typescript';

const registry = ts.createDocumentRegistry();
const results = {};
for (const dir of process.argv.slice(2)) {
  const config = ts.getParsedCommandLineOfConfigFile(join(dir, 'tsconfig.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  const host = ts.createCompilerHost(config.options);
  host.getSourceFile = (fileName, languageVersionOrOptions) => {
    const text = ts.sys.readFile(fileName);
    return text === undefined
      ? undefined
      : registry.acquireDocument(
          fileName,
          config.options,
          ts.ScriptSnapshot.fromString(text),
          '0',
          undefined,
          languageVersionOrOptions,
        );
  };
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
  const ours = program
    .getSourceFiles()
    .filter(
      (file) =>
        !file.fileName.includes('/node_modules/') || file.fileName.includes('/node_modules/http2-async-context/'),
    );
  const diagnostics = [
    ...config.errors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...ours.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ];
  results[dir] = diagnostics.map((diagnostic) => ({
    file: diagnostic.file ? relative(dir, diagnostic.file.fileName) : '',
    code: `TS${diagnostic.code}`,
    text: ts.formatDiagnostic(diagnostic, { ...host, getCurrentDirectory: () => dir }).trim(),
  }));
}
process.stdout.write(JSON.stringify(results));
