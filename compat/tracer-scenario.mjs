// The tracer scenario: the client scenarios (node:http2, grpc-js, http2-wrapper, got, undici;
// cold, warm, after GOAWAY) run inside a real tracer, each request under a root span of its own
// and in an AsyncLocalStorage store of its own. Every callback is checked twice: the user's store
// (by the doctor's runner) and the tracer's active trace id (here), each against its request.
//   <runtime> [tracer preload] [register preload] compat/tracer-scenario.mjs --tracer otel|dd-trace|dd-trace5 --mode native|register|late[,…]
// `compat/tracer-matrix.mjs` starts it with the preloads in both orders. `--mode late` calls
// patchHttp2() and patchClients() after the clients loaded (the recipe for a program that cannot
// be preloaded); `--mode native,late` runs the clients natively first, then late, in one process.
// Prints one line per mode, `TRACER-SCENARIO {json}` (dd-trace's log exporter prints spans to
// stdout too).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { patchClients, patchHttp2 } from 'http2-async-context';
import {
  detectRuntime,
  findInstalledClients,
  grpcService,
  loadClientAdapter,
  loopbackTls,
  runClientScenarios,
} from '../dist/esm/doctor/internals.js';

const marker = 'TRACER-SCENARIO ';
const { values: flags } = parseArgs({
  options: {
    tracer: { type: 'string' },
    mode: { type: 'string', default: 'native' },
    requests: { type: 'string', default: '4' },
  },
});
const require = createRequire(import.meta.url);
const runtime = detectRuntime();
const deno = runtime.name === 'deno';

/** The version of `name` (an alias too) as this repository resolves it; some packages export no package.json. */
function versionOf(name) {
  const entry = require.resolve(name);
  const folder = join('node_modules', name);
  return JSON.parse(
    readFileSync(join(entry.slice(0, entry.lastIndexOf(folder) + folder.length), 'package.json'), 'utf8'),
  ).version;
}

/**
 * The tracer in this process, as the scenario needs it: `root(name, fn)` runs `fn(ids)` in a new
 * root span that ends when `fn`'s promise settles; `active()` is the active span's ids or undefined.
 */
async function loadTracer(name) {
  if (name === 'otel') {
    const api = await import('@opentelemetry/api');
    const tracer = api.trace.getTracer('http2-async-context-compat');
    const exporter = globalThis[Symbol.for('http2-async-context.compat.otel-exporter')];
    return {
      package: '@opentelemetry/sdk-node',
      version: versionOf('@opentelemetry/sdk-node'),
      loaded: exporter !== undefined,
      active: () => api.trace.getActiveSpan()?.spanContext(),
      root: (spanName, fn) =>
        tracer.startActiveSpan(spanName, { root: true }, (span) => {
          const { traceId, spanId } = span.spanContext();
          return fn({ traceId, spanId }).finally(() => span.end());
        }),
      // Finished spans by the instrumentation that made them (this scenario's own roots among them).
      spans: () => {
        const counts = {};
        for (const span of exporter?.getFinishedSpans() ?? []) {
          const scope = (span.instrumentationScope ?? span.instrumentationLibrary).name;
          counts[scope] = (counts[scope] ?? 0) + 1;
        }
        return counts;
      },
    };
  }
  // dd-trace, or dd-trace5 (dd-trace 5.x under an alias: 6.x needs Node >= 22). The preload,
  // `--import dd-trace/initialize.mjs`, has initialised the process-wide tracer this returns.
  const tracer = require(name);
  let spans = 0;
  const ids = (span) => span && { traceId: span.context().toTraceId(), spanId: span.context().toSpanId() };
  return {
    package: 'dd-trace',
    version: versionOf(name),
    loaded: tracer._initialized === true,
    active: () => ids(tracer.scope().active()),
    root: (spanName, fn) => {
      const span = tracer.startSpan(spanName, { childOf: null });
      spans++;
      return tracer.scope().activate(span, () => fn(ids(span)).finally(() => span.finish()));
    },
    spans: () => ({ 'http2-async-context-compat': spans }),
  };
}

/** One gRPC message, framed by hand (a 5-byte prefix): enough for the scenario server's Echo/Unary. */
function grpcFrame(text) {
  const body = Buffer.from(text);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

/**
 * A client on plain node:http2 (as `require('node:http2')` gives it: natively http2's own
 * connect, with register the package's), h2c, with a new session once the last one is gone.
 * Two kinds: `GET /hello`, and a call to the server's gRPC Echo/Unary, whose response ends with
 * trailers (Node 20–24 natively lose the context in `end` after trailers).
 */
function http2Adapter(http2) {
  const requests = {
    hello: { headers: { ':path': '/hello' }, events: ['response', 'data', 'end', 'close', 'error'] },
    trailers: {
      headers: {
        ':method': 'POST',
        ':path': `/${grpcService}/Unary`,
        'content-type': 'application/grpc',
        te: 'trailers',
      },
      events: ['response', 'data', 'trailers', 'end', 'close', 'error'],
    },
  };
  return {
    client: 'node:http2',
    h2c: true,
    phases: ['cold', 'warm', 'after GOAWAY'],
    helperHooks: [],
    kinds: Object.entries(requests).map(([name, { events }]) => ({
      name,
      callbacks: events.map((event) => `${name} ${event}${event === 'error' ? '?' : ''}`),
    })),
    open(target) {
      let session;
      const current = () => {
        if (session && !session.closed && !session.destroyed) return session;
        const opened = (session = http2.connect(target.origin));
        opened.on('error', () => {});
        opened.once('goaway', () => {
          if (session === opened) session = undefined;
        });
        return opened;
      };
      return {
        start: (kind, probe) =>
          new Promise((resolve) => {
            const { headers, events } = requests[kind];
            const stream = current().request(headers);
            probe.listen(stream, kind, events);
            stream.once('close', () => resolve());
            stream.end(kind === 'trailers' ? grpcFrame(probe.store) : undefined);
          }),
        close: async () => session?.close(),
      };
    },
  };
}

/** Why a client cannot run on this runtime at all (the same reasons `doctor --clients` gives), or undefined. */
function cannotRun({ client, version }) {
  if (!deno) return undefined;
  // got 16 has an HTTP/2 client of its own; got 12–15 go through http2-wrapper.
  if (client === 'http2-wrapper' || (client === 'got' && Number.parseInt(version, 10) < 16))
    return 'its sessions close without a SETTINGS frame on Deno 2.9 (HTTP2WRAPPER_NOSETTINGS)';
  return undefined;
}

/**
 * For one phase: which requests (by store) ran which callback, and whether the tracer's active
 * trace was the request's own each time. Counted as the doctor counts stores: a required
 * callback once per request, an optional one (`error?`) once per request that ran it.
 */
class TraceLog {
  constructor() {
    this.pairs = new Map();
    this.open = true;
    /** Wrong pairs by what was active instead: no span, another request's trace, a trace no request started. */
    this.wrong = { none: 0, other: 0, unknown: 0 };
  }

  declare(store, callbacks) {
    for (const spec of callbacks) {
      const optional = spec.endsWith('?');
      this.pairs.set(`${store}\0${optional ? spec.slice(0, -1) : spec}`, { optional, ran: false, right: true });
    }
  }

  record(store, name, expected, active, traceOwners) {
    if (!this.open) return;
    const key = `${store}\0${name}`;
    const pair = this.pairs.get(key) ?? { optional: true, ran: false, right: true };
    this.pairs.set(key, pair);
    pair.ran = true;
    // The request's root span, or a span an instrumentation started under it (grpc-js's client
    // span, dd-trace's http2 client span): either way, the request's own trace.
    if (active?.traceId === expected.traceId) return;
    if (pair.right) this.wrong[!active ? 'none' : traceOwners.has(active.traceId) ? 'other' : 'unknown']++;
    pair.right = false;
  }

  counts() {
    const counted = [...this.pairs.values()].filter((pair) => !pair.optional || pair.ran);
    return { right: counted.filter((pair) => pair.ran && pair.right).length, total: counted.length, ...this.wrong };
  }
}

/**
 * `adapter` with every request started in a root span of its own, and every callback's active
 * trace checked against that span's. `logs` gets one TraceLog per phase.
 */
function traced(adapter, tracer, logs, traceOwners) {
  const callbacksOf = new Map(adapter.kinds.map((kind) => [kind.name, kind.callbacks]));
  return {
    ...adapter,
    open(target) {
      const client = adapter.open(target);
      let pending = 0;
      let current;
      return {
        ...client,
        start(kind, probe, phase) {
          if (current?.phase !== phase) {
            if (current) current.log.open = false;
            current = { phase, log: new TraceLog() };
            logs.set(phase, current.log);
          }
          const { log } = current;
          return tracer.root(`${adapter.client} ${kind}`, (ids) => {
            // A tracer that records nothing gives every root the same (invalid) trace id, and
            // every check would pass: such a run is an error, not a result.
            if (traceOwners.has(ids.traceId)) traceOwners.reused = (traceOwners.reused ?? 0) + 1;
            traceOwners.set(ids.traceId, probe.store);
            log.declare(probe.store, callbacksOf.get(kind));
            const ran = (name, ...args) => {
              log.record(probe.store, name, ids, tracer.active(), traceOwners);
              probe.ran(name, ...args);
            };
            const tracing = {
              store: probe.store,
              ran,
              wrap: (name, fn) =>
                function (...args) {
                  ran(name, ...args);
                  return fn.apply(this, args);
                },
              listen: (emitter, prefix, events) => {
                for (const event of events) emitter.on(event, (...args) => ran(`${prefix} ${event}`, ...args));
              },
            };
            pending++;
            // Stops the phase's log as the doctor's runner stops its own: once every request settled.
            return client.start(kind, tracing, phase).finally(() => {
              if (--pending === 0) log.open = false;
            });
          });
        },
      };
    },
  };
}

/** Throws unless the preloads this mode needs are in effect (patchHttp2() returns false when already patched). */
function applyMode(mode) {
  if (mode === 'native') return;
  if (mode === 'late') {
    patchHttp2();
    patchClients();
    return;
  }
  const http2Patched = !patchHttp2();
  const clientsPatched = !patchClients();
  if (!http2Patched || !clientsPatched)
    throw new Error('register mode, but the register preload is not active in this process');
}

/** Runs every client through its phases in `mode`, and reports it as one result. */
async function runMode(mode, tracer, clients, traceOwners) {
  const result = {
    runtime,
    tracer: flags.tracer,
    tracerPackage: tracer.package,
    tracerVersion: tracer.version,
    mode,
    requests: Number(flags.requests),
    clients: [],
  };
  const spansBefore = tracer.spans();
  applyMode(mode);
  for (const { adapter, ...named } of clients) {
    if (!adapter) {
      result.clients.push(named);
      continue;
    }
    const logs = new Map();
    // Deno 2.9 aborts on a GOAWAY with streams in flight (nghttp2 assertion in find_stream_on_goaway_func).
    const phases = deno ? ['cold', 'warm'] : ['cold', 'warm', 'after GOAWAY'];
    const entry = { ...named };
    try {
      const run = await runClientScenarios(traced(adapter, tracer, logs, traceOwners), {
        ...(!adapter.h2c && { tls: loopbackTls() }),
        phases,
        requests: Number(flags.requests),
      });
      entry.phases = run.phases.map((phase) => ({
        phase: phase.phase,
        store: { right: phase.right, total: phase.total, missing: phase.missing },
        trace: logs.get(phase.phase)?.counts() ?? { right: 0, total: 0 },
        ...(phase.error !== undefined && { error: phase.error }),
      }));
      if (run.error !== undefined) entry.error = run.error;
    } catch (error) {
      entry.error = String(error?.stack ?? error)
        .split('\n')
        .slice(0, 2)
        .join(' ');
    }
    result.clients.push(entry);
  }
  result.spans = Object.fromEntries(
    Object.entries(tracer.spans()).map(([scope, count]) => [scope, count - (spansBefore[scope] ?? 0)]),
  );
  if (traceOwners.reused)
    result.error = `${traceOwners.reused} requests got a trace id another request had: the tracer is not recording`;
  return result;
}

/**
 * The clients the scenario runs: the repository's own (each library's latest), or, on a Node
 * older than undici 8 and got 16 support (22.19), the newest of their previous majors.
 */
function clientSet() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 19) ? '.' : 'test/clients/previous';
}

const modes = flags.mode.split(',');
try {
  const tracer = await loadTracer(flags.tracer);
  if (!tracer.loaded) throw new Error(`${flags.tracer} was not initialised by a preload`);
  const clients = [
    {
      client: 'node:http2',
      package: 'node:http2',
      version: runtime.version,
      adapter: http2Adapter(require('node:http2')),
    },
  ];
  for (const installed of findInstalledClients(clientSet())) {
    const why = cannotRun(installed);
    const { client, package: name, version } = installed;
    clients.push({
      client,
      package: name,
      version,
      ...(why ? { skipped: why } : { adapter: await loadClientAdapter(installed) }),
    });
  }
  const traceOwners = new Map();
  for (const mode of modes) {
    let result;
    try {
      result = await runMode(mode, tracer, clients, traceOwners);
    } catch (error) {
      result = {
        runtime,
        tracer: flags.tracer,
        mode,
        clients: [],
        error: String(error?.stack ?? error)
          .split('\n')
          .slice(0, 3)
          .join(' | '),
      };
    }
    process.stdout.write(`\n${marker}${JSON.stringify(result)}\n`);
  }
} catch (error) {
  const text = String(error?.stack ?? error)
    .split('\n')
    .slice(0, 3)
    .join(' | ');
  for (const mode of modes)
    process.stdout.write(
      `\n${marker}${JSON.stringify({ runtime, tracer: flags.tracer, mode, clients: [], error: text })}\n`,
    );
}
// dd-trace and the OpenTelemetry SDK keep timers; the results are out, and nothing is to be exported.
setTimeout(() => process.exit(0), 50);
