// Checks that every way of reaching node:http2's connect gives scoped sessions. Imports only
// the package's public entries, and runs on Node, Bun and Deno:
//   node --import http2-async-context/register compat/register-probe.mjs
//   node -r http2-async-context/register compat/register-probe.mjs
//   bun --preload ./dist/esm/register.js compat/register-probe.mjs
//   deno run -A --preload ./dist/esm/register.js compat/register-probe.mjs
//   <runtime> compat/register-probe.mjs --patch-late   (patchHttp2() after these imports ran)
// Prints one JSON line: { runtime, forms: { name: { ok, seen } } }.
import { AsyncLocalStorage } from 'node:async_hooks';
import http2Default, * as http2Namespace from 'node:http2';
import { connect as namedConnect } from 'node:http2';
import { createRequire } from 'node:module';
import { startScenarioServer } from '../dist/esm/doctor/internals.js';

const als = new AsyncLocalStorage();
const patchLate = process.argv.includes('--patch-late');
const server = await startScenarioServer();
const copiedBefore = http2Default.connect;
const sessionBefore = patchLate ? copiedBefore(server.origin) : undefined;
if (patchLate) (await import('http2-async-context')).patchHttp2();

const forms = {
  'import http2 from': () => http2Default.connect(server.origin),
  'import * as http2 from': () => http2Namespace.connect(server.origin),
  'import { connect } from': () => namedConnect(server.origin),
  "require('node:http2')": () => createRequire(import.meta.url)('node:http2').connect(server.origin),
  ...(patchLate && {
    'connect copied before the patch': () => copiedBefore(server.origin),
    'session created before the patch': () => sessionBefore,
  }),
};

/** One 100-continue upload: every runtime natively emits `headers` for it, and some lose scopes. */
function probe(session, id) {
  return new Promise((resolve) =>
    als.run(id, () => {
      const seen = [];
      const stream = session.request(
        { ':path': '/continue', ':method': 'POST', expect: '100-continue' },
        { endStream: false },
      );
      for (const event of ['continue', 'headers', 'response', 'end', 'close']) {
        stream.on(event, () => seen.push(`${event}:${als.getStore()}`));
      }
      stream.on('continue', () => stream.end('body'));
      stream.on('close', () => resolve(seen));
      stream.resume();
    }),
  );
}

const expected = ['continue', 'response', 'end', 'close'];
const results = {};
for (const [name, open] of Object.entries(forms)) {
  const session = open();
  const seen = await probe(session, name);
  const ok = seen.length === expected.length && expected.every((event) => seen.includes(`${event}:${name}`));
  results[name] = { ok, ...(!ok && { seen }) };
  session.close();
}
await server.close();
const runtime = process.versions.bun
  ? `bun ${process.versions.bun}`
  : globalThis.Deno
    ? `deno ${Deno.version.deno}`
    : `node ${process.version}`;
console.log(JSON.stringify({ runtime, forms: results }));
