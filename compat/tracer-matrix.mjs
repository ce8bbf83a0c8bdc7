// The tracer matrix: compat/tracer-scenario.mjs on every runtime, inside OpenTelemetry and inside
// dd-trace, natively and with the register preload loaded after the tracer and before it. Builds the summary the runner prints, the full table for
// compat/RESULTS.md, the notes, and the failures: any wrong store, wrong trace, missing callback
// or error in a run with the package. Native runs are reported, never failed.
import { createServer } from 'node:net';
import { formatTable } from '../dist/esm/doctor/internals.js';
import { run } from './runtimes.mjs';

const scenario = 'compat/tracer-scenario.mjs';
const marker = 'TRACER-SCENARIO ';

/** dd-trace with nothing leaving the machine; `agentUrl` is a closed loopback port, for anything that still looks for an agent. */
function ddTraceEnv(agentUrl) {
  return {
    // The documented exporter that writes spans to stdout instead of sending them to an agent.
    DD_TRACE_EXPERIMENTAL_EXPORTER: 'log',
    DD_TRACE_AGENT_URL: agentUrl,
    DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
    DD_REMOTE_CONFIGURATION_ENABLED: 'false',
    DD_CRASHTRACKING_ENABLED: 'false',
    DD_RUNTIME_METRICS_ENABLED: 'false',
    DD_PROFILING_ENABLED: 'false',
    DD_TRACE_STARTUP_LOGS: 'false',
    DD_SERVICE: 'http2-async-context-compat',
  };
}

/** A file path for Deno's --preload (it takes no bare specifier), a specifier elsewhere. */
const preloadOf = (runtime, specifier, file) =>
  runtime.kind === 'deno'
    ? ['--preload', file]
    : runtime.kind === 'bun'
      ? ['--preload', specifier]
      : ['--import', specifier];

/**
 * The tracers, and which runtimes each runs on. `node` versions below a tracer's engines are
 * left out with the reason; Bun and Deno run whatever loads there (both tracers do).
 */
const tracers = [
  {
    id: 'otel',
    label: 'OpenTelemetry',
    min: [22, 15],
    why: '@opentelemetry/sdk-node 0.301 requires Node >= 22.15 (engines)',
    preload: (runtime) => preloadOf(runtime, './compat/tracers/otel.mjs', './compat/tracers/otel.mjs'),
    env: () => ({}),
  },
  {
    id: 'dd-trace',
    label: 'dd-trace',
    min: [22, 0],
    why: 'dd-trace 6 requires Node >= 22 (engines); dd-trace 5 runs there instead',
    preload: (runtime) => preloadOf(runtime, 'dd-trace/initialize.mjs', './node_modules/dd-trace/initialize.mjs'),
    env: ddTraceEnv,
  },
  {
    id: 'dd-trace5',
    label: 'dd-trace',
    max: [22, 0],
    nodeOnly: true,
    preload: () => ['--import', 'dd-trace5/initialize.mjs'],
    env: ddTraceEnv,
  },
];

/** `[major, minor]` of a Node binary. */
async function nodeVersion(bin) {
  const { stdout } = await run(bin, ['--version'], 30_000);
  return stdout.trim().replace(/^v/, '').split('.').map(Number);
}

const below = ([major, minor], [wantMajor, wantMinor]) =>
  major < wantMajor || (major === wantMajor && minor < wantMinor);

/** A loopback port nothing listens on: bound, then closed. */
function closedLoopbackPort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * The processes each tracer runs in on `runtime`, and the modes each reports: natively, the
 * tracer's preload before register's, and after it (on Bun too: its preload reaches the client
 * libraries through the load hook register installs there).
 */
function processesOf(runtime, tracer) {
  const [register] = Object.values(runtime.preloads);
  const traced = tracer.preload(runtime);
  return [
    { modes: ['native'], flag: 'native', preloads: traced },
    { modes: ['tracer first'], flag: 'register', preloads: [...traced, ...register] },
    { modes: ['register first'], flag: 'register', preloads: [...register, ...traced] },
  ];
}

/**
 * The jobs for `ready` runtimes (as findRuntimes returns them), and what is left out, with why.
 * `tier`: `all`; `core`, what `npm test` runs: the Node that runs the suite and the newest Node in
 * every mode, and Bun; `none`.
 */
export async function tracerJobs(ready, tier = 'core') {
  const jobs = [];
  const skipped = [];
  if (tier === 'none') return { jobs, skipped };
  const versions = new Map();
  for (const runtime of ready) if (runtime.kind === 'node') versions.set(runtime.id, await nodeVersion(runtime.bin));
  const newest = [...versions].sort(([, a], [, b]) => (below(a, b) ? 1 : below(b, a) ? -1 : 0))[0]?.[0];
  const left = [];
  for (const runtime of ready) {
    const version = versions.get(runtime.id);
    if (tier === 'core' && (runtime.kind === 'deno' || (version && runtime.id !== 'node' && runtime.id !== newest))) {
      left.push(runtime.id);
      continue;
    }
    for (const tracer of tracers) {
      if (tracer.nodeOnly && runtime.kind !== 'node') continue;
      if (version && tracer.min && below(version, tracer.min)) {
        if (tracer.why) skipped.push(`${tracer.label} not run on ${runtime.id} (${version.join('.')}): ${tracer.why}`);
        continue;
      }
      if (version && tracer.max && !below(version, tracer.max)) continue;
      jobs.push({ runtime, tracer, processes: processesOf(runtime, tracer) });
    }
  }
  if (tier === 'core') {
    if (left.length)
      skipped.push(
        `Tracers not run on ${left.join(', ')}: not in the core set that \`npm test\` runs; \`npm run compat -- --tracers all\` (and \`--write-readme\`) runs them.`,
      );
  }
  return { jobs, skipped };
}

/** The scenario's JSON line for each of `modes`, or why there is none. */
function parseScenario(result, modes) {
  const lines = result.stdout.split('\n').filter((candidate) => candidate.startsWith(marker));
  const stderr = result.stderr.trim().split('\n').slice(-2).join(' | ');
  const missing = {
    error: `exit ${result.code}${result.error ? `, ${result.error}` : ''}, no result${stderr ? ` (stderr: ${stderr})` : ''}`,
  };
  return modes.map((_, i) => (lines[i] ? JSON.parse(lines[i].slice(marker.length)) : missing));
}

/**
 * Runs every job's processes, at most `limit` processes at a time (each waits on loopback I/O
 * and timers most of its time), and gathers each job's modes.
 */
export async function runTracerMatrix(jobs, pool, limit) {
  const agentUrl = `http://127.0.0.1:${await closedLoopbackPort()}`;
  // Nothing inherited may point a tracer elsewhere (an OTLP endpoint, a Datadog agent host), and
  // Deno must not look up dl.deno.land for its update check (strace saw the DNS query).
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(OTEL|DD)_/.test(name)));
  inherited.DENO_NO_UPDATE_CHECK = '1';
  const tasks = jobs.flatMap((job) => job.processes.map((process) => ({ job, process })));
  const outcomes = await pool(
    tasks,
    limit,
    async ({ job: { runtime, tracer }, process: { modes, flag, preloads } }) => {
      const args = [...runtime.prefix, ...preloads, scenario, '--tracer', tracer.id, '--mode', flag];
      const result = await run(runtime.bin, args, 120_000, { env: { ...inherited, ...tracer.env(agentUrl) } });
      return parseScenario(result, modes).map((parsed, i) => ({ mode: modes[i], result: parsed }));
    },
  );
  return jobs.map((job) => ({
    runtime: job.runtime.id,
    kind: job.runtime.kind,
    tracer: job.tracer.id,
    label: job.tracer.label,
    modes: tasks.flatMap((task, i) => (task.job === job ? outcomes[i] : [])),
    processes: job.processes.length,
  }));
}

/** Store and trace counts over `phases`: wrong (or missing) callbacks, of all. */
function tally(phases) {
  const count = { total: 0, store: 0, trace: 0, missing: 0, errors: [], none: 0, other: 0, unknown: 0 };
  for (const phase of phases) {
    count.total += phase.store.total;
    count.store += phase.store.total - phase.store.right;
    count.missing += phase.store.missing;
    for (const seen of ['none', 'other', 'unknown']) count[seen] += phase.trace[seen] ?? 0;
    count.trace += (phase.trace.none ?? 0) + (phase.trace.other ?? 0) + (phase.trace.unknown ?? 0);
    if (phase.error) count.errors.push(`${phase.phase}: ${phase.error}`);
  }
  return count;
}

const clean = (count) => count.store === 0 && count.trace === 0 && count.missing === 0 && count.errors.length === 0;

/** `✔ 744`, or `✘ store 88/744 · trace 42/744` (and what is missing); `·` without a run. */
function mark(count) {
  if (!count) return '·';
  if (count.error) return '✘ no run';
  if (clean(count)) return `✔ ${count.total}`;
  return (
    `✘ store ${count.store}/${count.total} · trace ${count.trace}/${count.total}` +
    `${count.missing ? ` (${count.missing} missing)` : ''}${count.errors.length ? ' (error)' : ''}`
  );
}

/**
 * From the jobs' results: the summary (a row per tracer and runtime, a column per mode, over
 * every client and phase), the full rows (tracer · client · phase, a column per runtime), notes
 * and failures.
 */
export function buildTracerMatrix(results, skipped) {
  const failures = [];
  const notes = new Set(skipped);
  const summary = [];
  const full = new Map(); // `${tracer label} ${version} · ${client} ${version} · ${phase}` → runtime name → mode → count
  const runtimeNames = [];
  const requests = results
    .flatMap((job) => job.modes.map(({ result }) => result.requests))
    .find((count) => count !== undefined);
  const modeNames = ['native', 'tracer first', 'register first', 'late'].filter((mode) =>
    results.some((job) => job.modes.some((entry) => entry.mode === mode)),
  );
  for (const job of results) {
    const first = job.modes.find(({ result }) => result.runtime)?.result;
    const runtimeName = first ? `${first.runtime.name} ${first.runtime.version}` : job.runtime;
    const tracerName = first?.tracerVersion ? `${job.label} ${first.tracerVersion}` : job.label;
    if (!runtimeNames.includes(runtimeName)) runtimeNames.push(runtimeName);
    const row = { tracer: tracerName, runtime: runtimeName, cells: {} };
    for (const { mode, result } of job.modes) {
      const where = `${runtimeName} · ${tracerName} · ${mode}`;
      if (result.error && !result.clients?.length) {
        row.cells[mode] = { error: result.error };
        if (mode === 'native') notes.add(`${where}: no run: ${result.error}`);
        else failures.push(`${where}: ${result.error}`);
        continue;
      }
      if (result.error) failures.push(`${where}: ${result.error}`);
      const all = tally([]);
      if (result.error) all.errors.push(result.error);
      for (const client of result.clients) {
        const label = `${client.package} ${client.version}`.replace(
          `node:http2 ${result.runtime.version}`,
          'node:http2',
        );
        if (client.skipped) {
          notes.add(`${label} not run on ${result.runtime.name}: ${client.skipped}`);
          continue;
        }
        const count = tally(client.phases ?? []);
        if (client.error) count.errors.push(client.error);
        for (const [key, value] of Object.entries(count))
          all[key] = key === 'errors' ? [...all.errors, ...value] : all[key] + value;
        for (const phase of client.phases ?? []) {
          const key = `${tracerName} · ${label} · ${phase.phase}`;
          if (!full.has(key)) full.set(key, new Map());
          const byRuntime = full.get(key);
          if (!byRuntime.has(runtimeName)) byRuntime.set(runtimeName, {});
          byRuntime.get(runtimeName)[mode] = tally([phase]);
        }
        // Every run with the package must be clean; native runs are reported only.
        if (mode !== 'native' && !clean(count)) {
          failures.push(
            `${where} · ${label}: ${mark(count)}${count.errors.length ? `: ${count.errors.slice(0, 2).join('; ')}` : ''}`,
          );
        }
      }
      row.cells[mode] = all;
    }
    summary.push(row);
  }
  const wrongTraces = { none: 0, other: 0, unknown: 0 };
  for (const row of summary)
    for (const count of Object.values(row.cells))
      for (const seen of Object.keys(wrongTraces)) wrongTraces[seen] += count[seen] ?? 0;
  if (wrongTraces.none + wrongTraces.other + wrongTraces.unknown > 0) {
    notes.add(
      `Wrong traces, over every run: ${wrongTraces.other} another request's trace, ${wrongTraces.none} no active span, ${wrongTraces.unknown} a trace no request started.`,
    );
  }
  for (const result of results) {
    if (result.kind === 'deno')
      notes.add(
        'Deno: cold and warm only; a GOAWAY with streams in flight aborts Deno 2.9 (nghttp2 assertion in find_stream_on_goaway_func).',
      );
  }
  return { summary, modeNames, full, runtimeNames, requests, notes: [...notes], failures };
}

export const tracerLegend =
  "cell: callbacks that saw another request's store, and another request's trace (or none), of all; ✔ none did\n" +
  "tracer first: the tracer's preload, then register; register first: the other order; late (Bun): patchHttp2() and patchClients() after the clients loaded";

/** The summary as the runner prints it: a row per tracer and runtime, a column per mode. */
export function formatTracerText(matrix) {
  const rows = matrix.summary.map((row) => [
    `  ${row.tracer} · ${row.runtime}`,
    ...matrix.modeNames.map((mode) => mark(row.cells[mode])),
  ]);
  return [tracerLegend, '', formatTable(['tracer · runtime', ...matrix.modeNames], rows)].join('\n');
}

/** Markdown for compat/RESULTS.md: the summary, then every client and phase. */
export function formatTracerMarkdown(matrix) {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const summaryHeader = ['tracer · runtime', ...matrix.modeNames];
  const fullHeader = ['tracer · client · phase', ...matrix.runtimeNames];
  const fullRows = [...matrix.full].map(([key, byRuntime]) => [
    key,
    ...matrix.runtimeNames.map((name) => {
      const modes = byRuntime.get(name);
      return modes
        ? matrix.modeNames
            .filter((mode) => modes[mode])
            .map((mode) => mark(modes[mode]))
            .join(' → ')
        : '·';
    }),
  ]);
  return [
    `Each request runs under a root span of its own and in an \`AsyncLocalStorage\` store of its own (${matrix.requests ?? '?'} concurrent requests of each kind per phase); every callback checks both against its request. ` +
      "A cell counts the callbacks that saw another request's store, and another request's trace or none (a span an instrumentation started under the request's root counts as its own), of all; ✔ none did. " +
      "`tracer first`: the tracer's preload, then `register`; `register first`: the other order; `late` (Bun): `patchHttp2()` and `patchClients()` called after the clients loaded.",
    '',
    row(summaryHeader),
    row(summaryHeader.map(() => '---')),
    ...matrix.summary.map((entry) =>
      row([`${entry.tracer} · ${entry.runtime}`, ...matrix.modeNames.map((mode) => mark(entry.cells[mode]))]),
    ),
    '',
    `Client by client and phase by phase, each cell ${matrix.modeNames.join(' → ')} (as far as run there):`,
    '',
    row(fullHeader),
    row(fullHeader.map(() => '---')),
    ...fullRows.map(row),
    ...(matrix.notes.length ? ['', ...matrix.notes.map((note) => `- ${note}`)] : []),
  ].join('\n');
}
