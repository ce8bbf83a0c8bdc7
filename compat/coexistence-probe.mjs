// Checks that the package lives well next to other patchers, on every runtime, through its public
// entries only (test/coexistence.test.ts is the Node 20 unit version of the same checks):
//   <runtime> compat/coexistence-probe.mjs
// Prints one JSON line: { runtime, checks: { name: { ok, detail? } } }.
import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import http2 from 'node:http2';
import { promisify } from 'node:util';
import { connect, patchHttp2, unpatchHttp2, wrapSession } from 'http2-async-context';
import { startScenarioServer } from '../dist/esm/doctor/internals.js';

const server = await startScenarioServer();
const nativeConnect = http2.connect;
const kScope = Symbol.for('http2-async-context.scope.v1');
const checks = {};
const closed = (stream) => new Promise((resolve) => stream.once('close', resolve));
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Runs `fn`; a false result or a throw fails the check, with what was seen. */
async function check(name, fn) {
  try {
    const detail = await fn();
    checks[name] = detail === true ? { ok: true } : { ok: false, detail };
  } catch (error) {
    checks[name] = { ok: false, detail: `threw ${error?.stack?.split('\n').slice(0, 2).join(' ') ?? error}` };
  }
}

/** Opens /trailers on `session`, reads it, resolves once closed. */
function trailers(session) {
  const stream = session.request({ ':path': '/trailers' });
  stream.resume();
  return { stream, done: closed(stream) };
}

await check('patch calls nobody and leaves nothing on Object.prototype', () => {
  let calls = 0;
  const double = () => {
    calls++;
    return undefined;
  };
  http2.connect = double;
  try {
    patchHttp2();
    const result = http2.connect('http://127.0.0.1:1');
    unpatchHttp2();
    const ok =
      calls === 1 && result === undefined && http2.connect === double && !Object.hasOwn(Object.prototype, 'request');
    return ok || { calls, result, restored: http2.connect === double };
  } finally {
    http2.connect = nativeConnect;
  }
});

await check('a later EventEmitter.prototype.emit patch sees every event, before and after close', async () => {
  const als = new AsyncLocalStorage();
  const eventsOf = async (connectFn) => {
    const session = connectFn(server.origin);
    const { stream, done } = trailers(session);
    const seen = [];
    const late = [];
    const protoEmit = EventEmitter.prototype.emit;
    EventEmitter.prototype.emit = function spy(event, ...args) {
      if (this === stream) seen.push(String(event));
      return Reflect.apply(protoEmit, this, [event, ...args]);
    };
    try {
      await done;
      await tick();
      // A closed stream may keep the package's released emit: it passes events through, in the
      // emitter's context.
      stream.on('late', () => late.push(als.getStore()));
      als.run('emitter', () => stream.emit('late'));
    } finally {
      EventEmitter.prototype.emit = protoEmit;
      session.destroy();
    }
    return { seen: seen.join(','), late: late.join(',') };
  };
  const native = await eventsOf(nativeConnect);
  const shimmed = await eventsOf(connect);
  const ok = native.seen === shimmed.seen && native.seen.endsWith(',late') && shimmed.late === 'emitter';
  return ok || { native, shimmed };
});

await check("another library's emit wrapper stays on close; the scope ends once", async () => {
  const session = connect(server.origin);
  const { stream, done } = trailers(session);
  const scope = stream[kScope];
  let destroys = 0;
  const emitDestroy = scope.emitDestroy;
  scope.emitDestroy = function counted() {
    destroys++;
    return emitDestroy.call(this);
  };
  const ours = stream.emit;
  const theirs = function theirs(...args) {
    return Reflect.apply(ours, this, args);
  };
  stream.emit = theirs;
  await done;
  const kept = stream.emit === theirs;
  stream.emit = ours;
  stream.emit('close');
  session.destroy();
  return (kept && destroys === 1) || { kept, destroys };
});

await check('session.request.call(other) opens the request on other', async () => {
  const wrapped = connect(server.origin);
  const other = nativeConnect(server.origin);
  const stream = wrapped.request.call(other, { ':path': '/trailers' });
  const on = stream.session === other;
  stream.resume();
  await closed(stream);
  wrapped.destroy();
  other.destroy();
  return on;
});

await check('a closed session has its own request and emit back', async () => {
  const session = wrapSession(nativeConnect(server.origin));
  await new Promise((resolve) => session.once('connect', resolve));
  session.close();
  await closed(session);
  return (!Object.hasOwn(session, 'request') && !Object.hasOwn(session, 'emit')) || 'own request or emit left';
});

await check('after unpatch, sessions the patch created are not scoped', async () => {
  patchHttp2();
  const session = http2.connect(server.origin);
  unpatchHttp2();
  const { stream, done } = trailers(session);
  const bound = stream[kScope] !== undefined;
  await done;
  session.destroy();
  return !bound || 'new stream still bound';
});

await check('promisify(connect) has the native attributes and rejects like native', async () => {
  const attributes = (fn) => {
    const descriptor = Object.getOwnPropertyDescriptor(fn, promisify.custom);
    return descriptor && [descriptor.writable, descriptor.enumerable, descriptor.configurable].join();
  };
  const failure = (fn) =>
    promisify(fn)('http://127.0.0.1:1').then(
      () => 'connected',
      (error) => error.code,
    );
  const native = { attributes: attributes(nativeConnect), failure: await failure(nativeConnect) };
  const ours = { attributes: attributes(connect), failure: await failure(connect) };
  return (native.attributes === ours.attributes && native.failure === ours.failure) || { native, ours };
});

await server.close();
const runtime = process.versions.bun
  ? `bun ${process.versions.bun}`
  : globalThis.Deno
    ? `deno ${Deno.version.deno}`
    : `node ${process.version}`;
console.log(JSON.stringify({ runtime, checks }));
process.exit(0);
