// `npm run bench [-- options]`: client CPU, wall time and memory of the shim against native and
// two reference approaches, plus a soak. The h2 server runs in a child process on this machine's
// Node; each runtime's client runs in a process of its own, so its CPU is the client's alone.
//
//   --verdict               the run the README's verdicts come from: Node 20 (this node) and 24,
//                           then 26 and Bun; c100, stream64m and grpc100 with 20 rounds; the soak.
//                           With --instructions: c100 and c100data counted on Node 20, 22, 24 and 26,
//                           and timed on Bun in 200 rounds (cachegrind does not serve there); add
//                           `--workloads c100,c100data,grpc100` for grpc-js too (about as long again)
//   --quick                 fewer rounds and smaller workloads: a smoke run of the harness
//   --runtime a,b           node (this one), node22, node24, node26, bun, deno (as npm run compat finds them); default node
//   --rounds N              interleaved rounds for every workload (default: per workload, 10-20)
//   --workloads a,b         c1, c100, c100data, stream64m, streams10k, grpc100, c100libs (default all)
//   --variants a,b          shimmed, native-again, naive, listener-bind (default all; native always runs)
//   --soak-requests N       requests through one session in the soak (default 100000)
//   --no-soak               skip the soak
//   --extra name=file       also measure another build's connect() (e.g. test/bench/experiments/*.mjs)
//   --instructions          count instructions instead of timing (valgrind cachegrind): each
//                           variant in a client process of its own, at two sizes; reports the
//                           marginal instructions per request (per MiB for stream64m), two
//                           counts at a time; Bun, which cachegrind does not serve, is timed
//   --sizes a,b             with --instructions: count at these two sizes instead of the workload's
//   --no-pin                don't pin the client to CPU 0 and the server to the last CPU
//   --write-readme          also write the whole report into test/bench/RESULTS.md (timing and
//                           --instructions runs each have their place there) and, from an
//                           --instructions run, the one summary line README.md quotes
//   --from file             render a saved run (test/bench/results/*.json) instead of running
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findRuntimes } from '../../compat/runtimes.mjs';
import { countInstructions, pinning, runClient, startServer, startSliceClient } from './processes.mjs';
import {
  benchTable,
  instructionsSummaryLine,
  instructionsSummaryTable,
  instructionsTable,
  soakTable,
  summarize,
  summarizeInstructions,
  targetsTable,
  timedSummaryTable,
} from './report.mjs';
import { workloads } from './workloads.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const argv = process.argv.slice(2);
const { values: opts } = parseArgs({
  args: argv,
  options: {
    verdict: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    runtime: { type: 'string' },
    rounds: { type: 'string' },
    workloads: { type: 'string' },
    variants: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    instructions: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    'soak-requests': { type: 'string' },
    'no-soak': { type: 'boolean', default: false },
    extra: { type: 'string', multiple: true, default: [] },
    'write-readme': { type: 'boolean', default: false },
    from: { type: 'string' },
  },
});

/**
 * What --verdict stands for, unless an option given beside it says otherwise. With
 * --instructions, the rounds are Bun's alone (the Nodes are counted, not timed): at 20 its ratios'
 * intervals span ±4 %, wider than the difference they judge; 200 rounds take about 5 minutes.
 */
const verdict = opts.instructions
  ? {
      runtime: 'node,node22,node24,node26,bun',
      workloads: 'c100,c100data',
      variants: 'shimmed,naive,native-again',
      rounds: '200',
    }
  : {
      runtime: 'node,node24,node26,bun',
      workloads: 'c100,stream64m,grpc100',
      variants: 'shimmed,naive,native-again',
      rounds: '20',
    };
const preset = opts.verdict ? verdict : {};
const runtimeNames = opts.runtime ?? preset.runtime ?? 'node';
const workloadNames = (opts.workloads ?? preset.workloads ?? Object.keys(workloads).join(',')).split(',');
const unknownWorkloads = workloadNames.filter((id) => !workloads[id]);
if (unknownWorkloads.length)
  throw new Error(`unknown workload ${unknownWorkloads.join(', ')}; one of ${Object.keys(workloads).join(', ')}`);
const rounds = opts.rounds ?? preset.rounds;
const variantList = opts.variants ?? preset.variants;

const MIN = 60_000;
const base = {
  rounds: rounds === undefined ? undefined : Number(rounds),
  variants: variantList?.split(','),
  quick: opts.quick,
  workloads: workloadNames.filter((id) => !workloads[id].processVariants),
  heapRuns: opts.quick ? 1 : 3,
  soakRequests: Number(opts['soak-requests'] ?? (opts.quick ? 10_000 : 100_000)),
  extras: Object.fromEntries(
    opts.extra.map((spec) => {
      const [name, file] = spec.split('=');
      return [name, resolve(file)];
    }),
  ),
};
/** The workloads whose variants are whole processes (see workloads.mjs). */
const processWorkloads = workloadNames.filter((id) => workloads[id].processVariants);
if (opts['no-pin']) pinning.disable();

/** The in-process variants a run measures, as client.mjs picks them: native always, the others unless --variants leaves them out. */
const variantNames = ['native', 'native-again', 'shimmed', 'naive', 'listener-bind']
  .filter((name) => !base.variants || name === 'native' || base.variants.includes(name))
  .concat(Object.keys(base.extras));

const rotate = (list, r) => list.map((_, i) => list[(i + r) % list.length]);
/** As client.mjs orders in-process variants: A B C, then C B A, from a list rotated by round. */
const sliceOrder = (list, r, k) => (k % 2 === 0 ? rotate(list, r) : rotate(list, r).reverse());

/**
 * A process-variant workload: one warm client process per variant, all on the client CPU, then
 * the rounds, slice by slice in ABBA order across the processes (only one runs at a time; the
 * others wait on stdin). Returns the rounds in the in-process workloads' shape.
 */
async function processBench(runtime, id, origin) {
  const workload = workloads[id];
  const names = Object.keys(workload.processVariants);
  const clients = {};
  try {
    for (const name of names) {
      clients[name] = await startSliceClient(runtime, { ...base, origin, workload: id, variant: name }, 30 * MIN, {
        preload: workload.processVariants[name].preload === true,
      });
    }
    const planned = base.rounds ?? (base.quick ? workload.quickRounds : workload.rounds);
    const out = {
      label: workload.label(),
      size: base.quick ? workload.quick : workload.full,
      slices: workload.slices,
      baseline: workload.baseline,
      variants: names,
      rounds: [],
    };
    for (let r = 0; r < planned; r++) {
      const totals = Object.fromEntries(
        names.map((name) => [name, { cpuMs: 0, threadCpuMs: null, wallMs: 0, wrong: 0 }]),
      );
      for (let k = 0; k < workload.slices; k++) {
        for (const name of sliceOrder(names, r, k)) {
          const slice = await clients[name].slice(`${id}-${r}-${k}`);
          const total = totals[name];
          total.cpuMs += slice.cpuMs;
          if (slice.threadCpuMs !== null) total.threadCpuMs = (total.threadCpuMs ?? 0) + slice.threadCpuMs;
          total.wallMs += slice.wallMs;
          total.wrong += slice.wrong;
        }
      }
      out.rounds.push(totals);
      console.error(
        `[${runtime.id}] ${id} ${r + 1}/${planned} cpu ms: ${names.map((name) => `${name} ${totals[name].cpuMs.toFixed(0)}`).join(', ')}`,
      );
    }
    return out;
  } finally {
    await Promise.allSettled(Object.values(clients).map((client) => client.end()));
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
  for (const id of workloadNames) {
    const { instructions: spec, processVariants } = workloads[id];
    if (!spec) continue;
    const sizes = opts.sizes ? opts.sizes.split(',').map(Number) : base.quick ? spec.quick : spec.full;
    const names = processVariants ? Object.keys(processVariants) : variantNames;
    const counts = Object.fromEntries(names.map((name) => [name, []]));
    const compiling = Object.fromEntries(names.map((name) => [name, []]));
    const jobs = sizes.flatMap((size, i) => (i % 2 ? [...names].reverse() : names).map((name) => ({ name, size, i })));
    await inPairs(jobs, async ({ name, size, i }) => {
      const config = { ...base, origin, workload: id, variant: name, size };
      const count = await countInstructions(runtime, config, processVariants?.[name].preload === true);
      const { instructions, wrong } = count;
      counts[name][i] = instructions;
      compiling[name][i] = count.compiling;
      console.error(
        `[${runtime.id}] instructions ${id} ${name} ${size} ${spec.unit}s: ${instructions.toLocaleString('en')}${wrong ? `, ${wrong} wrong context` : ''}`,
      );
    });
    out[id] = {
      label: workloads[id].label(sizes[1]),
      unit: spec.unit,
      sizes,
      counts,
      compiling,
      baseline: workloads[id].baseline ?? 'native',
    };
  }
  return out;
}

/** Runs `job` on every item, two at a time (this machine has two cores), in the list's order. */
async function inPairs(items, job) {
  const queue = [...items];
  const worker = async () => {
    while (queue.length) await job(queue.shift());
  };
  await Promise.all([worker(), worker()]);
}

/**
 * In an instruction-count run, a runtime cachegrind does not serve (Bun) is timed instead: the
 * in-process workloads that have instruction sizes, in interleaved rounds as a timing run does.
 */
async function timedInstead(runtime, origin) {
  const timedWorkloads = base.workloads.filter((id) => workloads[id].instructions);
  const bench = await runClient(
    runtime,
    { ...base, workloads: timedWorkloads, mode: 'bench', origin, softLimitMs: 14 * MIN },
    18 * MIN,
  );
  return { version: bench.version, raw: bench, summary: summarize(bench) };
}

/** Whether cachegrind counts this runtime's instructions (Bun's JIT does not run under it). */
const countable = (runtime) => runtime.kind !== 'bun';

/** Runs every requested runtime against one server; returns the results, as saved. */
async function run() {
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    serverNode: process.version,
    pinned: pinning.describe(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
  const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const results = { command, machine, startedAt: new Date().toISOString(), config: base, runtimes: {} };
  // The compat suite's runtimes, found where `npm ci` put them; one that is missing is reported.
  const names = runtimeNames.split(',');
  const { ready, skipped } = await findRuntimes(names);
  const unknown = names.filter((name) => ![...ready, ...skipped].some(({ id }) => id === name));
  if (unknown.length)
    throw new Error(`unknown runtime ${unknown.join(', ')}; one of node, node22, node24, node26, bun, deno`);
  for (const { id, reason } of skipped) results.runtimes[id] = { error: `skipped: ${reason}` };
  if (opts.instructions && spawnSync('valgrind', ['--version']).status !== 0)
    throw new Error('--instructions needs valgrind on the PATH');
  const server = await startServer();
  for (const runtime of ready) {
    const entry = (results.runtimes[runtime.id] = {});
    try {
      if (opts.instructions && !countable(runtime)) {
        Object.assign(entry, await timedInstead(runtime, server.origin));
        continue;
      }
      if (opts.instructions) {
        entry.version = (await runClient(runtime, { mode: 'version' }, MIN)).version;
        entry.instructions = await instructionsFor(runtime, server.origin);
        continue;
      }
      const bench = base.workloads.length
        ? await runClient(runtime, { ...base, mode: 'bench', origin: server.origin, softLimitMs: 14 * MIN }, 18 * MIN)
        : {
            version: (await runClient(runtime, { mode: 'version' }, MIN)).version,
            variants: variantNames,
            workloads: {},
          };
      for (const id of processWorkloads) bench.workloads[id] = await processBench(runtime, id, server.origin);
      Object.assign(entry, { version: bench.version, raw: bench, summary: summarize(bench) });
      if (!opts['no-soak'])
        entry.soak = await runClient(runtime, { ...base, mode: 'soak', origin: server.origin }, 8 * MIN);
    } catch (error) {
      entry.error = error.message;
      console.error(`${runtime.id}: ${error.message}`);
    } finally {
      save(results);
    }
  }
  server.stop();
  return results;
}

/** The Markdown report of one run: machine, command, and per runtime the bench and soak tables. */
function render(results, file) {
  const { machine, command } = results;
  const lines = [
    `_Measured on ${results.startedAt.slice(0, 10)} with \`${command}\` (results: \`${file}\`; the raw rounds stay in \`test/bench/results/raw/\`)._`,
    `_Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; server on Node ${machine.serverNode}; pinned: ${machine.pinned}._`,
    '',
  ];
  const counted = Object.values(results.runtimes).some((entry) => entry.instructions);
  if (counted) {
    lines.push(
      'Instructions executed by the client process (all its threads), counted by cachegrind with no cache simulation; each variant in a process of its own, at two sizes. Marginal = the difference of the two counts over the difference of the sizes, so start-up and connecting cancel out; JIT warm-up does only where it is over by the smaller size, so the tables say how much of the marginal count the optimizing compilers of V8 executed, and the ratio without it (test/bench/NOTES.md). `native-again` is native in a second process: how far the count strays from itself.',
      '',
      instructionsSummaryTable(results.runtimes),
    );
    if (Object.values(results.runtimes).some((entry) => entry.summary))
      lines.push(
        '',
        'Where cachegrind does not serve (Bun), client CPU instead, in interleaved rounds: each ratio the median of per-round ratios to native in the same round, with a 95 % bootstrap interval.',
        '',
        timedSummaryTable(results.runtimes),
      );
  } else {
    lines.push(
      'Client CPU and wall time are medians over interleaved rounds (ABBA: the variants in one order, then the reverse); each ratio is the median of per-round ratios to native in the same round, with a 95 % bootstrap interval. Main-thread CPU is `process.threadCpuUsage()`, where the runtime has it. `native-again` is a second native session: how far native strays from itself on this machine.',
      '',
      targetsTable(results.runtimes),
    );
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
    const counts = Object.entries(entry.summary).map(([w, { rows, baseline }]) => `${w} ${rows[baseline].rounds}`);
    lines.push(`Rounds: ${counts.join(', ')}.`, '', benchTable(entry.summary));
    if (entry.soak)
      lines.push(
        '',
        `Soak, ${entry.soak.soakRequests} requests at concurrency 100 through one session, then GC:`,
        '',
        soakTable(entry.soak),
      );
  }
  return lines.join('\n');
}

const GENERATED =
  '<!-- Generated by `npm run bench -- --write-readme` (or `--from <results file> --write-readme`); edits here are overwritten. -->';

/** Replaces what lies between `<!-- ${marker}:start -->` and `<!-- ${marker}:end -->` in `file`. */
function writeBetween(file, marker, text, note = GENERATED) {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const content = readFileSync(file, 'utf8');
  const from = content.indexOf(start);
  const to = content.indexOf(end);
  if (from === -1 || to < from) throw new Error(`${file} has no ${start} … ${end} markers`);
  const body = note ? `${note}\n${text}` : text;
  writeFileSync(file, `${content.slice(0, from + start.length)}\n${body}\n${content.slice(to)}`);
}

/**
 * test/bench/RESULTS.md gets the whole report; README.md, from an instruction-count run (the
 * figures that repeat from run to run), one summary line and the command that measured it.
 */
function writeReadme(results, report, file) {
  const counted = Object.values(results.runtimes).some((entry) => entry.instructions);
  writeBetween(join(here, 'RESULTS.md'), counted ? 'bench-instructions' : 'bench', report);
  if (counted) {
    // No note and no date: the README is kept short; its markers say the line is generated, and
    // the report it links says when and how.
    writeBetween(join(root, 'README.md'), 'bench-summary', instructionsSummaryLine(results.runtimes), '');
  }
  console.log(`\n${counted ? 'README.md and ' : ''}test/bench/RESULTS.md: written (from ${file}).`);
}

/** `results` without each runtime's raw rounds: the summaries, soak and instruction counts the reports use. */
function withoutRawRounds(results) {
  const runtimes = Object.fromEntries(
    Object.entries(results.runtimes).map(([id, { raw: _raw, ...entry }]) => [id, entry]),
  );
  return { ...results, runtimes };
}

let savedName;

/**
 * The file this run writes, chosen at its first save: a name no earlier run's results have, so a
 * second run on the same day (another experiment, a rerun) never overwrites a file NOTES.md cites.
 */
function freshName(results) {
  const date = results.startedAt.slice(0, 10);
  const suffix = `${opts.instructions ? '-instructions' : ''}${opts.quick ? '-quick' : ''}${opts.extra.length ? '-experiments' : ''}`;
  const stem = `${opts.verdict ? 'verdict' : runtimeNames.replaceAll(',', '+')}-${date}${suffix}`;
  for (let n = 1; ; n++) {
    const name = `${stem}${n === 1 ? '' : `-${n}`}.json`;
    if (!existsSync(join(here, 'results', name))) return name;
  }
}

/**
 * Writes `results` where this run's results go; returns the file. Called after each runtime too,
 * so that a run that fails late (hours into counting) keeps what it measured.
 */
function save(results) {
  const name = (savedName ??= freshName(results));
  // The raw rounds (thousands of lines a run) stay on this machine, in results/raw/, which git
  // ignores; results/ keeps what the reports are rendered from, which the README and NOTES.md cite.
  const saved = join(here, 'results', name);
  mkdirSync(join(here, 'results', 'raw'), { recursive: true });
  writeFileSync(join(here, 'results', 'raw', name), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(saved, `${JSON.stringify(withoutRawRounds(results), null, 2)}\n`);
  return saved;
}

let results;
let file;
if (opts.from) {
  file = resolve(opts.from);
  results = JSON.parse(readFileSync(file, 'utf8'));
} else {
  results = await run();
  file = save(results);
}
const report = render(results, file.slice(root.length + 1));
console.log(`\n${report}`);
if (opts['write-readme']) writeReadme(results, report, file.slice(root.length + 1));
process.exitCode = Object.values(results.runtimes).some((entry) => entry.error) ? 1 : 0;
