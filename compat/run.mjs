// `npm run compat -- --all-versions`: every supported version of each client library instead (all-versions.mjs).
// `npm run compat -- --latest`: each client library's current latest release instead (all-versions.mjs).
// `npm run compat [-- --write-readme] [-- --only node22,bun] [-- --tracers core|all|none]`: runs the
// doctor's scenarios and the register probe on every runtime (node, node22, node24, node26, bun,
// deno), and the client scenarios inside OpenTelemetry and dd-trace (compat/tracer-scenario.mjs:
// `core`, the default, on the Node that runs it, the newest Node, Bun and Deno; `all` on every
// runtime, the default with --write-readme), prints the matrices, and exits non-zero when any
// shimmed (connect() or register) cell or probe fails, or any callback of a run with the package
// sees another request's store or trace.
//
// One scenario server, here on this Node, serves every runtime: the suite tests clients, and a
// server bug must not pass for a client's. (Bun's http2 server has a reported GOAWAY bug, a second
// GOAWAY raising last-stream-id; no scenario hit it on Bun 1.4.5, where `doctor` hosts its own.)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startScenarioServer } from '../dist/esm/doctor/internals.js';
import { buildClientMatrix, formatClientMarkdown, formatClientText } from './client-matrix.mjs';
import { buildMatrix, formatMarkdown, formatText, runtimeName } from './matrix.mjs';
import { cli, findRuntimes, runRuntime } from './runtimes.mjs';
import {
  buildTracerMatrix,
  formatTracerMarkdown,
  formatTracerText,
  runTracerMatrix,
  tracerJobs,
} from './tracer-matrix.mjs';

const { values: flags } = parseArgs({
  options: {
    'write-readme': { type: 'boolean' },
    only: { type: 'string' },
    'all-versions': { type: 'boolean' },
    latest: { type: 'boolean' },
    tracers: { type: 'string' },
  },
});
const tracerTier = flags.tracers ?? (flags['write-readme'] ? 'all' : 'core');
if (!['core', 'all', 'none'].includes(tracerTier)) {
  console.error(`compat: --tracers takes core, all or none, not ${tracerTier}`);
  process.exit(2);
}
const started = Date.now();

if (flags.latest) {
  const { runLatest } = await import('./all-versions.mjs');
  process.exit(await runLatest());
}

if (flags['all-versions']) {
  const { runAllVersions } = await import('./all-versions.mjs');
  process.exit(await runAllVersions({ writeResults: flags['write-readme'] === true }));
}

if (!existsSync(cli)) {
  console.error(`compat: ${cli} is missing; run \`npm run build\` first.`);
  process.exit(2);
}

/** Runs `task` over `items`, at most `limit` at a time (the machine has two cores). */
async function pool(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const { ready, skipped } = await findRuntimes(flags.only ? flags.only.split(',') : []);
const tracers = await tracerJobs(ready, tracerTier);
const server = await startScenarioServer();
let results;
try {
  results = await pool(ready, 2, (runtime) => runRuntime(runtime, server.origin));
} finally {
  await server.close();
}
// The tracer jobs come after the runtimes', not beside them: the doctor's scenarios have timers
// of 50 ms (session timeout) that failed when tracer processes ran beside them, even at a low
// priority. Their processes mostly wait on loopback I/O and timers, hence four at a time.
const tracersStarted = Date.now();
const tracerResults = await runTracerMatrix(tracers.jobs, pool, 4);
const tracerSeconds = (Date.now() - tracersStarted) / 1000;

const matrix = buildMatrix(results);
const clientMatrix = buildClientMatrix(results);
matrix.failures.push(...clientMatrix.failures);
const tracerMatrix = buildTracerMatrix(tracerResults, tracers.skipped);
matrix.failures.push(...tracerMatrix.failures);
const date = new Date().toISOString().slice(0, 10);
const versions = results.map(runtimeName);
console.log(
  `http2-async-context compat · ${date} · ${process.platform}-${process.arch} · runtimes: ${versions.join(', ')}`,
);
for (const { id, reason } of skipped) console.log(`SKIPPED ${id}: ${reason}`);
console.log('');
console.log(formatText(matrix));
console.log('');
console.log(formatClientText(clientMatrix));
console.log('');
if (tracerTier !== 'none') {
  const processes = tracerResults.reduce((sum, job) => sum + job.processes, 0);
  console.log(
    `${formatTracerText(tracerMatrix)}\n\ntracers (${tracerTier}): ${processes} processes in ${tracerSeconds.toFixed(1)} s\n`,
  );
}
for (const line of matrix.summaries) console.log(line);
const allNotes = [...matrix.notes, ...clientMatrix.notes, ...tracerMatrix.notes];
if (allNotes.length) console.log(['', 'notes', ...allNotes.map((note) => `  ${note}`)].join('\n'));
if (matrix.failures.length) console.log(['', 'FAILED', ...matrix.failures.map((failure) => `  ${failure}`)].join('\n'));

process.exitCode = matrix.failures.length ? 1 : 0;
if (flags['write-readme']) writeReadme();
const skippedNote = skipped.length ? ` (skipped: ${skipped.map(({ id }) => id).join(', ')})` : '';
console.log(
  `\ncompat: ${matrix.failures.length ? 'FAILED' : 'ok'}${skippedNote} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

/** Replaces what lies between `<!-- name:start -->` and `<!-- name:end -->` in `readme` with `body`. */
function replaceSection(readme, name, body) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from === -1 || to < from) {
    console.error(`compat: README.md has no ${start} … ${end} markers; nothing written there.`);
    process.exitCode = 2;
    return readme;
  }
  const section = [
    start,
    `<!-- Generated by \`npm run compat -- --write-readme\`; edits here are overwritten. -->`,
    `_Generated on ${date} (${process.platform}-${process.arch}) with ${versions.join(', ')}` +
      `${skipped.length ? `; skipped: ${skipped.map(({ id }) => id).join(', ')}` : ''}._`,
    '',
    body,
    end,
  ].join('\n');
  return readme.slice(0, from) + section + readme.slice(to + end.length);
}

/** `text` with its `name` section (markers included) as it is in `previous`, if `previous` has one. */
function keepSection(text, name, previous) {
  const [start, end] = [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`];
  const from = previous.indexOf(start);
  const to = previous.indexOf(end);
  if (from === -1 || to < from) return text;
  return (
    text.slice(0, text.indexOf(start)) +
    previous.slice(from, to + end.length) +
    text.slice(text.indexOf(end) + end.length)
  );
}

/**
 * Writes the one-line summary per runtime into README.md, and the full matrices (event by event,
 * client by client and phase by phase, tracers) into compat/RESULTS.md, which the README links. With
 * --tracers none, RESULTS.md keeps the tracer section it had.
 */
function writeReadme() {
  const readme = replaceSection(
    readFileSync('README.md', 'utf8'),
    'compat',
    matrix.summaries.map((line) => `- ${line}`).join('\n'),
  );
  writeFileSync('README.md', readme);
  const results = replaceSection(
    '# Compatibility results\n\nEvery scenario of `npm run compat`, runtime by runtime. The README has one summary line per runtime.\n\n' +
      '## node:http2, event by event\n\n<!-- compat:start -->\n<!-- compat:end -->\n\n' +
      '## HTTP/2 client libraries, phase by phase\n\n<!-- clients:start -->\n<!-- clients:end -->\n\n' +
      '## Inside a tracer: OpenTelemetry and dd-trace\n\n<!-- tracers:start -->\n<!-- tracers:end -->\n',
    'compat',
    [formatMarkdown(matrix), '', ...matrix.summaries.map((line) => `- ${line}`)].join('\n'),
  );
  const withClients = replaceSection(results, 'clients', formatClientMarkdown(clientMatrix, { byPhase: true }));
  writeFileSync(
    'compat/RESULTS.md',
    tracerTier === 'none'
      ? keepSection(
          withClients,
          'tracers',
          existsSync('compat/RESULTS.md') ? readFileSync('compat/RESULTS.md', 'utf8') : '',
        )
      : replaceSection(withClients, 'tracers', formatTracerMarkdown(tracerMatrix)),
  );
  console.log(`\nREADME.md and compat/RESULTS.md: generated sections written (${date}).`);
}
