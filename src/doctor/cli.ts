#!/usr/bin/env node
// The `http2-async-context` bin. One command today: `doctor`, the first thing a new user runs.
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { clientRunLegend, formatClientRun } from './client-scenarios/client-report.js';
import { type ClientMode, clientNames, runClientStack } from './client-scenarios/stack.js';
import { formatStackReport, runClean, runStackDoctor } from './client-scenarios/stack-doctor.js';
import { runDoctor } from './doctor.js';
import { formatDoctorReport } from './table.js';

const usage = `Usage: http2-async-context doctor [--json] [--origin <url>]
       http2-async-context doctor --clients [--from <dir>] [--only <names>] [--mode <mode>] [--json]
       http2-async-context --version

doctor runs every scenario on this runtime, with http2.connect and with this package's
connect(), and shows in which scope each stream listener ran. Exits 0 only when every shimmed
cell is right.

doctor --clients runs the HTTP/2 clients your project has installed (@grpc/grpc-js,
http2-wrapper, got, undici) against a loopback server: cold, warm, after a GOAWAY and, for
grpc-js, across a server restart; natively, with the register preload and with the explicit
helpers. Exits 0 only when every run with the fix keeps every callback in its request's store.

  --json          print the report as JSON instead of a table
  --origin <url>  use a scenario server that is already listening (the compat runner's),
                  instead of starting one in this process
  --clients       measure the installed HTTP/2 clients instead of node:http2 itself
  --from <dir>    the project whose clients to measure (default: the current directory)
  --only <names>  comma-separated subset: grpc-js,http2-wrapper,got,undici
  --mode <mode>   one mode only, in this process: native, register (start the process with
                  the preload yourself), explicit, or late (patchClients() after loading)
  --help, -h      show this text
  --version, -v   print the version of http2-async-context`;

interface DoctorArguments {
  json: boolean;
  origin?: string;
  clients: boolean;
  from?: string;
  only?: string[];
  mode?: ClientMode;
}

const modes: readonly string[] = ['native', 'register', 'explicit', 'late'] satisfies ClientMode[];

/** The value after `flag`, checked; a string starting with `!` is the reason it is unusable. */
function flagValue(flag: string, value: string | undefined): string {
  if (value === undefined || value.startsWith('--')) return `!${flag} needs a value`;
  if (flag === '--mode' && !modes.includes(value)) return `!--mode must be one of ${modes.join(', ')}`;
  if (flag === '--only') {
    const unknown = value.split(',').find((name) => !(clientNames as readonly string[]).includes(name));
    if (unknown !== undefined) return `!--only: unknown client ${unknown} (known: ${clientNames.join(', ')})`;
  }
  return value;
}

/**
 * Parses `doctor [--json] [--origin <url>]`, `--help` or `--version`; a string is the reason the
 * arguments are unusable.
 */
function parseArguments(args: readonly string[]): DoctorArguments | 'help' | 'version' | string {
  const [command, ...flags] = args;
  if (command === '--help' || command === '-h' || command === 'help') return 'help';
  if (command === '--version' || command === '-v') return 'version';
  if (command !== 'doctor') return command === undefined ? 'missing command' : `unknown command: ${command}`;
  const parsed: DoctorArguments = { json: false, clients: false };
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    if (flag === '--json') parsed.json = true;
    else if (flag === '--clients') parsed.clients = true;
    else if (flag === '--help' || flag === '-h') return 'help';
    else if (flag === '--origin' && flags[i + 1] !== undefined) parsed.origin = flags[++i];
    else if (flag === '--origin') return '--origin needs a URL';
    else if (flag === '--from' || flag === '--only' || flag === '--mode') {
      const value = flagValue(flag, flags[++i]);
      if (value.startsWith('!')) return value.slice(1);
      if (flag === '--from') parsed.from = value;
      else if (flag === '--only') parsed.only = value.split(',');
      else parsed.mode = value as ClientMode;
    } else return `unknown option: ${flag}`;
  }
  const clientFlag = parsed.from ?? parsed.only ?? parsed.mode;
  if (!parsed.clients && clientFlag !== undefined) return '--from, --only and --mode go with --clients';
  if (parsed.clients && parsed.origin !== undefined) return '--origin does not go with --clients';
  return parsed;
}

/**
 * The version in this package's own package.json, three folders above the running bin
 * (dist/esm/doctor/cli.js; dist/cjs/doctor/cli.js is built too). Found from `process.argv[1]` because this file
 * is also compiled to CommonJS, where `import.meta.url` cannot be written; realpath because
 * node_modules/.bin holds a symlink to it.
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
  if (parsed.clients) return clientsDoctor(parsed);
  const report = await runDoctor(parsed.origin === undefined ? {} : { origin: parsed.origin });
  await write(process.stdout, parsed.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctorReport(report)}\n`);
  return report.ok ? 0 : 1;
}

// An explicit exit: in Bun 1.4.5 a client session that received a GOAWAY keeps the process alive
// after destroy() when the server is in another process (--origin). Not a top-level await: this
// file is also compiled to CommonJS. Bun and Deno give `process.argv` Node's shape.
void main(process.argv.slice(2)).then((code) => process.exit(code));
