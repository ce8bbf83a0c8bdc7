// What the client processes need from whichever runtime runs them: a name, a forced full GC,
// process CPU time, and the session options every variant connects with.
import { setTimeout as sleep } from 'node:timers/promises';

export const runtime = globalThis.Bun ? 'bun' : globalThis.Deno ? 'deno' : 'node';
export const runtimeVersion = globalThis.Bun
  ? globalThis.Bun.version
  : globalThis.Deno
    ? globalThis.Deno.version.deno
    : process.versions.node;

/** A synchronous full collection: Node and Deno need --expose-gc, Bun has its own call. */
export function gcNow() {
  if (typeof globalThis.gc === 'function') return globalThis.gc();
  if (globalThis.Bun) return globalThis.Bun.gc(true);
  throw new Error('no way to force GC: run Node with --expose-gc, Deno with --v8-flags=--expose-gc');
}

/**
 * Collects until finalizers and GC-driven async_hooks `destroy` callbacks (queued by V8 weak
 * callbacks, emitted on a later turn) have had their turn: several rounds, each with a timer gap.
 */
export async function settleGc(rounds = 4) {
  for (let i = 0; i < rounds; i++) {
    gcNow();
    await sleep(10);
  }
  gcNow();
}

/** User + system CPU of this whole process, in milliseconds. */
export function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * User + system CPU of the main thread alone, in milliseconds, or null where the runtime has no
 * `process.threadCpuUsage` (Node 20 has none; measured present on Node 22.23, 24, 26, Bun 1.4 and
 * Deno 2.9, Deno's in 10 ms steps).
 * Tells the JavaScript thread's cost apart from GC and compiler threads'.
 */
export const threadCpuMs =
  typeof process.threadCpuUsage === 'function'
    ? () => {
        const { user, system } = process.threadCpuUsage();
        return (user + system) / 1000;
      }
    : () => null;

/** Heap in use, bytes (V8's heapUsed; JSC's on Bun). */
export function heapUsed() {
  return process.memoryUsage().heapUsed;
}

/**
 * Identical for every variant. The client never limits itself to the default 100 concurrent
 * streams before the server's SETTINGS arrive, and may buffer 10 000 open streams.
 */
export const sessionOptions = { peerMaxConcurrentStreams: 100_000, maxSessionMemory: 1000 };

/** Resolves once `session` is connected and has the server's SETTINGS, or rejects after `ms`. */
export function connected(session, ms = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connect timed out')), ms);
    session.once('error', reject);
    session.once('remoteSettings', () => {
      clearTimeout(timer);
      session.off('error', reject);
      resolve(session);
    });
  });
}

/** Rejects after `ms` unless `promise` settles first; a hung round must not hang the run. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
