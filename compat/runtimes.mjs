// The six runtimes the compat suite runs on, found where `npm ci` put them, and how to start a
// program on each: plainly, or with that runtime's way of preloading http2-async-context/register.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** Preload flags per runtime kind, measured on this repo. */
// Deno looks for a newer version of itself on the internet at start-up unless told not to; every
// Deno this suite and the bench start inherits this, so nothing leaves the machine.
process.env.DENO_NO_UPDATE_CHECK = '1';

const kinds = {
  // Self-reference resolves the package's own exports map from any file inside the repo.
  node: {
    prefix: [],
    preloads: {
      '--import': ['--import', 'http2-async-context/register'],
      '-r': ['-r', 'http2-async-context/register'],
    },
  },
  bun: { prefix: [], preloads: { '--preload': ['--preload', './dist/esm/register.js'] } },
  // Deno resolves neither a bare specifier nor npm:http2-async-context (not its own dependency) here.
  deno: { prefix: ['run', '-A'], preloads: { '--preload': ['--preload', './dist/esm/register.js'] } },
};

/** Where each runtime's npm package puts its binary; `.exe` names are what Windows installs. */
const definitions = [
  { id: 'node', kind: 'node', candidates: [process.execPath] },
  { id: 'node22', kind: 'node', candidates: ['node_modules/node22/bin/node', 'node_modules/node22/bin/node.exe'] },
  { id: 'node24', kind: 'node', candidates: ['node_modules/node24/bin/node', 'node_modules/node24/bin/node.exe'] },
  { id: 'node26', kind: 'node', candidates: ['node_modules/node26/bin/node', 'node_modules/node26/bin/node.exe'] },
  { id: 'bun', kind: 'bun', candidates: ['node_modules/bun/bin/bun.exe', 'node_modules/bun/bin/bun'] },
  { id: 'deno', kind: 'deno', candidates: ['node_modules/deno/deno', 'node_modules/deno/deno.exe'] },
];

/**
 * Where the client libraries are installed: each library's latest at the root; in workspaces, the
 * newest of each previous major, the first release of each newest major, and the oldest supported.
 */
const clientSets = ['.', 'test/clients/previous', 'test/clients/first', 'test/clients/oldest'];

/** The bin file, read from package.json: the CLI is a public entry. */
export const cli = Object.values(JSON.parse(readFileSync('package.json', 'utf8')).bin)[0];

/**
 * Runs `args` with `bin` and resolves `{ code, stdout, stderr, error }`; never rejects, so that
 * one runtime's failure is reported beside the others instead of ending the run. `options.env`
 * replaces the environment the program gets.
 */
export function run(bin, args, timeout = 120_000, options = {}) {
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      { timeout, maxBuffer: 64 * 1024 * 1024, ...(options.env && { env: options.env }) },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : (error.signal ?? error.code)) : 0;
        resolve({ code, stdout, stderr, ...(error?.killed && { error: `killed after ${timeout} ms` }) });
      },
    );
  });
}

/**
 * The runtimes named in `only` (all when empty), each either ready (its binary answers
 * `--version`) or skipped with the reason, so a missing runtime is never silently passed.
 */
export async function findRuntimes(only = []) {
  const ready = [];
  const skipped = [];
  for (const definition of definitions.filter(({ id }) => only.length === 0 || only.includes(id))) {
    const bin = definition.candidates.find((candidate) => existsSync(candidate));
    if (!bin) {
      skipped.push({
        id: definition.id,
        reason: `no binary at ${definition.candidates.join(' or ')} (not installed: its npm package may ship no binary for ${process.platform}-${process.arch})`,
      });
      continue;
    }
    const probe = await run(bin, ['--version'], 30_000);
    if (probe.code !== 0) {
      skipped.push({
        id: definition.id,
        reason: `${bin} --version failed (${probe.code}): ${probe.stderr.trim().split('\n')[0] ?? ''}`,
      });
      continue;
    }
    ready.push({ ...definition, bin, ...kinds[definition.kind] });
  }
  return { ready, skipped };
}

/** Parses the JSON a program printed last, or explains why there is none. */
export function parseJson(result, what) {
  try {
    return { value: JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) };
  } catch {
    const stderr = result.stderr.trim().split('\n').slice(-3).join(' | ');
    return {
      error: `${what}: exit ${result.code}${result.error ? `, ${result.error}` : ''}, no JSON on stdout${stderr ? ` (stderr: ${stderr})` : ''}`,
    };
  }
}

/** A runtime that died of a signal (not our timeout), or with a status above 128, crashed. */
function crashed(result) {
  return !result.error && (typeof result.code === 'string' || result.code > 128);
}

/**
 * Runs `args` and parses its JSON; once more if the runtime crashed before printing any. Deno
 * 2.9.5 aborted once in about 200 doctor runs on an nghttp2 assertion (find_stream_on_goaway_func):
 * a runtime crash, reported in the notes, not a result to fail the shim on or to hide.
 */
async function runParsed(runtime, args, what, notes) {
  let result = await run(runtime.bin, args);
  let parsed = parseJson(result, what);
  if (parsed.error && crashed(result)) {
    const stderr = result.stderr.trim().split('\n').at(-1);
    notes.push(`${what} crashed (${result.code}${stderr ? `: ${stderr}` : ''}); ran it again`);
    result = await run(runtime.bin, args);
    parsed = parseJson(result, what);
  }
  return parsed;
}

/**
 * Everything the suite runs on one runtime, one process after another: the doctor plainly
 * (native and connect()), the doctor under register (its native column is register), and the
 * register probe under every preload flag and with --patch-late, the coexistence probe, then the
 * client doctor for each installed set of client libraries.
 */
export async function runRuntime(runtime, origin) {
  const doctor = ['doctor', '--json', '--origin', origin];
  const [firstPreload] = Object.values(runtime.preloads);
  const errors = [];
  const notes = [];
  const parsed = async (args, what) => {
    const { value, error } = await runParsed(runtime, [...runtime.prefix, ...args], what, notes);
    if (error) errors.push(error);
    return value;
  };
  const plain = await parsed([cli, ...doctor], 'doctor');
  const register = await parsed([...firstPreload, cli, ...doctor], 'doctor under register');
  const probes = [];
  for (const [variant, preload] of [...Object.entries(runtime.preloads), ['--patch-late', []]]) {
    const late = variant === '--patch-late' ? [variant] : [];
    const probe = await parsed([...preload, 'compat/register-probe.mjs', ...late], `register probe ${variant}`);
    probes.push({ variant, forms: probe?.forms ?? {} });
  }
  const coexistence = await parsed(['compat/coexistence-probe.mjs'], 'coexistence probe');
  // The client doctor starts its own register child of this runtime; the oldest versions of the
  // clients live in a workspace that Bun and Deno resolve as well.
  const clients = [];
  for (const from of clientSets) {
    const report = await parsed([cli, 'doctor', '--clients', '--json', '--from', from], `client doctor --from ${from}`);
    if (report) clients.push(report);
  }
  return { id: runtime.id, plain, register, probes, coexistence: coexistence?.checks ?? {}, clients, errors, notes };
}
