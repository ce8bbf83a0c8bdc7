// The measured client, started by run.mjs on the runtime under test. Its one argument is a JSON
// config; it prints progress on stderr and its result as one `@@RESULT {json}` line on stdout.
// Mode `bench` runs the workload rounds, mode `soak` runs soak.mjs (in a process of its own,
// because the async_hooks it enables would change what the bench measures), mode `slices`
// serves one variant of a process-variant workload (one slice per `slice` line on stdin, for
// run.mjs to interleave with the other variants' processes), and mode `instructions` runs one
// slice of one workload on one variant's session alone, for run.mjs to count under cachegrind.
import http2 from 'node:http2';
import { pathToFileURL } from 'node:url';
import { connect } from '../../dist/esm/index.js';
import { wrapListenerBinding, wrapNaive } from './references.mjs';
import { connected, heapUsed, runtime, runtimeVersion, sessionOptions, settleGc, withTimeout } from './runtime.mjs';
import { measure, workloads } from './workloads.mjs';

const config = JSON.parse(process.argv[process.argv.length - 1]);
const ROUND_TIMEOUT_MS = 120_000;
const startedAt = performance.now();
// Whatever happens, this process ends: run.mjs kills it too, but a stray one must not linger.
setTimeout(() => {
  console.error('client: overall deadline passed, exiting');
  process.exit(4);
}, config.hardLimitMs).unref();

/** Variant name → opens a session the way that variant would. */
const allVariants = {
  native: (origin) => http2.connect(origin, sessionOptions),
  // A second native session, measured like the others: how far native strays from itself here.
  'native-again': (origin) => http2.connect(origin, sessionOptions),
  shimmed: (origin) => connect(origin, sessionOptions),
  naive: (origin) => wrapNaive(http2.connect(origin, sessionOptions)),
  'listener-bind': (origin) => wrapListenerBinding(http2.connect(origin, sessionOptions)),
};
for (const [name, file] of Object.entries(config.extras ?? {})) {
  const other = await import(pathToFileURL(file).href);
  allVariants[name] = (origin) => other.connect(origin, sessionOptions);
}
const variants = Object.fromEntries(
  Object.entries(allVariants).filter(
    ([name]) =>
      !config.variants || name === 'native' || config.variants.includes(name) || name in (config.extras ?? {}),
  ),
);

/** Opens one connected session per variant. */
async function openSessions(names) {
  const sessions = {};
  for (const name of names) sessions[name] = await connected(variants[name](config.origin));
  return sessions;
}

const closeAll = (sessions) =>
  Promise.all(
    Object.values(sessions).map((session) =>
      withTimeout(new Promise((resolve) => session.close(resolve)), 10_000, 'closing a session'),
    ),
  );

/** What a process-variant workload runs on: its client, opened the way `config.variant` says. */
async function openProcessVariant(workload) {
  const variant = workload.processVariants[config.variant];
  if (!variant) throw new Error(`${config.workload} has no variant ${config.variant}`);
  return workload.open(config.origin, variant);
}

const rotate = (list, r) => list.map((_, i) => list[(i + r) % list.length]);
/**
 * The variants' order in slice k of round r: A B C, then C B A, and so on (ABBA generalised to n
 * variants), starting from a list rotated by r. A drift in the machine's speed that is linear
 * over two slices then weighs on every variant alike, and no variant always goes first.
 */
const sliceOrder = (list, r, k) => (k % 2 === 0 ? rotate(list, r) : rotate(list, r).reverse());
const fmt = (run) =>
  `${run.cpuMs.toFixed(0)}/${run.threadCpuMs === null ? '' : `${run.threadCpuMs.toFixed(0)}/`}${run.wallMs.toFixed(0)}`;

/**
 * One round: a session per variant, then the timed slices, alternating between variants so the
 * machine's changing speed (other work, steal time on this VM) and the GC work that allocation
 * triggers fall on all of them alike. No forced GC here: after one, V8 re-optimizes much of the
 * hot code (~250 functions instead of ~60 per run, measured on Node 20), slowing what follows.
 */
async function round(workload, names, size, r, tag) {
  const sessions = await openSessions(names);
  const totals = Object.fromEntries(
    names.map((name) => [name, { cpuMs: 0, threadCpuMs: null, wallMs: 0, wrong: 0, sliceCpuMs: [] }]),
  );
  for (let k = 0; k < workload.slices; k++) {
    for (const name of sliceOrder(names, r, k)) {
      const slice = await withTimeout(
        measure(workload.run(sessions[name], size, `${tag}-${k}-${name}`)),
        ROUND_TIMEOUT_MS,
        tag,
      );
      const total = totals[name];
      total.cpuMs += slice.cpuMs;
      if (slice.threadCpuMs !== null) total.threadCpuMs = (total.threadCpuMs ?? 0) + slice.threadCpuMs;
      total.sliceCpuMs.push(Math.round(slice.cpuMs * 1000) / 1000);
      total.wallMs += slice.wallMs;
      total.wrong += slice.wrong;
    }
  }
  await closeAll(sessions);
  return totals;
}

/** Untimed: the live heap with every stream of one batch open, from a collected baseline. */
async function liveHeap(workload, name, size, tag) {
  const sessions = await openSessions([name]);
  await settleGc();
  const before = heapUsed();
  const { liveHeap: peak } = await withTimeout(
    measure(workload.run(sessions[name], size, tag, true)),
    ROUND_TIMEOUT_MS,
    tag,
  );
  await closeAll(sessions);
  return peak - before;
}

/** A warm-up round, the timed rounds, then (streams10k) the heap pass. */
async function benchWorkload(id, names) {
  const workload = workloads[id];
  const size = config.quick ? workload.quick : workload.full;
  await round(workload, names, size, 0, `${id}-warm`); // untimed: JIT and heap reach steady state
  const rounds = [];
  const planned = config.rounds ?? (config.quick ? workload.quickRounds : workload.rounds);
  for (let r = 0; r < planned; r++) {
    if (performance.now() - startedAt > config.softLimitMs) {
      console.error(`client: time budget spent, ${id} stops after ${r} rounds`);
      break;
    }
    rounds.push(await round(workload, names, size, r, `${id}-${r}`));
    console.error(
      `${id} ${r + 1}/${planned} cpu/wall ms: ${names.map((name) => `${name} ${fmt(rounds[r][name])}`).join(', ')}`,
    );
  }
  const out = { label: workload.label(size), size, slices: workload.slices, rounds };
  if (workload.measuresHeap) {
    out.liveHeap = {};
    for (const name of names) {
      out.liveHeap[name] = [];
      for (let i = 0; i < config.heapRuns; i++)
        out.liveHeap[name].push(await liveHeap(workload, name, size, `${id}-heap-${i}-${name}`));
    }
  }
  return out;
}

async function bench() {
  const names = Object.keys(variants);
  const out = {};
  for (const name of config.workloads) out[name] = await benchWorkload(name, names);
  return { variants: names, workloads: out };
}

/**
 * One variant of a process-variant workload: opens its client, runs one untimed slice per
 * planned slice of a round (warm-up, as the in-process workloads' untimed round), says
 * `@@READY`, then answers each `slice` line on stdin with one timed slice as `@@SLICE {json}`,
 * until `end`. The process idles on stdin while the other variants' processes run theirs.
 */
async function slices() {
  const workload = workloads[config.workload];
  const size = config.quick ? workload.quick : workload.full;
  const client = await openProcessVariant(workload);
  for (let k = 0; k < workload.slices; k++)
    await withTimeout(measure(workload.run(client, size, `warm-${k}`)), ROUND_TIMEOUT_MS, 'warm-up');
  console.log('@@READY');
  let buffered = '';
  for await (const chunk of process.stdin) {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const command = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (command === 'end') {
        await withTimeout(client.close(), 10_000, 'closing the client');
        return { variant: config.variant, workload: config.workload, size };
      }
      const { cpuMs, threadCpuMs, wallMs, wrong } = await withTimeout(
        measure(workload.run(client, size, command)),
        ROUND_TIMEOUT_MS,
        command,
      );
      console.log(`@@SLICE ${JSON.stringify({ cpuMs, threadCpuMs, wallMs, wrong })}`);
    }
  }
  throw new Error('stdin closed before end');
}

/**
 * One slice of `config.size` on a fresh session (or client) of `config.variant`, nothing else:
 * run.mjs runs this at two sizes under cachegrind and takes the difference, so start-up,
 * connecting and JIT warm-up cancel out and what remains is the cost of the extra requests.
 */
async function instructions() {
  const workload = workloads[config.workload];
  const target = workload.processVariants
    ? await openProcessVariant(workload)
    : await connected(allVariants[config.variant](config.origin));
  const { wrong } = await withTimeout(
    measure(workload.run(target, config.size, 'instructions')),
    config.hardLimitMs,
    'instructions',
  );
  if (workload.processVariants) await target.close();
  else await closeAll({ target });
  return { variant: config.variant, workload: config.workload, size: config.size, wrong };
}

const modes = {
  version: async () => ({}),
  bench,
  soak: async () => (await import('./soak.mjs')).soak(config, variants),
  slices,
  instructions,
};
const result = await modes[config.mode]();
console.log(`@@RESULT ${JSON.stringify({ runtime, version: runtimeVersion, mode: config.mode, ...result })}`);
process.exit(0);
