// `npm run bench [-- options]`: client CPU, wall time and memory of the shim against native and
// two reference approaches, plus a soak. The h2 server runs in a child process on this machine's
// Node; each runtime's client runs in a process of its own, so its CPU is the client's alone.
//
//   --quick                 fewer rounds and smaller workloads: a smoke run of the harness
//   --runtime a,b           node (this one), node22, node24, node26, bun, deno (as npm run compat finds them); default node
//   --rounds N              interleaved rounds for every workload (default: per workload, 12-60)
//   --workloads a,b         c1, c100, stream64m, streams10k (default all)
//   --variants a,b          shimmed, native-again, naive, listener-bind (default all; native always runs)
//   --soak-requests N       requests through one session in the soak (default 100000)
//   --no-soak               skip the soak
//   --extra name=file       also measure another build's connect() (e.g. an older dist/esm/index.js)
//   --instructions          count instructions instead of timing (valgrind cachegrind): each
//                           variant in a client process of its own, at two sizes; reports the
//                           marginal instructions per request (per MiB for stream64m)
//   --no-pin                don't pin the client to CPU 0 and the server to the last CPU
//   --write-readme          also write the tables into README.md's Performance section
//   --from file             render a saved run (test/bench/results/*.json) instead of running
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findRuntimes } from '../../compat/runtimes.mjs';
import { benchTable, instructionsTable, soakTable, summarize, summarizeInstructions, targetsTable } from './report.mjs';
import { workloads } from './workloads.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const argv = process.argv.slice(2);
const { values: opts } = parseArgs({
  args: argv,
  options: {
    quick: { type: 'boolean', default: false },
    runtime: { type: 'string', default: 'node' },
    rounds: { type: 'string' },
    workloads: { type: 'string', default: 'c1,c100,stream64m,streams10k' },
    variants: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    instructions: { type: 'boolean', default: false },
    'soak-requests': { type: 'string' },
    'no-soak': { type: 'boolean', default: false },
    extra: { type: 'string', multiple: true, default: [] },
    'write-readme': { type: 'boolean', default: false },
    from: { type: 'string' },
  },
});

/** What each kind of runtime needs to run the client: a way to force GC. */
const clientFlags = { node: ['--expose-gc'], bun: [], deno: ['run', '-A', '--v8-flags=--expose-gc'] };

const MIN = 60_000;
const base = {
  rounds: opts.rounds === undefined ? undefined : Number(opts.rounds),
  variants: opts.variants?.split(','),
  quick: opts.quick,
  workloads: opts.workloads.split(','),
  heapRuns: opts.quick ? 1 : 3,
  soakRequests: Number(opts['soak-requests'] ?? (opts.quick ? 10_000 : 100_000)),
  extras: Object.fromEntries(opts.extra.map((spec) => {
    const [name, file] = spec.split('=');
    return [name, resolve(file)];
  })),
};

// Client and server on different CPUs: on two cores, they otherwise take turns on one while
// the other idles, and the client's CPU time moves with how the scheduler places them.
const cpus = os.cpus().length;
const pinned = !opts['no-pin'] && cpus >= 2 && spawnSync('taskset', ['-V']).status === 0;
const pin = (cpu, command) => (pinned ? ['taskset', ['-c', String(cpu), ...command]] : [command[0], command.slice(1)]);

/**
 * Runs client.mjs on `runtime` (from findRuntimes) with `config`, under `wrapper` (a command
 * line prefix) if given; resolves its @@RESULT, killing it past `limitMs`.
 */
function runClient(runtime, config, limitMs, wrapper = []) {
  const name = runtime.id;
  const [file, argv] = pin(0, [...wrapper, runtime.bin, ...clientFlags[runtime.kind], join(here, 'client.mjs'), JSON.stringify({ ...config, hardLimitMs: limitMs })]);
  const child = spawn(file, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = setTimeout(() => child.kill('SIGKILL'), limitMs + 30_000);
  let stdout = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  // Cachegrind says which cache it would simulate even with --cache-sim=no and -q.
  const noise = /^--\d+-- warning: L3 cache found, using its data for the LL simulation\.\n/gm;
  child.stderr.on('data', (chunk) => process.stderr.write(String(chunk).replace(noise, '').replace(/^(?=.)/gm, `[${name}] `)));
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      const line = stdout.split('\n').find((l) => l.startsWith('@@RESULT '));
      if (code === 0 && line) return resolvePromise(JSON.parse(line.slice('@@RESULT '.length)));
      reject(new Error(`${name} client (${config.mode}) exited with ${signal ?? code}`));
    });
  });
}

/** Forks the server on this Node; it exits by itself when this process goes away. */
async function startServer() {
  const [execPath, execArgv] = pin(cpus - 1, [process.execPath]);
  const server = fork(join(here, 'server.mjs'), [], { execPath, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const message = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 10_000);
    server.once('message', (m) => { clearTimeout(timer); resolvePromise(m); });
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { origin: message.origin, stop: () => { server.disconnect(); server.kill(); } };
}

/** The variants a run measures, as client.mjs picks them: native always, the others unless --variants leaves them out. */
const variantNames = ['native', 'native-again', 'shimmed', 'naive', 'listener-bind']
  .filter((name) => !base.variants || name === 'native' || base.variants.includes(name))
  .concat(Object.keys(base.extras));

/**
 * Instructions the client executes, all threads, counted by cachegrind (no cache simulation):
 * a count of what ran, unmoved by whatever else the machine is doing. The server stays untraced.
 */
async function countInstructions(runtime, config) {
  const out = join(os.tmpdir(), `bench-cachegrind-${process.pid}-${Date.now()}.out`);
  const valgrind = ['valgrind', '--tool=cachegrind', '--cache-sim=no', '-q', `--cachegrind-out-file=${out}`];
  try {
    const result = await runClient(runtime, config, 20 * MIN, valgrind);
    const summary = /^summary:\s+(\d+)/m.exec(readFileSync(out, 'utf8'));
    if (!summary) throw new Error(`no summary line in ${out}`);
    return { instructions: Number(summary[1]), wrong: result.wrong };
  } finally {
    rmSync(out, { force: true });
  }
}

/**
 * Per workload that has instruction sizes: every variant in a process of its own at the smaller
 * size, then (in reverse order) at the larger. The difference of the two counts, divided by the
 * difference of the sizes, is the marginal cost per request (per MiB): start-up, connecting and
 * JIT warm-up are in both counts and cancel out.
 */
async function instructionsFor(runtime, origin) {
  const out = {};
  for (const id of base.workloads) {
    const spec = workloads[id].instructions;
    if (!spec) continue;
    const sizes = base.quick ? spec.quick : spec.full;
    const counts = Object.fromEntries(variantNames.map((name) => [name, []]));
    for (const [i, size] of sizes.entries()) {
      for (const name of i % 2 ? [...variantNames].reverse() : variantNames) {
        const config = { ...base, mode: 'instructions', origin, workload: id, variant: name, size };
        const { instructions, wrong } = await countInstructions(runtime, config);
        counts[name][i] = instructions;
        console.error(`[${runtime.id}] instructions ${id} ${name} ${size} ${spec.unit}s: ${instructions.toLocaleString('en')}${wrong ? `, ${wrong} wrong context` : ''}`);
      }
    }
    out[id] = { label: workloads[id].label(sizes[1]), unit: spec.unit, sizes, counts };
  }
  return out;
}

/** Runs every requested runtime against one server; returns the results, as saved. */
async function run() {
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length,
    os: `${os.type()} ${os.release()} ${os.arch()}`, memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    serverNode: process.version, pinned: pinned ? `client on CPU 0, server on CPU ${cpus - 1}` : 'no',
  };
  const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const results = { command, machine, startedAt: new Date().toISOString(), config: base, runtimes: {} };
  // The compat suite's runtimes, found where `npm ci` put them; one that is missing is reported.
  const names = opts.runtime.split(',');
  const { ready, skipped } = await findRuntimes(names);
  const unknown = names.filter((name) => ![...ready, ...skipped].some(({ id }) => id === name));
  if (unknown.length) throw new Error(`unknown runtime ${unknown.join(', ')}; one of node, node22, node24, node26, bun, deno`);
  for (const { id, reason } of skipped) results.runtimes[id] = { error: `skipped: ${reason}` };
  if (opts.instructions && spawnSync('valgrind', ['--version']).status !== 0) throw new Error('--instructions needs valgrind on the PATH');
  const server = await startServer();
  for (const runtime of ready) {
    const entry = (results.runtimes[runtime.id] = {});
    try {
      if (opts.instructions) {
        entry.version = (await runClient(runtime, { mode: 'version' }, MIN)).version;
        entry.instructions = await instructionsFor(runtime, server.origin);
        continue;
      }
      const bench = await runClient(runtime, { ...base, mode: 'bench', origin: server.origin, softLimitMs: 14 * MIN }, 18 * MIN);
      Object.assign(entry, { version: bench.version, raw: bench, summary: summarize(bench) });
      if (!opts['no-soak']) entry.soak = await runClient(runtime, { ...base, mode: 'soak', origin: server.origin }, 8 * MIN);
    } catch (error) {
      entry.error = error.message;
      console.error(`${runtime.id}: ${error.message}`);
    }
  }
  server.stop();
  return results;
}

/** The Markdown report of one run: machine, command, and per runtime the bench and soak tables. */
function render(results, file) {
  const { machine, command } = results;
  const lines = [
    `_Measured on ${results.startedAt.slice(0, 10)} with \`${command}\` (raw rounds: \`${file}\`)._`,
    `_Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; server on Node ${machine.serverNode}; pinned: ${machine.pinned}._`,
    '',
  ];
  if (Object.values(results.runtimes).some((entry) => entry.summary)) {
    lines.push('Client CPU and wall time are medians over interleaved rounds (ABBA: the variants in one order, then the reverse); each ratio is the median of per-round ratios to native in the same round, with a 95 % bootstrap interval. Main-thread CPU is `process.threadCpuUsage()`, where the runtime has it. `native-again` is a second native session: how far native strays from itself on this machine.', '', targetsTable(results.runtimes));
  } else {
    lines.push('Instructions executed by the client process (all its threads), counted by cachegrind with no cache simulation; each variant in a process of its own, at two sizes. Marginal = the difference of the two counts over the difference of the sizes, so start-up and JIT warm-up cancel out. `native-again` is native in a second process: how far the count strays from itself.');
  }
  for (const [name, entry] of Object.entries(results.runtimes)) {
    lines.push('', `#### ${name} ${entry.version ?? ''}`.trimEnd(), '');
    if (entry.error) {
      lines.push(`failed: ${entry.error}`);
      continue;
    }
    if (entry.instructions) {
      lines.push(instructionsTable(summarizeInstructions(entry.instructions)));
      continue;
    }
    const counts = Object.entries(entry.summary).map(([w, { rows }]) => `${w} ${rows.native.rounds}`);
    lines.push(`Rounds: ${counts.join(', ')}.`, '', benchTable(entry.summary));
    if (entry.soak) lines.push('', `Soak, ${entry.soak.soakRequests} requests at concurrency 100 through one session, then GC:`, '', soakTable(entry.soak));
  }
  return lines.join('\n');
}

/** Replaces what lies between the bench markers in README.md with `report`. */
function writeReadme(report) {
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const path = join(root, 'README.md');
  const readme = readFileSync(path, 'utf8');
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from === -1 || to < from) throw new Error(`README.md has no ${start} … ${end} markers`);
  const note = '<!-- Generated by `npm run bench -- --write-readme` (or `--from <results file> --write-readme`); edits here are overwritten. -->';
  writeFileSync(path, `${readme.slice(0, from + start.length)}\n${note}\n${report}\n${readme.slice(to)}`);
  console.log('\nREADME.md: Performance section written.');
}

let results;
let file;
if (opts.from) {
  file = resolve(opts.from);
  results = JSON.parse(readFileSync(file, 'utf8'));
} else {
  results = await run();
  const date = results.startedAt.slice(0, 10);
  const suffix = `${opts.instructions ? '-instructions' : ''}${opts.quick ? '-quick' : ''}`;
  file = join(here, 'results', `${opts.runtime.replaceAll(',', '+')}-${date}${suffix}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
const report = render(results, file.slice(root.length + 1));
console.log(`\n${report}`);
if (opts['write-readme']) writeReadme(report);
process.exitCode = Object.values(results.runtimes).some((entry) => entry.error) ? 1 : 0;
