import http2 from 'node:http2';
import { connect, patchStatus } from '../index.js';
import {
  compareToNative,
  type ReportRow,
  type ScenarioNotes,
  type Summary,
  scenarioNotes,
  shimmedClean,
  summarize,
} from './report.js';
import { runScenarios, type ScenarioRun } from './run.js';
import { startScenarioServer } from './server.js';

/** The runtime the doctor ran on. */
export interface RuntimeInfo {
  name: 'node' | 'bun' | 'deno';
  version: string;
}

/** Everything `http2-async-context doctor --json` prints. */
export interface DoctorReport {
  runtime: RuntimeInfo;
  /**
   * True when `http2-async-context/register` was preloaded: `http2.connect` itself is then
   * shimmed, and the `native` column shows what register gives.
   */
  register: boolean;
  /** `in-process` for the doctor's own loopback server, else the origin it was given. */
  server: string;
  rows: ReportRow[];
  notes: ScenarioNotes[];
  summary: Summary;
  /** Exit status 0: no shimmed cell failed, and no scenario failed only when shimmed. */
  ok: boolean;
  /** The raw runs, for a caller that compares them with another process (the compat runner). */
  runs: { native: ScenarioRun[]; shimmed: ScenarioRun[] };
}

export interface DoctorOptions {
  /** A scenario server already listening (`startScenarioServer()` elsewhere); else one starts here. */
  origin?: string;
}

/** Which runtime this is; Bun and Deno also define `process.versions.node`, so they are asked first. */
export function detectRuntime(): RuntimeInfo {
  const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
  if (process.versions.bun) return { name: 'bun', version: process.versions.bun };
  if (deno) return { name: 'deno', version: deno.version.deno };
  return { name: 'node', version: process.versions.node };
}

/**
 * Runs every scenario twice on this runtime, with `http2.connect` and with the package's
 * `connect()`, against a loopback server, and compares the scope each listener saw.
 *
 * @example
 * ```ts
 * import { runDoctor } from 'http2-async-context/doctor';
 * const report = await runDoctor();
 * const { native, shimmed, total } = report.summary.events; // events in the right scope, of total
 * ```
 */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const server = options.origin === undefined ? await startScenarioServer() : undefined;
  const origin = options.origin ?? (server as { origin: string }).origin;
  try {
    // Native first: in Bun, the shim's first AsyncResource turns on context tracking process-wide.
    const native = await runScenarios((authority, sessionOptions) => http2.connect(authority, sessionOptions), origin);
    const shimmed = await runScenarios((authority, sessionOptions) => connect(authority, sessionOptions), origin);
    const rows = compareToNative(native, shimmed);
    const notes = scenarioNotes(native, shimmed);
    const shimmedOnlyError = notes.some((note) => note.shimmed !== undefined && note.native === undefined);
    return {
      runtime: detectRuntime(),
      register: patchStatus().http2,
      server: server ? 'in-process' : origin,
      rows,
      notes,
      summary: summarize(rows),
      ok: shimmedClean(rows) && !shimmedOnlyError,
      runs: { native, shimmed },
    };
  } finally {
    await server?.close();
  }
}
