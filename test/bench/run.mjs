// `npm run bench [-- options]`: client CPU, wall time and memory of the shim against native and
// two reference approaches, plus a soak. The h2 server runs in a child process on this machine's
// Node; each runtime's client runs in a process of its own, so its CPU is the client's alone.
//
//   --quick                 fewer rounds and smaller workloads: a smoke run of the harness
//   --runtime a,b           node (this one), node22, node24, node26, bun, deno; default node
//   --rounds N              interleaved rounds for every workload (default: per workload, 15-40)
//   --workloads a,b         c1, c100, stream64m, streams10k (default all)
//   --variants a,b          shimmed, native-again, naive, listener-bind (default all; native always runs)
//   --soak-requests N       requests through one session in the soak (default 100000)
//   --no-soak               skip the soak
//   --extra name=file       also measure another build's connect() (e.g. an older dist/esm/index.js)
//   --no-pin                don't pin the client to CPU 0 and the server to the last CPU
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchTable, soakTable, summarize } from './report.mjs';

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
    'soak-requests': { type: 'string' },
    'no-soak': { type: 'boolean', default: false },
    extra: { type: 'string', multiple: true, default: [] },
  },
});

const nodeFlags = ['--expose-gc'];
const runtimes = {
  node22: { bin: join(root, 'node_modules/node22/bin/node'), args: nodeFlags },
  node24: { bin: join(root, 'node_modules/node24/bin/node'), args: nodeFlags },
  node26: { bin: join(root, 'node_modules/node26/bin/node'), args: nodeFlags },
  bun: { bin: join(root, 'node_modules/bun/bin/bun.exe'), args: [] },
  deno: { bin: join(root, 'node_modules/deno/deno'), args: ['run', '-A', '--v8-flags=--expose-gc'] },
  node: { bin: process.execPath, args: nodeFlags },
  [`node${process.versions.node.split('.')[0]}`]: { bin: process.execPath, args: nodeFlags },
};

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

/** Runs client.mjs on `name` with `config`; resolves its @@RESULT, killing it past `limitMs`. */
function runClient(name, config, limitMs) {
  const { bin, args } = runtimes[name];
  const [file, argv] = pin(0, [bin, ...args, join(here, 'client.mjs'), JSON.stringify({ ...config, hardLimitMs: limitMs })]);
  const child = spawn(file, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = setTimeout(() => child.kill('SIGKILL'), limitMs + 30_000);
  let stdout = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  child.stderr.on('data', (chunk) => process.stderr.write(String(chunk).replace(/^(?=.)/gm, `[${name}] `)));
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

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length,
  os: `${os.type()} ${os.release()} ${os.arch()}`, memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  serverNode: process.version, pinned: pinned ? `client on CPU 0, server on CPU ${cpus - 1}` : 'no',
};
const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
const results = { command, machine, startedAt: new Date().toISOString(), config: base, runtimes: {} };
const server = await startServer();
let failed = false;
for (const name of opts.runtime.split(',')) {
  if (!runtimes[name]) throw new Error(`unknown runtime ${name}; one of ${Object.keys(runtimes).join(', ')}`);
  const entry = (results.runtimes[name] = {});
  try {
    const bench = await runClient(name, { ...base, mode: 'bench', origin: server.origin, softLimitMs: 9 * MIN }, 14 * MIN);
    Object.assign(entry, { version: bench.version, raw: bench, summary: summarize(bench) });
    if (!opts['no-soak']) entry.soak = await runClient(name, { ...base, mode: 'soak', origin: server.origin }, 8 * MIN);
  } catch (error) {
    failed = true;
    entry.error = error.message;
    console.error(`${name}: ${error.message}`);
  }
}
server.stop();

const date = results.startedAt.slice(0, 10);
const file = join(here, 'results', `${opts.runtime.replaceAll(',', '+')}-${date}${opts.quick ? '-quick' : ''}.json`);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);

console.log(`\n## Benchmark: ${command}`);
console.log(`Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; server on Node ${machine.serverNode}; pinned: ${machine.pinned}`);
console.log('Medians of interleaved rounds; ratios are medians of per-round ratios to native in the same round.');
for (const [name, entry] of Object.entries(results.runtimes)) {
  console.log(`\n### ${name} ${entry.version ?? ''}`);
  if (entry.error) { console.log(`failed: ${entry.error}`); continue; }
  const counts = Object.entries(entry.summary).map(([w, { rows }]) => `${w} ${rows.native.rounds}`);
  console.log(`Rounds: ${counts.join(', ')}\n`);
  console.log(benchTable(entry.summary));
  if (entry.soak) console.log(`\nSoak, ${entry.soak.soakRequests} requests at concurrency 100 through one session, then GC:\n\n${soakTable(entry.soak)}`);
}
console.log(`\nRaw rounds and summaries: ${file.slice(root.length + 1)}`);
process.exitCode = failed ? 1 : 0;
