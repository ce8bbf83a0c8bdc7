import { formatTable, type TableLine } from '../table.js';
import type { CallbackCell } from './callback-log.js';
import type { ClientRun } from './run-clients.js';

/** `8/8` when every request ran it in its own store; else `✘ 1/8` (right of requests), or `✘ did not run`. */
function cellText(cell: CallbackCell | undefined): string {
  if (!cell || (cell.expect === 'optional' && cell.ran === 0)) return '–';
  if (cell.ran === 0) return '✘ did not run';
  const ok = cell.right === cell.requests || (cell.expect === 'optional' && cell.right === cell.ran);
  return `${ok ? '' : '✘ '}${cell.right}/${cell.requests}`;
}

/** What `formatClientRun`'s cells mean, printed under its tables. */
export const clientRunLegend: readonly string[] = [
  "legend: n/m: on n of m requests the callback ran in the request's own store · ✘ n/m: on the others it ran in",
  '  another store or in none · ✘ did not run: it never ran · – optional, and did not run',
];

/**
 * A run as a table: one row per callback, one column per phase, each cell the requests on which
 * the callback ran in its own store; then each phase's summary line.
 *
 * @example
 * ```ts
 * console.log(formatClientRun(await runClientScenarios(undiciAdapter(undici), { tls })));
 * ```
 */
export function formatClientRun(run: ClientRun): string {
  const names = [...new Set(run.phases.flatMap((phase) => phase.cells.map((cell) => cell.name)))];
  const lines: TableLine[] = names.map((name) => [
    `  ${name}`,
    ...run.phases.map((phase) => cellText(phase.cells.find((cell) => cell.name === name))),
  ]);
  const helpers = run.helpers.length > 0 ? run.helpers.join(', ') : 'none';
  return [
    `${run.client} · ${run.transport} · ${run.requests} requests of each kind at once · helpers: ${helpers}`,
    formatTable(['callback', ...run.phases.map((phase) => phase.phase)], lines),
    ...run.phases.map((phase) => phase.summary),
  ].join('\n');
}
