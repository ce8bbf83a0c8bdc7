// Real HTTP/2 clients nobody here wrote, against a loopback TLS server, natively and after
// patchHttp2(). Run: node compat/third-party-clients.mjs   (Node 20+; undici 7 needs >= 20.18)
//
// What it shows (README Limitations): on a connected session every event is in the caller's
// scope once patched. Requests queued while a session connects are issued later by the library
// from its own connect callback, so the shim captures that callback's context: every queued
// request sees the store of the request that started the connection, patched or not.
// Exits 1 if a guaranteed case (warm session, patched) is wrong.
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import http2wrapper from 'http2-wrapper';
import { Client } from 'undici';
import { patchHttp2, unpatchHttp2 } from 'http2-async-context';
import { startScenarioServer } from 'http2-async-context/doctor';

const fixture = (name) => readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url));
const tls = { key: fixture('key.pem'), cert: fixture('cert.pem') };
const als = new AsyncLocalStorage();
const server = await startScenarioServer({ tls });

/** http2-wrapper request for /trailers; resolves with the stores its callbacks saw. */
const viaHttp2Wrapper = (agent) => (id) => new Promise((resolve, reject) => als.run(id, () => {
  const seen = {};
  http2wrapper.request(`${server.origin}/trailers`, { agent, ca: tls.cert, servername: 'localhost' }, (response) => {
    seen.response = als.getStore();
    response.on('data', () => { seen.data = als.getStore(); });
    response.on('end', () => { seen.end = als.getStore(); resolve(seen); });
  }).on('error', reject).end();
}));

/** undici dispatch (raw handler callbacks) for /trailers over HTTP/2. */
const viaUndici = (client) => (id) => als.run(id, () => new Promise((resolve, reject) => {
  const seen = {};
  client.dispatch({ path: '/trailers', method: 'GET' }, {
    onConnect() {},
    onHeaders() { seen.headers = als.getStore(); return true; },
    onData() { seen.data = als.getStore(); return true; },
    onComplete() { seen.complete = als.getStore(); resolve(seen); },
    onError: reject,
  });
}));

/**
 * Three requests at once on a cold client (queued behind the connect), two one after the other
 * on the connected client, then two at once on it. Each case: did every callback see its store?
 */
async function measure(open) {
  const { request, close } = open();
  const right = (ids, list) => list.every((seen, i) => Object.values(seen).every((store) => store === ids[i]));
  const cold = right(['c1', 'c2', 'c3'], await Promise.all(['c1', 'c2', 'c3'].map(request)));
  const sequential = right(['s1', 's2'], [await request('s1'), await request('s2')]);
  const concurrent = right(['p1', 'p2'], await Promise.all(['p1', 'p2'].map(request)));
  await close();
  return { cold, sequential, concurrent };
}

const clients = {
  'http2-wrapper': () => {
    const agent = new http2wrapper.Agent();
    return { request: viaHttp2Wrapper(agent), close: async () => agent.destroy() };
  },
  'undici (allowH2, dispatch)': () => {
    const client = new Client(server.origin, { allowH2: true, connect: { ca: tls.cert, servername: 'localhost' } });
    return { request: viaUndici(client), close: () => client.close() };
  },
};

const rows = [];
for (const [name, open] of Object.entries(clients)) {
  const native = await measure(open);
  patchHttp2();
  const patched = await measure(open);
  unpatchHttp2();
  rows.push({ client: name, native, patched });
}
await server.close();

const mark = (row, key) => `${row.native[key] ? '✔' : '✘'} → ${row.patched[key] ? '✔' : '✘'}`;
console.log(`${process.release.name} ${process.version}: did every callback see its own request's store? (native → patched)`);
console.log('client                     | connected, one at a time | connected, two at once | queued while connecting');
for (const row of rows) {
  console.log(`${row.client.padEnd(26)} | ${mark(row, 'sequential').padEnd(24)} | ${mark(row, 'concurrent').padEnd(22)} | ${mark(row, 'cold')}`);
}
if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
// The guarantee: a request the library issues from its caller's own call is scoped once patched.
process.exitCode = rows.every((row) => row.patched.sequential) && rows[0].patched.concurrent ? 0 : 1;
