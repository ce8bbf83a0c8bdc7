// The measured workloads. Every request is opened inside `als.run(store, ...)` and each of its
// listeners compares `als.getStore()` with that store, so all variants pay for realistic use;
// `wrong` counts listener calls that saw another store.
import { AsyncLocalStorage } from 'node:async_hooks';
import http2 from 'node:http2';
import { createRequire } from 'node:module';
import { grpcUnaryLoop, openGrpcClient } from './grpc.mjs';
import { connected, cpuMs, gcNow, heapUsed, sessionOptions, threadCpuMs } from './runtime.mjs';

const als = new AsyncLocalStorage();
const MIB = 1024 * 1024;

/** 10000 → '10 000', as the README writes counts. */
const grouped = (n) => n.toLocaleString('en-US').replaceAll(',', ' ');

/**
 * Name → what it is. A round times `slices` slices of `full` (or `quick`) size per variant,
 * alternating variants slice by slice. `label(size)` names the size that was run, so a --quick
 * run never reads as the full one. `instructions` gives the two sizes (and their unit) that
 * `--instructions` counts, the smaller one past JIT warm-up, and the same for `--quick`.
 *
 * A workload with `processVariants` compares whole processes, because what it measures (the
 * `register` preload) patches the whole process: each variant is a client process of its own,
 * started with `preload` or not, that `open()`s its client once and then runs the slices run.mjs
 * asks for, in the same interleaved order as the in-process workloads. Ratios are to `baseline`.
 */
export const workloads = {
  c1: {
    label: () => '1 KiB, concurrency 1',
    full: 200,
    quick: 100,
    slices: 10,
    rounds: 10,
    quickRounds: 3,
    instructions: { unit: 'request', full: [1_000, 3_000], quick: [500, 1_000] },
    run: (s, n) => requestLoop(s, '/1k', n, 1),
  },
  c100: {
    label: () => '1 KiB, concurrency 100',
    full: 500,
    quick: 300,
    slices: 10,
    rounds: 20,
    quickRounds: 3,
    instructions: { unit: 'request', full: [2_000, 7_000], quick: [1_000, 3_000] },
    run: (s, n) => requestLoop(s, '/1k', n, 100),
  },
  // The shape of a typical client (issue 29's second count): a store per request and two
  // listeners, `data` and `end`; the next request starts from `end`. Fewer listeners than c100
  // means more of a stream's events have nobody listening, so the cost falls elsewhere.
  c100data: {
    label: () => '1 KiB, concurrency 100, `data` and `end` listeners only',
    full: 500,
    quick: 300,
    slices: 10,
    rounds: 20,
    quickRounds: 3,
    instructions: { unit: 'request', full: [1_000, 3_000], quick: [500, 1_000] },
    run: (s, n) => dataEndLoop(s, '/1k', n, 100),
  },
  stream64m: {
    label: (mib) => `one ${mib} MiB response in 16 KiB chunks`,
    full: 64,
    quick: 16,
    slices: 3,
    rounds: 10,
    quickRounds: 3,
    instructions: { unit: 'MiB', full: [16, 64], quick: [8, 16] },
    run: (s, n) => requestLoop(s, `/stream?bytes=${n * MIB}`, 1, 1),
  },
  grpc100: {
    label: () => 'gRPC unary (grpc-js 1.14), 1 KiB, concurrency 100',
    full: 300,
    quick: 200,
    slices: 10,
    rounds: 10,
    quickRounds: 3,
    // `http2 only`: patchHttp2() without the grpc-js integration, to tell the two costs apart.
    processVariants: { native: {}, register: { preload: true }, 'http2 only': { http2Only: true } },
    baseline: 'native',
    instructions: { unit: 'request', full: [1_000, 4_000], quick: [500, 1_500] },
    open: async (origin, variant) => {
      if (variant.http2Only) (await import('../../dist/esm/index.js')).patchHttp2();
      return openGrpcClient(origin);
    },
    run: (client, n) => grpcUnaryLoop(client, n, 100),
  },
  c100libs: {
    label: () => '1 KiB, concurrency 100, register preloaded: grpc-js, undici, http2-wrapper loaded, unused',
    full: 500,
    quick: 300,
    slices: 10,
    rounds: 10,
    quickRounds: 3,
    // native and native+libs: whether the libraries' own load costs it, without the package.
    processVariants: {
      register: { preload: true },
      'register+libs': { preload: true, libs: true },
      native: {},
      'native+libs': { libs: true },
    },
    baseline: 'register',
    instructions: { unit: 'request', full: [2_000, 7_000], quick: [1_000, 3_000] },
    open: async (origin, variant) => {
      if (variant.libs) loadUnusedClientLibraries();
      const session = await connected(http2.connect(origin, sessionOptions));
      return { session, close: () => new Promise((resolve) => session.close(resolve)) };
    },
    run: ({ session }, n) => requestLoop(session, '/1k', n, 100),
  },
  streams10k: {
    label: (n) => `${grouped(n)} concurrent streams`,
    full: 10_000,
    quick: 2_000,
    slices: 1,
    rounds: 5,
    quickRounds: 3,
    measuresHeap: true,
    run: (s, n, tag, heap) => openAtOnce(s, n, tag, heap),
  },
};

/**
 * The three client libraries `register` integrates with, required (and so patched by register)
 * but never called: what a program pays for having them installed and loaded.
 */
function loadUnusedClientLibraries() {
  const require = createRequire(import.meta.url);
  for (const name of ['@grpc/grpc-js', 'undici', 'http2-wrapper']) require(name);
}

/**
 * Measures `body(exclude)` in client CPU (the process's, and the main thread's where the runtime
 * can tell, else null) and wall time; whatever runs inside `exclude(fn)` (a forced GC and a heap
 * reading) is subtracted from all three.
 */
export async function measure(body) {
  const clocks = () => [cpuMs(), threadCpuMs(), performance.now()];
  const excluded = [0, 0, 0];
  const exclude = (fn) => {
    const before = clocks();
    const value = fn();
    clocks().forEach((now, i) => {
      excluded[i] += now - before[i];
    });
    return value;
  };
  const start = clocks();
  const result = await body(exclude);
  const [cpu, thread, wall] = clocks().map((now, i) => now - start[i] - excluded[i]);
  return { cpuMs: cpu, threadCpuMs: start[1] === null ? null : thread, wallMs: wall, ...result };
}

/**
 * `total` requests to `path`, `concurrency` in flight; each finished one starts the next.
 * `onStream` (the soak's bookkeeping) sees each stream as it is opened.
 */
export function requestLoop(session, path, total, concurrency, onStream) {
  return () =>
    new Promise((resolve, reject) => {
      let started = 0;
      let finished = 0;
      let wrong = 0;
      let bytes = 0;
      const open = (store) => {
        const stream = session.request({ ':path': path });
        if (onStream) onStream(stream);
        stream.on('response', () => {
          if (als.getStore() !== store) wrong++;
        });
        stream.on('data', (chunk) => {
          bytes += chunk.length;
          if (als.getStore() !== store) wrong++;
        });
        stream.on('end', () => {
          if (als.getStore() !== store) wrong++;
        });
        stream.on('error', reject);
        stream.on('close', () => {
          if (als.getStore() !== store) wrong++;
          if (++finished === total) resolve({ wrong, bytes });
          else if (started < total) issue();
        });
      };
      const issue = () => {
        const store = { id: started++ };
        als.run(store, open, store);
      };
      for (let i = 0; i < concurrency && started < total; i++) issue();
    });
}

/**
 * `total` requests to `path`, `concurrency` in flight, each with only a `data` and an `end`
 * listener (as most clients read a body); each `end` starts the next request.
 */
export function dataEndLoop(session, path, total, concurrency) {
  return () =>
    new Promise((resolve) => {
      let started = 0;
      let finished = 0;
      let wrong = 0;
      let bytes = 0;
      const open = (store) => {
        const stream = session.request({ ':path': path });
        stream.on('data', (chunk) => {
          bytes += chunk.length;
          if (als.getStore() !== store) wrong++;
        });
        stream.on('end', () => {
          if (als.getStore() !== store) wrong++;
          if (++finished === total) resolve({ wrong, bytes });
          else if (started < total) issue();
        });
      };
      const issue = () => {
        const store = { id: started++ };
        als.run(store, open, store);
      };
      for (let i = 0; i < concurrency && started < total; i++) issue();
    });
}

/**
 * Opens `n` streams at once. The server answers them only when all `n` are open, then holds
 * their bodies until one more request releases them all. With `heap`, the client's heap is read
 * after a forced GC while every stream is alive (the peak of live data); the timed rounds leave
 * it out, because a forced GC slows the code that runs after it for a while.
 */
function openAtOnce(session, n, tag, heap) {
  return (exclude) =>
    new Promise((resolve, reject) => {
      let responses = 0;
      let closed = 0;
      let wrong = 0;
      let liveHeap = 0;
      const path = `/hold?batch=${tag}&n=${n}`;
      const check = (store) => {
        if (als.getStore() !== store) wrong++;
      };
      const release = () => {
        if (heap)
          liveHeap = exclude(() => {
            gcNow();
            return heapUsed();
          });
        const stream = session.request({ ':path': `/release?batch=${tag}` });
        stream.on('error', reject);
        stream.resume();
      };
      const open = (store) => {
        const stream = session.request({ ':path': path });
        stream.on('response', () => {
          check(store);
          if (++responses === n) als.run({ id: 'release' }, release);
        });
        stream.on('data', () => check(store));
        stream.on('end', () => check(store));
        stream.on('error', reject);
        stream.on('close', () => {
          check(store);
          if (++closed === n) resolve(heap ? { wrong, liveHeap } : { wrong });
        });
      };
      for (let i = 0; i < n; i++) {
        const store = { id: i };
        als.run(store, open, store);
      }
    });
}
