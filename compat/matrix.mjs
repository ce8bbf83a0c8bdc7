// Turns the per-runtime results of compat/run.mjs into one matrix (rows: scenario · event,
// columns: runtimes), its failures, notes and summaries, and prints it as text or Markdown.
import {
  cellDetail,
  changedMark,
  compareToNative,
  formatTable,
  mark,
  rowLabel,
  summarize,
} from '../dist/esm/doctor/internals.js';

export const legend =
  'cell: native → connect() · register   ✔ right scope  ✘ wrong scope (or wrong events)  – did not fire, need not  · not run';
export const probeLegend =
  'register probe, every way to reach connect — node: --import · -r · --patch-late; bun, deno: --preload · --patch-late';

export function runtimeName(result) {
  const runtime = result.plain?.runtime ?? result.register?.runtime;
  return runtime ? `${runtime.name} ${runtime.version}` : result.id;
}

/** Adds `name` under `scenario`, keeping first-seen order of both (runtimes differ in a few rows). */
function insert(order, scenario, name) {
  if (!order.has(scenario)) order.set(scenario, []);
  const names = order.get(scenario);
  if (!names.includes(name)) names.push(name);
}

/** Per runtime, each row's three cells; and the failures any shimmed cell or job produced. */
function collect(result, order, failures) {
  const name = runtimeName(result);
  const cells = new Map();
  const plainRows = result.plain?.rows ?? [];
  // The register run's native column, set against the plain run's native events.
  const registerRows =
    result.plain && result.register ? compareToNative(result.plain.runs.native, result.register.runs.native) : [];
  const failed = new Map();
  const fail = (row, column, cell) => {
    const key = `${name} · ${row.scenario} · ${rowLabel(row).trim()}`;
    failed.set(key, [...(failed.get(key) ?? []), `${column} ✘ ${cellDetail(cell)}`]);
  };
  for (const row of plainRows) {
    insert(order, row.scenario, rowLabel(row).trim());
    const register = registerRows.find((other) => other.scenario === row.scenario && other.name === row.name);
    cells.set(`${row.scenario}\0${rowLabel(row).trim()}`, {
      changed: row.change !== undefined,
      native: row.native.ok,
      connect: row.shimmed.ok,
      register: register?.shimmed.ok,
    });
    if (row.shimmed.ok === false) fail(row, 'connect()', row.shimmed);
    if (register?.shimmed.ok === false) fail(row, 'register', register.shimmed);
  }
  for (const row of result.register?.rows ?? []) {
    if (row.shimmed.ok === false) fail(row, 'connect() under register', row.shimmed);
  }
  for (const [key, columns] of failed) failures.push(`${key}: ${[...new Set(columns)].join('; ')}`);
  for (const note of [...(result.plain?.notes ?? []), ...(result.register?.notes ?? [])]) {
    if (note.shimmed && !note.native) failures.push(`${name} · ${note.scenario}: only with the shim: ${note.shimmed}`);
  }
  for (const probe of result.probes) {
    for (const [form, { ok, seen }] of Object.entries(probe.forms)) {
      if (!ok) failures.push(`${name} · register probe ${probe.variant} · ${form}: ✘ saw ${seen?.join(', ')}`);
    }
  }
  for (const [check, { ok, detail }] of Object.entries(result.coexistence ?? {})) {
    if (!ok) failures.push(`${name} · coexistence · ${check}: ✘ ${JSON.stringify(detail)}`);
  }
  failures.push(...result.errors.map((error) => `${name}: ${error}`));
  return { name, cells, summary: summarize(plainRows), registerSummary: summarize(registerRows), result };
}

/** What a runtime's native run did out of the listed order (Deno: data before response), and hung scenarios. */
function notesOf({ name, result }) {
  const byOrder = new Map();
  const lines = [];
  for (const note of result.plain?.notes ?? []) {
    for (const order of note.order) byOrder.set(order, (byOrder.get(order) ?? 0) + 1);
    if (note.native) lines.push(`${name} · ${note.scenario}, native: ${note.native}`);
  }
  const orders = [...byOrder].map(
    ([order, count]) => `${name} natively emits ${order} (${count} scenario${count > 1 ? 's' : ''})`,
  );
  return [...orders, ...lines, ...result.notes.map((note) => `${name} · ${note}`)];
}

function probeCells(order, runtimes) {
  return [...order].map((form) => [
    form,
    ...runtimes.map(({ result }) =>
      result.probes.map(({ forms }) => (forms[form] ? mark(forms[form].ok) : '·')).join(' '),
    ),
  ]);
}

/** The whole matrix: header, scenario groups, probe rows, summaries, notes and failures. */
export function buildMatrix(results) {
  const order = new Map();
  const failures = [];
  const runtimes = results.map((result) => collect(result, order, failures));
  const header = ['scenario · event', ...runtimes.map(({ name }) => name)];
  const groups = [...order].map(([scenario, names]) => ({
    scenario,
    rows: names.map((name) => [
      name,
      ...runtimes.map(({ cells }) => {
        const cell = cells.get(`${scenario}\0${name}`);
        return cell
          ? `${cell.changed ? changedMark : mark(cell.native)} → ${mark(cell.connect)} ${cell.register === undefined ? '·' : mark(cell.register)}`
          : '·';
      }),
    ]),
  }));
  const probeOrder = new Set(results.flatMap(({ probes }) => probes.flatMap(({ forms }) => Object.keys(forms))));
  const summaries = runtimes.map(({ name, summary, registerSummary, result }) => {
    const { events, checks } = summary;
    const coexistence = Object.values(result.coexistence ?? {});
    return (
      `${name}: native ${events.native}/${events.total} · connect() ${events.shimmed}/${events.total}` +
      ` · register ${registerSummary.events.shimmed}/${registerSummary.events.total} · checks ${checks.shimmed}/${checks.total}` +
      ` · coexistence ${coexistence.filter(({ ok }) => ok).length}/${coexistence.length}`
    );
  });
  return {
    header,
    groups,
    probes: probeCells(probeOrder, runtimes),
    summaries,
    notes: runtimes.flatMap(notesOf),
    failures,
  };
}

/** The matrix as the runner prints it. */
export function formatText(matrix) {
  const lines = matrix.groups.flatMap(({ scenario, rows }) => [
    scenario,
    ...rows.map(([name, ...cells]) => [`  ${name}`, ...cells]),
  ]);
  return [
    legend,
    '',
    formatTable(matrix.header, lines),
    '',
    probeLegend,
    '',
    formatTable(
      ['register probe', ...matrix.header.slice(1)],
      matrix.probes.map(([form, ...cells]) => [`  ${form}`, ...cells]),
    ),
  ].join('\n');
}

/** The matrix as the README's generated Compatibility section shows it. */
export function formatMarkdown(matrix) {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const rule = row(matrix.header.map(() => '---'));
  const blank = matrix.header.slice(1).map(() => '');
  const body = matrix.groups.flatMap(({ scenario, rows }) => [row([`**${scenario}**`, ...blank]), ...rows.map(row)]);
  const probes = matrix.probes.map(row);
  return [
    `Each cell: native → \`connect()\` · \`register\`. ✔ the listener ran in the right scope, ✘ it did not, ≠ the package changes this event on purpose (a 100 emits \`continue\` only, never \`headers\`), – the event did not fire and need not, · not run.`,
    '',
    row(matrix.header),
    rule,
    ...body,
    '',
    `${probeLegend}.`,
    '',
    row(['register probe', ...matrix.header.slice(1)]),
    rule,
    ...probes,
    ...(matrix.notes.length ? ['', ...matrix.notes.map((note) => `- ${note}`)] : []),
  ].join('\n');
}
