#!/usr/bin/env node
// The `http2-async-context` bin. One command today: `doctor`, the first thing a new user runs.
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runDoctor } from './doctor/doctor.js';
import { formatDoctorReport } from './doctor/table.js';

const usage = `Usage: http2-async-context doctor [--json] [--origin <url>]
       http2-async-context --version

Runs every scenario on this runtime, with http2.connect and with this package's connect(),
and shows in which scope each stream listener ran. Exits 0 only when every shimmed cell is right.

  --json          print the report as JSON instead of a table
  --origin <url>  use a scenario server that is already listening (the compat runner's),
                  instead of starting one in this process
  --help, -h      show this text
  --version, -v   print the version of http2-async-context`;

interface DoctorArguments {
  json: boolean;
  origin?: string;
}

/** Parses `doctor [--json] [--origin <url>]`, `--help` or `--version`; a string is the reason the arguments are unusable. */
function parseArguments(args: readonly string[]): DoctorArguments | 'help' | 'version' | string {
  const [command, ...flags] = args;
  if (command === '--help' || command === '-h' || command === 'help') return 'help';
  if (command === '--version' || command === '-v') return 'version';
  if (command !== 'doctor') return command === undefined ? 'missing command' : `unknown command: ${command}`;
  const parsed: DoctorArguments = { json: false };
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i];
    if (flag === '--json') parsed.json = true;
    else if (flag === '--help' || flag === '-h') return 'help';
    else if (flag === '--origin' && flags[i + 1] !== undefined) parsed.origin = flags[++i];
    else return flag === '--origin' ? '--origin needs a URL' : `unknown option: ${flag}`;
  }
  return parsed;
}

/**
 * The version in this package's own package.json, two folders above the running bin
 * (dist/esm/cli.js; dist/cjs/cli.js is built too). Found from `process.argv[1]` because this file
 * is also compiled to CommonJS, where `import.meta.url` cannot be written; realpath because
 * node_modules/.bin holds a symlink to it.
 */
function packageVersion(): string {
  const manifest = join(dirname(realpathSync(process.argv[1]!)), '..', '..', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Writes `text` and resolves once the runtime has taken it, so that exiting cannot cut it short. */
function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
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
  if (typeof parsed === 'string') {
    await write(process.stderr, `http2-async-context: ${parsed}\n\n${usage}\n`);
    return 2;
  }
  const report = await runDoctor(parsed.origin === undefined ? {} : { origin: parsed.origin });
  await write(process.stdout, parsed.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctorReport(report)}\n`);
  return report.ok ? 0 : 1;
}

// An explicit exit: in Bun 1.4.5 a client session that received a GOAWAY keeps the process alive
// after destroy() when the server is in another process (--origin). Not a top-level await: this
// file is also compiled to CommonJS. Bun and Deno give `process.argv` Node's shape.
void main(process.argv.slice(2)).then((code) => process.exit(code));
