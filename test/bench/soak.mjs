// Soak: many requests through one session, then GC. Reports the heap the session retained and
// how many `PendingRequest` async resources are still alive (async_hooks init minus destroy),
// ours (destroyed on `close` by emitDestroy) apart from Node's own (destroyed when collected).
// The same run on a native session gives the floor the shim's figures are read against.
import { AsyncResource, createHook } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connected, heapUsed, settleGc, withTimeout } from './runtime.mjs';
import { requestLoop } from './workloads.mjs';

const kScope = Symbol.for('http2-async-context.scope.v1');
const CONCURRENCY = 100;
const WARM_UP = 2_000;

/**
 * async_hooks bookkeeping: only ids of live resources are kept, so it retains nothing itself.
 * Bun's createHook never calls its hooks; there our scopes are counted instead by wrapping
 * `emitDestroy` (bound minus destroyed), and Node's own are not visible at all.
 */
function trackPendingRequests() {
  const live = new Set();
  const ours = new Set();
  const bound = new WeakSet();
  const stats = { hooks: false, init: 0, oursInit: 0, destroy: 0, oursDestroy: 0, oursBound: 0, oursDestroyCalls: 0 };
  const emitDestroy = AsyncResource.prototype.emitDestroy;
  AsyncResource.prototype.emitDestroy = function () {
    if (bound.delete(this)) stats.oursDestroyCalls++;
    return emitDestroy.call(this);
  };
  const hook = createHook({
    init(id, type) {
      if (type !== 'PendingRequest') return;
      stats.hooks = true;
      stats.init++;
      live.add(id);
    },
    destroy(id) {
      if (!live.delete(id)) return;
      stats.destroy++;
      if (ours.delete(id)) stats.oursDestroy++;
    },
  }).enable();
  return {
    stats,
    /** Called with each stream as it opens: marks its scope, if it has one, as ours. */
    mark(scope) {
      if (scope === undefined) return;
      bound.add(scope);
      stats.oursBound++;
      if (!live.has(scope.asyncId())) return;
      ours.add(scope.asyncId());
      stats.oursInit++;
    },
    counts: () =>
      stats.hooks
        ? {
            oursLive: stats.oursInit - stats.oursDestroy,
            nodeLive: stats.init - stats.oursInit - (stats.destroy - stats.oursDestroy),
          }
        : { oursLive: stats.oursBound - stats.oursDestroyCalls, nodeLive: null },
    disable: () => {
      hook.disable();
      AsyncResource.prototype.emitDestroy = emitDestroy;
    },
  };
}

/** One session, `total` requests in two halves, a settled heap reading after each. */
async function soakSession(name, open, config, tracker) {
  const session = open(config.origin);
  await connected(session);
  const { stats } = tracker;
  const start = { ...stats };
  let opened = 0;
  let scopesCollected = 0;
  const registry = new FinalizationRegistry(() => {
    scopesCollected++;
  });
  const onStream = (stream) => {
    const scope = stream[kScope];
    if (scope !== undefined) registry.register(scope, 0);
    tracker.mark(scope);
    opened++;
  };
  await requestLoop(session, '/1k', WARM_UP, CONCURRENCY, onStream)();
  await settleGc();
  const baseline = heapUsed();
  const checkpoints = [];
  const read = async (label) => {
    await sleep(50); // `close` listeners and queued destroy hooks finish
    const before = tracker.counts();
    await settleGc();
    const scopes = name === 'shimmed' ? opened - scopesCollected : null;
    checkpoints.push({
      label,
      requests: opened - WARM_UP,
      retainedKiB: (heapUsed() - baseline) / 1024,
      ...tracker.counts(),
      oursLiveBeforeGc: before.oursLive,
      nodeLiveBeforeGc: before.nodeLive,
      scopesReachable: scopes,
      created: {
        ours: stats.oursBound - start.oursBound,
        node: stats.hooks ? stats.init - stats.oursInit - (start.init - start.oursInit) : null,
      },
    });
    console.error(`soak ${name} ${label}: ${JSON.stringify(checkpoints.at(-1))}`);
  };
  const half = Math.floor(config.soakRequests / 2);
  for (const _label of ['half', 'all']) {
    const { wrong } = await withTimeout(
      requestLoop(session, '/1k', half, CONCURRENCY, onStream)(),
      600_000,
      `soak ${name}`,
    );
    // Natively some runtimes lose the store (Deno in `close`): that is the floor, not a failure.
    if (wrong && name === 'shimmed') throw new Error(`soak ${name}: ${wrong} listener calls saw the wrong store`);
    await read(`after ${opened - WARM_UP} requests`);
  }
  await new Promise((resolve) => session.close(resolve));
  await read('after session close');
  return checkpoints;
}

/** Native first (its floor), then the shim, each on a fresh session and its own baseline. */
export async function soak(config, variants) {
  const tracker = trackPendingRequests();
  const out = {};
  for (const name of ['native', 'shimmed']) out[name] = await soakSession(name, variants[name], config, tracker);
  tracker.disable();
  return { soakRequests: config.soakRequests, asyncHooks: tracker.stats.hooks, soak: out };
}
