import type { CellResult, Expectation } from './recorder.js';
import type { ScenarioRun } from './run.js';

/** One cell of one mode, as printed and as written to JSON. */
export type ModeCell = Pick<CellResult, 'ok' | 'streams' | 'firedOn' | 'wrong' | 'seen' | 'note'>;

/** One row: a scenario's event (or check), native against shimmed. */
export interface ReportRow {
  scenario: string;
  name: string;
  kind: CellResult['kind'];
  expect: Expectation;
  native: ModeCell;
  shimmed: ModeCell;
  /**
   * Set when the package changes this event on purpose and the native run shows the difference
   * (Node's `headers` for a 100): how. Not a native loss: the summary counts such rows apart.
   */
  change?: string;
}

/** Per scenario, what did not go as planned: its error, and events that fired out of order natively. */
export interface ScenarioNotes {
  scenario: string;
  native?: string;
  shimmed?: string;
  /** `"data before response"`: the native order differs from the order the scenario lists. */
  order: string[];
}

const absent = (streams: number): ModeCell => ({ ok: null, streams, firedOn: 0, wrong: 0, seen: [] });

/**
 * Pairs each cell of a native run with the same cell of a shimmed run. A shimmed event must also
 * fire on as many streams as it does natively (the shim changes scopes, never which events fire),
 * except events the scenario says must not fire at all.
 */
export function compareToNative(native: readonly ScenarioRun[], shimmed: readonly ScenarioRun[]): ReportRow[] {
  const rows: ReportRow[] = [];
  for (const nativeRun of native) {
    const shimmedRun = shimmed.find((run) => run.scenario === nativeRun.scenario);
    const names = [...nativeRun.cells, ...(shimmedRun?.cells ?? [])].map((cell) => cell.name);
    for (const name of new Set(names)) {
      const nativeCell = nativeRun.cells.find((cell) => cell.name === name);
      const shimmedCell = shimmedRun?.cells.find((cell) => cell.name === name);
      const model = (nativeCell ?? shimmedCell) as CellResult;
      const change = nativeCell?.ok === false ? (nativeCell.change ?? shimmedCell?.change) : undefined;
      const row: ReportRow = {
        scenario: model.scenario,
        name,
        kind: model.kind,
        expect: model.expect,
        native: nativeCell ? modeCell(nativeCell) : absent(model.streams),
        shimmed: shimmedCell ? modeCell(shimmedCell) : absent(model.streams),
        ...(change !== undefined && { change }),
      };
      rows.push(matchNativeEvents(row));
    }
  }
  return rows;
}

function modeCell({ ok, streams, firedOn, wrong, seen, note }: CellResult): ModeCell {
  return { ok, streams, firedOn, wrong, seen, ...(note !== undefined && { note }) };
}

/** Fails a shimmed event cell that fired on a different number of streams than natively. */
function matchNativeEvents(row: ReportRow): ReportRow {
  if (row.kind !== 'event' || row.expect === 'never' || row.native.firedOn === row.shimmed.firedOn) return row;
  const note = `fired on ${row.shimmed.firedOn}/${row.shimmed.streams} streams, natively on ${row.native.firedOn}`;
  return { ...row, shimmed: { ...row.shimmed, ok: false, note } };
}

/** Errors and native order differences, per scenario that has any. */
export function scenarioNotes(native: readonly ScenarioRun[], shimmed: readonly ScenarioRun[]): ScenarioNotes[] {
  return native.flatMap((nativeRun) => {
    const shimmedRun = shimmed.find((run) => run.scenario === nativeRun.scenario);
    const order = [
      ...new Set(nativeRun.inversions.map(([listedFirst, firedFirst]) => `${firedFirst} before ${listedFirst}`)),
    ];
    if (!nativeRun.error && !shimmedRun?.error && order.length === 0) return [];
    return [
      {
        scenario: nativeRun.scenario,
        order,
        ...(nativeRun.error !== undefined && { native: nativeRun.error }),
        ...(shimmedRun?.error !== undefined && { shimmed: shimmedRun.error }),
      },
    ];
  });
}

/**
 * Counts of right cells per mode; dashes (nothing fired, nothing had to) count in neither, nor do
 * rows the package changes on purpose (`changed`: they are no native context loss).
 */
export interface Summary {
  events: { native: number; shimmed: number; total: number };
  checks: { native: number; shimmed: number; total: number };
  /** Rows with a `change`: events the package changes on purpose, where native differs. */
  changed: number;
}

export function summarize(rows: readonly ReportRow[]): Summary {
  const count = (kind: CellResult['kind']) => {
    const counted = rows.filter(
      (row) => row.kind === kind && row.change === undefined && (row.native.ok !== null || row.shimmed.ok !== null),
    );
    return {
      native: counted.filter((row) => row.native.ok === true).length,
      shimmed: counted.filter((row) => row.shimmed.ok === true).length,
      total: counted.length,
    };
  };
  return { events: count('event'), checks: count('check'), changed: rows.filter((row) => row.change).length };
}

/** True when no shimmed cell failed: what the doctor's exit code and the compat suite require. */
export function shimmedClean(rows: readonly ReportRow[]): boolean {
  return rows.every((row) => row.shimmed.ok !== false);
}
