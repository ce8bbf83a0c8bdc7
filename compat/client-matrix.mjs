// The client matrix: what `doctor --clients --json` reported on each runtime (the HTTP/2 client
// libraries installed in this repository, newest at the root, the other sets in test/clients/),
// as one table (rows: client · phase, columns: runtimes), its failures and notes.
import { formatTable, runClean } from '../dist/esm/doctor/internals.js';

export const clientLegend =
  "cell: native → register → explicit, callbacks in their request's store   ✔ all   ✘ right/all   – not run";

/** `✔`, `✘ 3/96` (with `, 2 missing`), or `–` without a run of that phase. */
function phaseMark(entry, phase) {
  const result = entry?.run?.phases.find((candidate) => candidate.phase === phase);
  if (!result) return '–';
  if (result.right === result.total && result.missing === 0 && result.error === undefined) return '✔';
  return `✘ ${result.right}/${result.total}${result.missing ? `, ${result.missing} missing` : ''}`;
}

/**
 * A fixed run must be clean, unless the runtime cannot run the client, the version has no helper,
 * or the version is outside the supported range (left alone, and said so).
 */
function expectedClean(entry) {
  return !(
    entry.mode === 'native' ||
    entry.skipKind === 'runtime' ||
    entry.skipKind === 'helper' ||
    entry.skipKind === 'unsupported'
  );
}

/**
 * Rows and failures from each runtime's client reports (`result.clients`: one doctor --clients
 * report per installed set). A report that ran the late mode too (`patchClients()` after the
 * clients loaded) adds it after the explicit one.
 */
export function buildClientMatrix(results) {
  const order = [];
  const cells = new Map();
  const failures = [];
  const notes = new Set();
  const totals = new Map(); // `${label}\0${runtime}` → mode → { right, total, clean }
  const header = ['client · phase'];
  for (const result of results) {
    const reports = result.clients ?? [];
    const runtime = reports[0]?.runtime;
    const name = runtime ? `${runtime.name} ${runtime.version}` : result.id;
    header.push(name);
    for (const report of reports) {
      // The doctor's notes on bundlers and test runners are for a user's project: this repository's
      // esbuild only bundles its tests, and its vitest runs them.
      for (const note of report.notes) if (!/^(Bundles|Test runners): /.test(note)) notes.add(note);
      for (const client of report.clients) {
        const label = `${client.package} ${client.version}`;
        const phases = [
          ...new Set(Object.values(client.modes).flatMap((entry) => entry.run?.phases.map(({ phase }) => phase) ?? [])),
        ];
        for (const phase of phases.length ? phases : ['–']) {
          const key = `${label} · ${phase}`;
          if (!order.includes(key)) order.push(key);
          const { native, register, explicit, late } = client.modes;
          cells.set(
            `${key}\0${name}`,
            `${phaseMark(native, phase)} → ${phaseMark(register, phase)} → ${phaseMark(explicit, phase)}` +
              (late ? ` (late ${phaseMark(late, phase)})` : ''),
          );
        }
        for (const entry of Object.values(client.modes)) {
          const key = `${label}\0${name}`;
          if (!totals.has(key)) totals.set(key, {});
          if (entry.run) {
            const right = entry.run.phases.reduce((sum, phase) => sum + phase.right, 0);
            const total = entry.run.phases.reduce((sum, phase) => sum + phase.total, 0);
            totals.get(key)[entry.mode] = { right, total, clean: runClean(entry.run) };
          }
          if (entry.skipKind === 'runtime') notes.add(`${client.package} ${entry.skipped}`);
          if (expectedClean(entry) && !runClean(entry.run)) {
            failures.push(
              `${name} · ${label} · ${entry.mode}: ${entry.skipped ?? entry.run?.error ?? entry.run?.phases.map(({ summary }) => summary).join('; ')}`,
            );
          }
        }
      }
    }
  }
  // A client a runtime cannot run has only a `–` row there; other runtimes' phase rows say it.
  const kept = order.filter(
    (key) => !key.endsWith(' · –') || !order.some((other) => other !== key && other.startsWith(key.slice(0, -1))),
  );
  const rows = kept.map((key) => [key, ...results.map((_, i) => cells.get(`${key}\0${header[i + 1]}`) ?? '·')]);
  const labels = [...new Set(order.map((key) => key.slice(0, key.lastIndexOf(' · '))))];
  const mark = (count) => (!count ? '–' : count.clean ? `✔ ${count.total}` : `✘ ${count.right}/${count.total}`);
  const summaryRows = labels.map((label) => [
    label,
    ...header.slice(1).map((name) => {
      const modes = totals.get(`${label}\0${name}`);
      if (!modes || Object.keys(modes).length === 0) return '·';
      return `${mark(modes.native)} → ${mark(modes.register)} → ${mark(modes.explicit)}${modes.late ? ` (late ${mark(modes.late)})` : ''}`;
    }),
  ]);
  return { header, rows, summaryRows, notes: [...notes], failures };
}

export function formatClientText(matrix) {
  return [
    clientLegend,
    '',
    formatTable(
      matrix.header,
      matrix.rows.map(([key, ...rest]) => [`  ${key}`, ...rest]),
    ),
  ].join('\n');
}

/**
 * The matrix in Markdown: phase by phase (`byPhase`, for compat/RESULTS.md), or one row per
 * client with every phase added up (for the README).
 */
export function formatClientMarkdown(matrix, { byPhase = false } = {}) {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const header = byPhase ? matrix.header : ['client', ...matrix.header.slice(1)];
  const legendText = byPhase
    ? 'Each cell: native → `register` → explicit helper, callbacks of 8 concurrent requests of each kind, each request in its own store: ✔ every callback saw its own store, ✘ right/all, – not run (no helper for that version), · not run on that runtime.'
    : "Each cell: native → `register` → explicit helper, callbacks that saw their own request's store, over every phase (cold, warm, after GOAWAY and, for grpc-js, a server restart with `waitForReady`; 8 concurrent requests of each kind per phase): ✔ all of them, ✘ right/all, – not run (no helper for that version), · not run on that runtime.";
  return [
    legendText,
    '',
    row(header),
    row(header.map(() => '---')),
    ...(byPhase ? matrix.rows : matrix.summaryRows).map(row),
    ...(matrix.notes.length ? ['', ...matrix.notes.map((note) => `- ${note}`)] : []),
  ].join('\n');
}
