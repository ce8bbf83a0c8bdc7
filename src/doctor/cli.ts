#!/usr/bin/env node
// The `http2-async-context` bin. One command today: `doctor`, the first thing a new user runs.
import { readFileSync, realpathSync, type Stats, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { clientRunLegend, formatClientRun } from './client-scenarios/client-report.js';
import {
  type ClientMode,
  type ClientName,
  clientNamed,
  clientNames,
  clientPackages,
  runClientStack,
} from './client-scenarios/stack.js';
import { formatStackReport, runClean, runStackDoctor } from './client-scenarios/stack-doctor.js';
import { detectRuntime, runDoctor } from './doctor.js';
import { doctorCommand } from './next-step.js';
import { formatDoctorReport } from './table.js';

const usage = `Usage: http2-async-context doctor [--json] [--origin <url>]
       http2-async-context doctor --clients [--from <dir>] [--only <names>] [--mode <mode>] [--json]
       http2-async-context --help | --version

doctor runs every scenario on this runtime with http2.connect and with this package's connect(),
and shows in which store each stream listener ran.

doctor --clients runs the HTTP/2 clients your project has installed (@grpc/grpc-js, http2-wrapper,
got, undici) against a loopback server (h2c for grpc-js, else TLS with a certificate made for this
run only): cold, warm, after a GOAWAY and, for grpc-js, across a server restart; natively, with
the register preload (in a child process) and with the explicit helpers. --mode late calls
patchClients() after the clients loaded.

Options:
  --json            print the report as JSON instead of a table
  --origin <url>    use a scenario server already listening at <url> instead of starting one
  --clients         measure the installed HTTP/2 client libraries instead of node:http2 itself
  --from <dir>      the project whose clients --clients measures (default: the current directory)
  --only <names>    comma-separated clients: grpc-js or @grpc/grpc-js, http2-wrapper, got, undici
  --mode <mode>     one mode, in this process: native, register (preload it yourself), explicit, late
  --help, -h        show this help
  --version, -v     print the version of http2-async-context

Exit status: 0 when everything with the package is right, 1 when something is not, 2 on bad arguments.`;

interface DoctorArguments {
  json: boolean;
  origin?: string;
  clients: boolean;
  from?: string;
  only?: ClientName[];
  mode?: ClientMode;
}

/** Why the arguments are unusable, in one line. */
interface ArgumentError {
  error: string;
}

const modes: readonly string[] = ['native', 'register', 'explicit', 'late'] satisfies ClientMode[];
/** The flags that take a value, and what `… needs` says when it is missing. */
const valueFlags: Readonly<Record<string, string>> = {
  '--origin': 'a URL',
  '--from': 'a directory',
  '--only': 'client names',
  '--mode': `one of ${modes.join(', ')}`,
};
const flags = ['--json', '--clients', ...Object.keys(valueFlags), '--help', '--version'];

/**
 * Edit distance (optimal string alignment: a swap of two neighbours counts one) between `a` and
 * `b`, for suggesting the flag a typo meant.
 */
function distance(a: string, b: string): number {
  const rows = [...Array(a.length + 1)].map((_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** ` (did you mean --json?)` when one of `candidates` is at most two edits from `word`, else ''. */
function suggestion(word: string, candidates: readonly string[]): string {
  const [best] = candidates
    .map((candidate) => ({ candidate, edits: distance(word, candidate) }))
    .filter(({ edits }) => edits <= 2)
    .sort((x, y) => x.edits - y.edits);
  return best ? ` (did you mean ${best.candidate}?)` : '';
}

/** `--only`'s names: doctor or npm names, spaces around the commas allowed. */
function parseOnly(value: string): ClientName[] | ArgumentError {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const known = `grpc-js or ${clientPackages['grpc-js']}, ${clientNames.slice(1).join(', ')}`;
  if (names.length === 0) return { error: `--only needs client names (known: ${known})` };
  const clients: ClientName[] = [];
  for (const name of names) {
    const client = clientNamed(name.toLowerCase());
    if (client === undefined) return { error: `--only: unknown client ${name} (known: ${known})` };
    if (!clients.includes(client)) clients.push(client);
  }
  return clients;
}

/** Why `from` cannot be the project directory, or undefined if it can. */
function checkFrom(from: string): string | undefined {
  let stats: Stats;
  try {
    stats = statSync(from);
  } catch {
    return `--from: no such directory: ${from}`;
  }
  return stats.isDirectory() ? undefined : `--from: not a directory: ${from}`;
}

/** Sets `flag` (one of `valueFlags`) from `value`; an error says why `value` is unusable. */
function setValue(parsed: DoctorArguments, flag: string, value: string | undefined): ArgumentError | undefined {
  if (value === undefined || value.startsWith('--')) return { error: `${flag} needs ${valueFlags[flag]}` };
  if (flag === '--origin') {
    if (!URL.canParse(value)) return { error: `--origin: not a URL: ${value}` };
    parsed.origin = value;
  } else if (flag === '--from') {
    const why = checkFrom(value);
    if (why !== undefined) return { error: why };
    parsed.from = value;
  } else if (flag === '--only') {
    const only = parseOnly(value);
    if ('error' in only) return only;
    parsed.only = only;
  } else {
    if (!modes.includes(value)) return { error: `--mode must be one of ${modes.join(', ')}, not ${value}` };
    parsed.mode = value as ClientMode;
  }
  return undefined;
}

/** Parses `doctor …`, `--help` or `--version`; an error is why the arguments are unusable. */
function parseArguments(args: readonly string[]): DoctorArguments | 'help' | 'version' | ArgumentError {
  const [command, ...rest] = args;
  if (command === '--help' || command === '-h' || command === 'help') return 'help';
  if (command === '--version' || command === '-v') return 'version';
  if (command === undefined) return { error: 'missing command: the one command is doctor' };
  if (command !== 'doctor') {
    return { error: `unknown command: ${command}${suggestion(command, ['doctor']) || ' (the one command is doctor)'}` };
  }
  const parsed: DoctorArguments = { json: false, clients: false };
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = splitInline(rest[i]!);
    if (flag === '--json') parsed.json = true;
    else if (flag === '--clients') parsed.clients = true;
    else if (flag === '--help' || flag === '-h') return 'help';
    else if (flag === '--version' || flag === '-v') return 'version';
    else if (Object.hasOwn(valueFlags, flag)) {
      const failed = setValue(parsed, flag, inline ?? rest[++i]);
      if (failed) return failed;
    } else if (flag.startsWith('-')) return { error: `unknown option: ${flag}${suggestion(flag, flags)}` };
    else return { error: `unexpected argument: ${flag}` };
  }
  const clientFlag = parsed.from ?? parsed.only ?? parsed.mode;
  if (!parsed.clients && clientFlag !== undefined) return { error: '--from, --only and --mode go with --clients' };
  if (parsed.clients && parsed.origin !== undefined) return { error: '--origin does not go with --clients' };
  return parsed;
}

/** `--only=undici` as `['--only', 'undici']`, for the flags that take a value. */
function splitInline(argument: string): [string, string | undefined] {
  const equals = argument.indexOf('=');
  if (!argument.startsWith('--') || equals < 0) return [argument, undefined];
  const flag = argument.slice(0, equals);
  return Object.hasOwn(valueFlags, flag) ? [flag, argument.slice(equals + 1)] : [argument, undefined];
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
