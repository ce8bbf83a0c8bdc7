// The command line of the `http2-async-context` bin: its usage text, and the parse that turns
// argv into what to run or into one line saying why not.
import { type Stats, statSync } from 'node:fs';
import { type ClientName, clientNamed, clientNames, clientPackages } from './client-scenarios/installed-clients.js';
import type { ClientMode } from './client-scenarios/stack.js';

export const usage = `Usage: http2-async-context doctor [--json] [--origin <url>]
       http2-async-context doctor --clients [--from <dir>] [--only <names>] [--mode <mode>] [--json]
       http2-async-context --help | --version

doctor runs every scenario on this runtime with http2.connect and with this package's connect(),
and shows in which store each stream listener ran.

doctor --clients runs the HTTP/2 clients your project has installed (@grpc/grpc-js, http2-wrapper,
got, undici) against a loopback server (h2c for grpc-js, else TLS with a certificate made for this
run only): cold, warm, after a GOAWAY and, for grpc-js, across a server restart; natively, with
the register preload (in a child process) and with the explicit helpers. --mode late calls
patchClients() after the clients loaded. --from, --only and --mode measure the clients too:
they imply --clients.

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

export interface DoctorArguments {
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
export function parseArguments(args: readonly string[]): DoctorArguments | 'help' | 'version' | ArgumentError {
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
  const clientsFlag = clientsFlagOf(parsed);
  if (clientsFlag !== undefined && parsed.origin !== undefined)
    return { error: `--origin does not go with ${clientsFlag}` };
  // `doctor --only grpc-js` asks for the clients: each of these flags means nothing else.
  parsed.clients = clientsFlag !== undefined;
  return parsed;
}

/** A flag given that measures the clients (`--clients`, or one that implies it), if any. */
function clientsFlagOf(parsed: DoctorArguments): string | undefined {
  if (parsed.clients) return '--clients';
  if (parsed.from !== undefined) return '--from';
  if (parsed.only !== undefined) return '--only';
  return parsed.mode === undefined ? undefined : '--mode';
}

/** `--only=undici` as `['--only', 'undici']`, for the flags that take a value. */
function splitInline(argument: string): [string, string | undefined] {
  const equals = argument.indexOf('=');
  if (!argument.startsWith('--') || equals < 0) return [argument, undefined];
  const flag = argument.slice(0, equals);
  return Object.hasOwn(valueFlags, flag) ? [flag, argument.slice(equals + 1)] : [argument, undefined];
}
