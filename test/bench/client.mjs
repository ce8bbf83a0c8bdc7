// The measured client, started by run.mjs on the runtime under test. Its one argument is a JSON
// config; it prints progress on stderr and its result as one `@@RESULT {json}` line on stdout.
// Mode `bench` runs the workload rounds, mode `soak` runs soak.mjs (in a process of its own,
// because the async_hooks it enables would change what the bench measures).
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
setTimeout(() => { console.error('client: overall deadline passed, exiting'); process.exit(4); }, config.hardLimitMs).unref();

/** Variant name → opens a session the way that variant would. */
const variants = {
  native: (origin) => http2.connect(origin, sessionOptions),
  shimmed: (origin) => connect(origin, sessionOptions),
  naive: (origin) => wrapNaive(http2.connect(origin, sessionOptions)),
  'listener-bind': (origin) => wrapListenerBinding(http2.connect(origin, sessionOptions)),
};
for (const [name, file] of Object.entries(config.extras ?? {})) {
  const other = await import(pathToFileURL(file).href);
  variants[name] = (origin) => other.connect(origin, sessionOptions);
}

/**
 * One run on a fresh connected session. With `heap` (untimed passes only) the heap is settled
 * first and the workload reports the live heap it reached; timed runs never force a GC.
 */
async function runOnce(workload, variant, size, tag, heap = false) {
  const session = variants[variant](config.origin);
  await connected(session);
  let heapBefore = 0;
  if (heap) {
    await settleGc();
    heapBefore = heapUsed();
  }
  const result = await withTimeout(measure(workload.run(session, size, tag, heap)), ROUND_TIMEOUT_MS, tag);
  await withTimeout(new Promise((resolve) => session.close(resolve)), 10_000, `closing ${tag}`);
  if (heap) result.liveHeapDelta = result.liveHeap - heapBefore;
  return result;
}

/** Round r runs the variants in an order rotated by r, so none always goes first. */
const rotate = (list, r) => list.map((_, i) => list[(i + r) % list.length]);
const fmt = (run) => `${run.cpuMs.toFixed(0)}/${run.wallMs.toFixed(0)}`;

/** Warm-up at full size, then interleaved timed rounds, then (streams10k) the heap pass. */
async function benchWorkload(name, names) {
  const workload = workloads[name];
  const size = config.quick ? workload.quick : workload.full;
  for (const variant of names) await runOnce(workload, variant, size, `warm-${name}-${variant}`);
  const rounds = [];
  for (let r = 0; r < config.rounds; r++) {
    if (performance.now() - startedAt > config.softLimitMs) {
      console.error(`client: time budget spent, ${name} stops after ${r} rounds`);
      break;
    }
    const round = {};
    for (const variant of rotate(names, r)) round[variant] = await runOnce(workload, variant, size, `${name}-${r}-${variant}`);
    rounds.push(round);
    console.error(`${name} ${r + 1}/${config.rounds} cpu/wall ms: ${names.map((v) => `${v} ${fmt(round[v])}`).join(', ')}`);
  }
  const out = { label: workload.label, size, rounds };
  if (workload.run.length >= 4) {
    out.liveHeap = {};
    for (const variant of names) {
      out.liveHeap[variant] = [];
      for (let i = 0; i < config.heapRuns; i++) {
        const run = await runOnce(workload, variant, size, `heap-${name}-${i}-${variant}`, true);
        out.liveHeap[variant].push(run.liveHeapDelta);
      }
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

const result = config.mode === 'soak'
  ? await (await import('./soak.mjs')).soak(config, variants)
  : await bench();
console.log(`@@RESULT ${JSON.stringify({ runtime, version: runtimeVersion, mode: config.mode, ...result })}`);
process.exit(0);
