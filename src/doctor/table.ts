import type { DoctorReport } from './doctor.js';
import { doctorNextStep } from './next-step.js';
import type { ModeCell, ReportRow, ScenarioNotes, Summary } from './report.js';

/** A table line: cells to align, or a heading printed as it is (a scenario name). */
export type TableLine = readonly string[] | string;

/** ✔ right, ✘ wrong, – did not fire and need not have. */
export function mark(ok: boolean | null): string {
  return ok === null ? '–' : ok ? '✔' : '✘';
}

/** The native mark of a row the package changes on purpose (`ReportRow.change`): a difference, not a loss. */
export const changedMark = '≠';

/**
 * Aligns columns by padding every cell to its column's widest. Widths are counted in code
 * points, which is what a terminal shows for the marks used here.
 */
export function formatTable(header: readonly string[], lines: readonly TableLine[]): string {
  const rows = [header, ...lines.filter((line): line is readonly string[] => typeof line !== 'string')];
  const widths = header.map((_, column) => Math.max(...rows.map((row) => [...(row[column] ?? '')].length)));
  const render = (row: readonly string[]) =>
    row
      .map((cell, column) => cell + ' '.repeat(Math.max(0, (widths[column] ?? 0) - [...cell].length)))
      .join('  ')
      .trimEnd();
  return [header, ...lines].map((line) => (typeof line === 'string' ? line : render(line))).join('\n');
}

/** A row's first column: the event, marked when the scenario expects it not to fire or it is a check. */
export function rowLabel(row: Pick<ReportRow, 'name' | 'kind' | 'expect'>): string {
  if (row.kind === 'check') return `  check: ${row.name}`;
  return row.expect === 'never' ? `  ${row.name} (must not fire)` : `  ${row.name}`;
}

/** Why a cell is wrong, in a few words: the stores its listeners saw instead, or its note. */
export function cellDetail(cell: ModeCell): string {
  if (cell.ok !== false) return '';
  if (cell.wrong > 0) return `saw ${cell.seen.join(', ')}`;
  return cell.note ?? (cell.firedOn === 0 ? 'did not fire' : `fired on ${cell.firedOn}/${cell.streams}`);
}

/**
 * `native: 41/52 events in the right scope · with http2-async-context: 52/52` (plus the rows
 * changed on purpose, and checks).
 */
export function summaryLine(summary: Summary, nativeName = 'native', shimmedName = 'with http2-async-context'): string {
  const { events, checks, changed } = summary;
  const changes = changed > 0 ? ` · ${changed} changed on purpose` : '';
  const line =
    `${nativeName}: ${events.native}/${events.total} events in the right scope · ` +
    `${shimmedName}: ${events.shimmed}/${events.total}${changes}`;
  return checks.total === 0
    ? line
    : `${line} · checks ${checks.native}/${checks.total} → ${checks.shimmed}/${checks.total}`;
}

/** The notes block: native order differences, grouped, then scenarios that errored or hung. */
export function formatNotes(notes: readonly ScenarioNotes[], runtime: string): string[] {
  const byOrder = new Map<string, string[]>();
  for (const note of notes)
    for (const order of note.order) byOrder.set(order, [...(byOrder.get(order) ?? []), note.scenario]);
  const lines = [...byOrder].map(
    ([order, where]) =>
      `  ${runtime} natively emits ${order} (${where.length > 3 ? `${where.length} scenarios` : where.join('; ')})`,
  );
  for (const note of notes) {
    if (note.native) lines.push(`  ${note.scenario}, native: ${note.native}`);
    if (note.shimmed) lines.push(`  ${note.scenario}, shimmed: ${note.shimmed}`);
  }
  return lines.length === 0 ? [] : ['', 'notes', ...lines];
}

/** What the doctor table's marks, notes and numbers mean, printed under it; `first` names the first column. */
export function doctorLegend(first = 'native'): string[] {
  return [
    "legend: ✔ the listener ran in its own request's store · ✘ it ran in another store or in none, or the event",
    '  fired where it must not (or not on every stream) · – it did not fire, and need not',
    '  ≠ the package changes this event on purpose: no context loss, and left out of the summary',
    "  saw session: ran in the session's store, not its request's · saw undefined: ran in no store at all",
    "  saw <id>: ran in another request's store (teardown: that of the code that destroyed the socket)",
    `  fired on 1/2: on 1 of 2 streams · summary: right cells of all counted, per column; checks ${first} → shimmed`,
  ];
}

/** The doctor's human output: heading, table, legend, notes, summary line and what to do next. */
export function formatDoctorReport(report: DoctorReport): string {
  const runtime = `${report.runtime.name} ${report.runtime.version}`;
  const nativeName = report.register ? 'register' : 'native';
  const server = report.server === 'in-process' ? 'a loopback h2c server in this process' : report.server;
  const lines: TableLine[] = [];
  let scenario = '';
  for (const row of report.rows) {
    if (row.scenario !== scenario) lines.push((scenario = row.scenario));
    const detail = [cellDetail(row.native), cellDetail(row.shimmed)].map((text, i) =>
      text ? `${i ? 'shimmed' : nativeName} ${text}` : '',
    );
    if (row.change !== undefined) detail[0] = `changed on purpose: ${row.change}`;
    const nativeMark = row.change === undefined ? mark(row.native.ok) : changedMark;
    lines.push([rowLabel(row), nativeMark, mark(row.shimmed.ok), detail.filter(Boolean).join('; ')]);
  }
  return [
    `http2-async-context doctor · ${runtime} · against ${server}`,
    report.register
      ? 'register is preloaded: http2.connect itself is shimmed, so the first column shows register'
      : `${nativeName} = http2.connect · shimmed = connect() from http2-async-context`,
    '',
    formatTable(['scenario · event', nativeName, 'shimmed', ''], lines),
    '',
    ...doctorLegend(nativeName),
    ...formatNotes(report.notes, runtime),
    '',
    summaryLine(report.summary, nativeName),
    doctorNextStep(report),
  ].join('\n');
}
