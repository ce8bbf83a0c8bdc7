import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { detectRuntime, type RuntimeInfo } from '../doctor.js';
import { clientsNextStep } from '../next-step.js';
import { formatTable, type TableLine } from '../table.js';
import { findInstalledClients, type InstalledClient } from './installed-clients.js';
import { bundlerNote, testRunnerNote } from './project-notes.js';
import type { ClientRun } from './run-clients.js';
import { type ClientMode, runClientStack, type StackEntry } from './stack.js';

export interface StackDoctorOptions {
  /** The project whose clients are measured. Default: the current directory. */
  from?: string;
  /** A subset of the clients, by doctor name (`grpc-js`, `http2-wrapper`, `got`, `undici`). */
  only?: readonly string[];
  /** Modes to run. Default: native, register, explicit. */
  modes?: readonly ClientMode[];
  /** The built files this runs from: `cli` to start again and `register` to preload in the register mode. */
  files: { cli: string; register: string };
  requests?: number;
}

export interface StackClientReport extends Omit<InstalledClient, 'entry'> {
  modes: Partial<Record<ClientMode, StackEntry>>;
}

export interface StackReport {
  runtime: RuntimeInfo;
  from: string;
  modes: ClientMode[];
  clients: StackClientReport[];
  /** What this runtime leaves out, and why. */
  notes: string[];
  /** True when every run with the fix (register, explicit, late) kept every callback in its request's store. */
  ok: boolean;
}

/** Every phase of the run finished, every callback ran and saw its own request's store. */
export function runClean(run: ClientRun | undefined): boolean {
  return (
    run !== undefined &&
    run.error === undefined &&
    run.phases.every((phase) => phase.error === undefined && phase.missing === 0 && phase.right === phase.total)
  );
}

/** The command that starts `cli` again on this runtime with `register` preloaded, as the README tells users to. */
export function registerCommand(files: { cli: string; register: string }): string[] {
  const runtime = detectRuntime().name;
  if (runtime === 'bun') return [process.execPath, '--preload', files.register, files.cli];
  if (runtime === 'deno') return [process.execPath, 'run', '-A', '--preload', files.register, files.cli];
  return [process.execPath, '--import', pathToFileURL(files.register).href, files.cli];
}

/** Runs the register mode in a child process started with the preload; its entries come back as JSON. */
function runRegisterChild(options: StackDoctorOptions, from: string): Promise<StackEntry[]> {
  const [command, ...args] = registerCommand(options.files);
  const flags = ['doctor', '--clients', '--mode', 'register', '--json', '--from', from];
  if (options.only) flags.push('--only', options.only.join(','));
  return new Promise((resolvePromise, reject) => {
    execFile(command!, [...args, ...flags], { maxBuffer: 64 << 20, timeout: 120_000 }, (error, stdout, stderr) => {
      try {
        resolvePromise((JSON.parse(stdout) as { entries: StackEntry[] }).entries);
      } catch {
        reject(
          new Error(
            (
              `the register child failed: ${(error?.message ?? '').split('\n')[0]} ` +
              stderr.trim().split('\n').slice(-3).join(' ')
            ).trim(),
          ),
        );
      }
    });
  });
}

/** The modes run by default, on every runtime: late (`patchClients()` after loading) on request. */
export function defaultModes(): ClientMode[] {
  return ['native', 'register', 'explicit'];
}

/**
 * Runs the client scenarios for each client library the project at `from` has installed:
 * natively, with the register preload (in a child process of this runtime) and with the explicit
 * helpers, and says for each phase how many callbacks kept their request's store.
 */
export async function runStackDoctor(options: StackDoctorOptions): Promise<StackReport> {
  const from = resolve(options.from ?? process.cwd());
  const modes = [...(options.modes ?? defaultModes())];
  const installed = findInstalledClients(from).filter((client) => options.only?.includes(client.client) ?? true);
  const clients: StackClientReport[] = installed.map(({ entry: _, ...named }) => ({ ...named, modes: {} }));
  const common = {
    from,
    ...(options.only && { only: options.only }),
    ...(options.requests !== undefined && { requests: options.requests }),
  };
  for (const mode of modes) {
    let entries: StackEntry[];
    try {
      entries = mode === 'register' ? await runRegisterChild(options, from) : await runClientStack({ ...common, mode });
    } catch (error) {
      entries = clients.map(({ modes: _, ...named }) => ({
        ...named,
        mode,
        skipKind: 'failure' as const,
        skipped: (error as Error).message,
      }));
    }
    for (const entry of entries) {
      const client = clients.find((candidate) => candidate.package === entry.package);
      if (client) client.modes[mode] = entry;
    }
  }
  const runtime = detectRuntime();
  const ok = clients.every((client) =>
    Object.values(client.modes).every(
      (entry) =>
        entry.mode === 'native' ||
        runClean(entry.run) ||
        entry.skipKind === 'runtime' ||
        entry.skipKind === 'helper' ||
        entry.skipKind === 'unsupported',
    ),
  );
  const projectNotes = [bundlerNote(from), testRunnerNote(from)].filter((note) => note !== undefined);
  const notes = [
    ...(runtime.name === 'deno'
      ? [
          'Deno: after GOAWAY and server restart are not run; a GOAWAY with streams in flight aborts Deno 2.9 ' +
            '(nghttp2 assertion in find_stream_on_goaway_func).',
        ]
      : []),
    ...projectNotes,
  ];
  return { runtime, from, modes, clients, notes, ok };
}

/** The line above the next step: the fix holds, holds for the supported clients only, or fails somewhere. */
function verdict(report: StackReport): string {
  if (!report.ok) return "✘ Some client loses a request's store with the fix: see the ✘ cells.";
  const unsupported = report.clients.some((client) =>
    Object.values(client.modes).some((entry) => entry.skipKind === 'unsupported'),
  );
  return unsupported
    ? "Every supported client keeps its callbacks in their requests' stores with the fix; the notes name the others."
    : "Every client keeps its callbacks in their requests' stores with the fix.";
}

/** `40/40` when every callback kept its store, else `✘ 5/40`; `–` without a run. */
function phaseCell(entry: StackEntry | undefined, phase: string): string {
  const result = entry?.run?.phases.find((candidate) => candidate.phase === phase);
  if (!result) return '–';
  const clean = result.right === result.total && result.missing === 0 && result.error === undefined;
  const missing = result.missing > 0 ? ` (${result.missing} missing)` : '';
  return `${clean ? '' : '✘ '}${result.right}/${result.total}${missing}`;
}

const modeMeanings: Record<ClientMode, string> = {
  native: 'native: as installed',
  register: 'register: started with the preload',
  explicit: 'explicit: with the helpers, nothing patched',
  late: 'late: patchClients() after loading',
};

/** What the clients table's cells and columns mean, printed under it. */
export function clientsLegend(modes: readonly ClientMode[]): string[] {
  return [
    "legend: n/m: n of m callback runs were in their own request's store · ✘ n/m: the other runs were in another",
    "  request's store or in none · (k missing): callbacks that never ran · – no run (the reason is below)",
    `  ${modes.map((mode) => modeMeanings[mode]).join(' · ')}`,
  ];
}

/**
 * The report as one table: a row per client and phase, a column per mode, each cell the callback
 * runs that saw their own request's store out of all callback runs; then why any mode has no run.
 */
export function formatStackReport(report: StackReport): string {
  const lines: TableLine[] = [];
  const notes: string[] = [];
  for (const client of report.clients) {
    const phases = [
      ...new Set(Object.values(client.modes).flatMap((entry) => entry.run?.phases.map((phase) => phase.phase) ?? [])),
    ];
    const name = `${client.package} ${client.version}`;
    phases.forEach((phase, i) => {
      lines.push([i === 0 ? name : '', phase, ...report.modes.map((mode) => phaseCell(client.modes[mode], phase))]);
    });
    if (phases.length === 0) lines.push([name, '–', ...report.modes.map(() => '–')]);
    const said = new Set<string>();
    for (const mode of report.modes) {
      const entry = client.modes[mode];
      const why = entry?.skipped ?? entry?.run?.error;
      if (why === undefined || said.has(why)) continue;
      said.add(why);
      const everyMode = entry?.skipKind === 'runtime' || entry?.skipKind === 'unsupported';
      notes.push(`${client.package}${everyMode ? '' : ` (${mode})`}: ${why}`);
    }
  }
  const runtime = `${report.runtime.name} ${report.runtime.version}`;
  if (report.clients.length === 0) {
    return [
      'No HTTP/2 client this package integrates with (@grpc/grpc-js, http2-wrapper, got, undici) resolves from ' +
        `${report.from} (${runtime}).`,
      clientsNextStep(report),
    ].join('\n');
  }
  return [
    `HTTP/2 clients installed in ${report.from}, on ${runtime}. ` +
      "Each cell: the callback runs in their own request's store / all callback runs.",
    formatTable(['client', 'phase', ...report.modes], lines),
    '',
    ...clientsLegend(report.modes),
    '',
    ...notes,
    ...report.notes,
    verdict(report),
    clientsNextStep(report),
  ].join('\n');
}
