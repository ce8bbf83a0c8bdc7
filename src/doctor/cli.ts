#!/usr/bin/env node
// The `http2-async-context` bin. One command today: `doctor`, the first thing a new user runs.
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type DoctorArguments, parseArguments, usage } from './arguments.js';
import { clientRunLegend, formatClientRun } from './client-scenarios/client-report.js';
import { runClientStack } from './client-scenarios/stack.js';
import { formatStackReport, runClean, runStackDoctor } from './client-scenarios/stack-doctor.js';
import { detectRuntime, runDoctor } from './doctor.js';
import { doctorCommand } from './next-step.js';
import { formatDoctorReport } from './table.js';

/**
 * The version in this package's own package.json, three folders above the running bin
 * (dist/esm/doctor/cli.js; dist/cjs/doctor/cli.js is built too). Found from `process.argv[1]`
 * because this file is also compiled to CommonJS, where `import.meta.url` cannot be written;
 * realpath because node_modules/.bin holds a symlink to it.
 */
function packageVersion(): string {
  const manifest = join(dirname(realpathSync(process.argv[1]!)), '..', '..', '..', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** This bin and the register entry beside it, for the child process of the register mode. */
function builtFiles(): { cli: string; register: string } {
  const cli = realpathSync(process.argv[1]!);
  return { cli, register: join(dirname(cli), '..', 'register.js') };
}

/** `doctor --clients`: every mode (the report), or one mode in this process (its entries). */
async function clientsDoctor(parsed: DoctorArguments): Promise<number> {
  const selection = {
    ...(parsed.from !== undefined && { from: parsed.from }),
    ...(parsed.only && { only: parsed.only }),
  };
  if (parsed.mode !== undefined) {
    const entries = await runClientStack({ ...selection, mode: parsed.mode });
    const text = parsed.json
      ? JSON.stringify({ entries }, null, 2)
      : entries
          .map((entry) =>
            entry.run ? formatClientRun(entry.run) : `${entry.package} ${entry.version}: ${entry.skipped}`,
          )
          .join('\n\n');
    const legend = entries.some((entry) => entry.run) ? `\n\n${clientRunLegend.join('\n')}` : '';
    await write(process.stdout, `${text}${parsed.json ? '' : legend}\n`);
    return entries.every((entry) => entry.mode === 'native' || runClean(entry.run)) ? 0 : 1;
  }
  const report = await runStackDoctor({ ...selection, files: builtFiles() });
  await write(process.stdout, parsed.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatStackReport(report)}\n`);
  return report.ok ? 0 : 1;
}

/** A reader that went away before the end (`doctor --json | head -c 20`). */
function closedPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

/**
 * Writes `text` and resolves once the runtime has taken it, so that exiting cannot cut it short.
 * A closed pipe ends the output quietly, as other command-line tools do: Node reports it in the
 * write's callback and as the stream's `error` event (a listener below keeps that from throwing),
 * Deno 2.9 throws it from `write()`. Any other error surfaces as it would without this.
 */
function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    try {
      stream.write(text, () => resolve());
    } catch (error) {
      if (!closedPipe(error)) throw error;
      resolve();
    }
  });
}

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (!closedPipe(error)) throw error;
  });
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = parseArguments(args);
  if (parsed === 'help') {
    await write(process.stdout, `${usage}\n`);
    return 0;
  }
  if (parsed === 'version') {
    await write(process.stdout, `${packageVersion()}\n`);
    return 0;
  }
  if ('error' in parsed) {
    const help = `${doctorCommand(detectRuntime().name)} --help`;
    await write(process.stderr, `http2-async-context: ${parsed.error}\nRun '${help}' for the options.\n`);
    return 2;
  }
  if (parsed.clients) return clientsDoctor(parsed);
  const report = await runDoctor(parsed.origin === undefined ? {} : { origin: parsed.origin });
  await write(process.stdout, parsed.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctorReport(report)}\n`);
  return report.ok ? 0 : 1;
}

// An explicit exit: in Bun 1.4.5 a client session that received a GOAWAY keeps the process alive
// after destroy() when the server is in another process (--origin). Not a top-level await: this
// file is also compiled to CommonJS. Bun and Deno give `process.argv` Node's shape.
void main(process.argv.slice(2)).then((code) => process.exit(code));
