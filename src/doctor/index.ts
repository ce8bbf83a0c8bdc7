// Public entry `http2-async-context/doctor`: what the `doctor` command runs, for programs (the
// compat suite among them) that want the same scenarios, loopback server, comparison and table.
export { runDoctor, detectRuntime } from './doctor.js';
export type { DoctorOptions, DoctorReport, RuntimeInfo } from './doctor.js';
export type { CellResult, Expectation } from './recorder.js';
export { compareToNative, shimmedClean, summarize } from './report.js';
export type { ModeCell, ReportRow, ScenarioNotes, Summary } from './report.js';
export { runScenarios, scenarios } from './run.js';
export type { ConnectFunction, RunOptions, ScenarioRun } from './run.js';
export type { OpenedRequest, RequestPlan, Scenario, ScenarioContext } from './scenario.js';
export type { Recorder } from './recorder.js';
export { startScenarioServer } from './server.js';
export type { ScenarioServer, ScenarioServerOptions } from './server.js';
export { cellDetail, formatDoctorReport, formatTable, mark, rowLabel, summaryLine } from './table.js';
export type { TableLine } from './table.js';
export * from './clients/index.js';
