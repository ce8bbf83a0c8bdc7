// The doctor's parts, for this repository's compat suite and tests. Not a package entry: the
// exports map does not reach this file, so none of it is public API (that is src/doctor.ts).

// The client scenarios: real HTTP/2 client libraries, handed in as module objects (this package
// imports none of them), against a loopback server, phase by phase.
export type {
  ClientAdapter,
  ClientHelpers,
  ClientPhase,
  ClientTarget,
  OpenedClient,
  RequestKind,
} from './client-scenarios/adapter.js';
export type { CallbackCell, RequestProbe } from './client-scenarios/callback-log.js';
export { clientRunLegend, formatClientRun } from './client-scenarios/client-report.js';
export type { ClientScenarioServer, ClientServerOptions } from './client-scenarios/client-server.js';
export { startClientScenarioServer } from './client-scenarios/client-server.js';
export { gotAdapter } from './client-scenarios/got-adapter.js';
export { grpcJsAdapter } from './client-scenarios/grpc-js-adapter.js';
export { grpcService } from './client-scenarios/grpc-routes.js';
export { http2WrapperAdapter } from './client-scenarios/http2-wrapper-adapter.js';
export type { ClientName, InstalledClient } from './client-scenarios/installed-clients.js';
export {
  clientNamed,
  clientNames,
  clientPackages,
  findInstalledClients,
} from './client-scenarios/installed-clients.js';
export { bundlerNote, testRunnerNote } from './client-scenarios/project-notes.js';
export type { ClientRun, ClientRunOptions, PhaseResult } from './client-scenarios/run-clients.js';
export { runClientScenarios } from './client-scenarios/run-clients.js';
export type { ClientMode, StackEntry, StackOptions } from './client-scenarios/stack.js';
export { explicitHelpers, loadClientAdapter, runClientStack } from './client-scenarios/stack.js';
export type { StackClientReport, StackDoctorOptions, StackReport } from './client-scenarios/stack-doctor.js';
export {
  clientsLegend,
  defaultModes,
  formatStackReport,
  registerCommand,
  runClean,
  runStackDoctor,
} from './client-scenarios/stack-doctor.js';
export { undiciAdapter } from './client-scenarios/undici-adapter.js';
export type { DoctorOptions, DoctorReport, RuntimeInfo } from './doctor.js';
export { detectRuntime, runDoctor } from './doctor.js';
export { loopbackTls } from './loopback-certificate.js';
export { clientsNextStep, doctorCommand, doctorNextStep, issuesUrl, preloadAdvice } from './next-step.js';
export type { CellResult, Expectation, Recorder } from './recorder.js';
export type { ModeCell, ReportRow, ScenarioNotes, Summary } from './report.js';
export { compareToNative, shimmedClean, summarize } from './report.js';
export type { ConnectFunction, RunOptions, ScenarioRun } from './run.js';
export { runScenarios, scenarios } from './run.js';
export type { OpenedRequest, RequestPlan, Scenario, ScenarioContext } from './scenario.js';
export type { ScenarioServer, ScenarioServerOptions } from './server.js';
export { startScenarioServer } from './server.js';
export type { TableLine } from './table.js';
export {
  cellDetail,
  changedMark,
  doctorLegend,
  formatDoctorReport,
  formatTable,
  mark,
  rowLabel,
  summaryLine,
} from './table.js';
