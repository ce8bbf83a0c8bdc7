// The processes a bench run starts: the h2 server (a forked child on this Node), and the
// measured clients (client.mjs on the runtime under test), each pinned to its own CPU where it
// can be, plainly, under cachegrind, or with the runtime's way of preloading `register`.
import { fork, spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const MIN = 60_000;

/**
 * V8 flags for instruction counting, every one to make the count repeat: `--predictable` runs
 * the compilers and the GC on the main thread, in an order that does not hang on timing; fixed
 * young and initial old generation sizes keep GC from resizing and from starting a full
 * collection whenever a heuristic says so. Measured on Node 24, 12 000 requests: three native
 * runs within 0.001 % of each other with these flags, 2 % apart without (1 % with only
 * `--predictable`). They change what is counted (less GC work than a default heap does): the
 * count is a repeatable measure of what the code executes, the CPU columns are the real cost.
 */
export const instructionV8Flags = [
  '--predictable',
  '--min-semi-space-size=64',
  '--max-semi-space-size=64',
  '--initial-old-space-size=512',
];

// Client and server on different CPUs: on two cores, they otherwise take turns on one while
// the other idles, and the client's CPU time moves with how the scheduler places them.
const cpus = os.cpus().length;
let pinned = cpus >= 2 && spawnSync('taskset', ['-V']).status === 0;
export const pinning = {
  disable() {
    pinned = false;
  },
  describe: () => (pinned ? `client on CPU 0, server on CPU ${cpus - 1}` : 'no'),
};
const pin = (cpu, command) => (pinned ? ['taskset', ['-c', String(cpu), ...command]] : [command[0], command.slice(1)]);

/**
 * The command line of a client on `runtime` (from compat/runtimes.mjs): a way to force GC,
 * extra V8 flags (Bun has none to take), and the runtime's `register` preload if asked for.
 */
function clientCommand(runtime, config, { wrapper = [], v8Flags = [], preload = false, pinned = true } = {}) {
  const preloadArgs = preload ? Object.values(runtime.preloads)[0] : [];
  const flags = {
    node: ['--expose-gc', ...v8Flags, ...preloadArgs],
    bun: [...preloadArgs],
    deno: ['run', '-A', `--v8-flags=${['--expose-gc', ...v8Flags].join(',')}`, ...preloadArgs],
  }[runtime.kind];
  const command = [...wrapper, runtime.bin, ...flags, join(here, 'client.mjs'), JSON.stringify(config)];
  return pinned ? pin(0, command) : [command[0], command.slice(1)];
}

/** Starts a client and forwards its stderr, prefixed, without cachegrind's one line of noise. */
function startClient(runtime, config, limitMs, options) {
  const [file, argv] = clientCommand(runtime, { ...config, hardLimitMs: limitMs }, options);
  const child = spawn(file, argv, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  const kill = setTimeout(() => child.kill('SIGKILL'), limitMs + 30_000);
  child.on('close', () => clearTimeout(kill));
  // Cachegrind says which cache it would simulate even with --cache-sim=no and -q.
  const noise = /^--\d+-- warning: L3 cache found, using its data for the LL simulation\.\n/gm;
  const tag = `[${runtime.id}${config.variant && config.mode !== 'bench' ? ` ${config.variant}` : ''}] `;
  child.stderr.on('data', (chunk) =>
    process.stderr.write(
      String(chunk)
        .replace(noise, '')
        .replace(/^(?=.)/gm, tag),
    ),
  );
  return child;
}

/** Runs client.mjs to the end; resolves its @@RESULT, killing it past `limitMs`. */
export function runClient(runtime, config, limitMs, options) {
  const child = startClient(runtime, config, limitMs, options);
  child.stdin.end();
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith('@@RESULT '));
      if (code === 0 && line) return resolvePromise(JSON.parse(line.slice('@@RESULT '.length)));
      reject(
        new Error(
          `${runtime.id} client (${config.mode}${config.variant ? ` ${config.variant}` : ''}) exited with ${signal ?? code}`,
        ),
      );
    });
  });
}

/**
 * Starts a client in `slices` mode and resolves once it is warm: `slice(tag)` then runs one
 * timed slice in it and resolves its figures, `end()` closes it.
 */
export async function startSliceClient(runtime, config, limitMs, options) {
  const child = startClient(runtime, { ...config, mode: 'slices' }, limitMs, options);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise((_, reject) =>
    child.on('close', (code, signal) =>
      reject(new Error(`${runtime.id} client (slices ${config.variant}) exited with ${signal ?? code}`)),
    ),
  );
  exited.catch(() => {});
  const next = async (prefix) => {
    for (;;) {
      const { value, done } = await Promise.race([lines.next(), exited]);
      if (done) throw new Error(`${runtime.id} client (slices ${config.variant}) closed its output`);
      if (value.startsWith(prefix)) return value.slice(prefix.length);
    }
  };
  await next('@@READY');
  return {
    slice: async (tag) => {
      child.stdin.write(`${tag}\n`);
      return JSON.parse(await next('@@SLICE '));
    },
    end: async () => {
      child.stdin.end('end\n');
      return JSON.parse(await next('@@RESULT '));
    },
  };
}

/** Forks the server on this Node; it exits by itself when this process goes away. */
export async function startServer() {
  const [execPath, execArgv] = pin(cpus - 1, [process.execPath]);
  const server = fork(join(here, 'server.mjs'), [], {
    execPath,
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const message = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 10_000);
    server.once('message', (m) => {
      clearTimeout(timer);
      resolvePromise(m);
    });
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    origin: message.origin,
    stop: () => {
      // A server that is gone already (it exited) is not an error at the end of a run.
      if (server.connected) server.disconnect();
      server.kill();
    },
  };
}

/**
 * Instructions one client process executes, all its threads, counted by cachegrind (no cache
 * simulation): a count of what ran, unmoved by whatever else the machine is doing. The server
 * stays untraced.
 */
export async function countInstructions(runtime, config, preload) {
  const out = join(os.tmpdir(), `bench-cachegrind-${process.pid}-${Date.now()}.out`);
  const wrapper = ['valgrind', '--tool=cachegrind', '--cache-sim=no', '-q', `--cachegrind-out-file=${out}`];
  try {
    const result = await runClient(runtime, { ...config, mode: 'instructions' }, 20 * MIN, {
      wrapper,
      v8Flags: instructionV8Flags,
      preload,
      // A count does not depend on the CPU it ran on, so counts run side by side (run.mjs).
      pinned: false,
    });
    const text = readFileSync(out, 'utf8');
    const summary = /^summary:\s+(\d+)/m.exec(text);
    if (!summary) throw new Error(`no summary line in ${out}`);
    return { instructions: Number(summary[1]), compiling: compilingInstructions(text), wrong: result.wrong };
  } finally {
    rmSync(out, { force: true });
  }
}

/** V8's optimizing compilers (TurboFan, Turboshaft, Maglev), by the C++ names cachegrind reports. */
const compilerFunction = /v8::internal::(compiler|maglev)::|turboshaft/i;

/**
 * Of a cachegrind output, the instructions spent in V8's optimizing compilers: with
 * `--predictable` they compile on the main thread, so a count includes the compiling done
 * between the two sizes, which the marginal count does not cancel (NOTES.md).
 */
function compilingInstructions(text) {
  let total = 0;
  let inCompiler = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('fn=')) inCompiler = compilerFunction.test(line);
    else if (inCompiler && line.charCodeAt(0) >= 48 && line.charCodeAt(0) <= 57) total += Number(line.split(' ')[1]);
  }
  return total;
}
