// The client scenarios: real HTTP/2 client libraries, handed in as module objects (this package
// imports none of them), against a loopback server, phase by phase. Re-exported by the doctor entry.
export type { ClientAdapter, ClientHelpers, ClientPhase, ClientTarget, OpenedClient, RequestKind } from './adapter.js';
export type { CallbackCell, RequestProbe } from './callback-log.js';
export { startClientScenarioServer } from './client-server.js';
export type { ClientScenarioServer, ClientServerOptions } from './client-server.js';
export { formatClientRun } from './client-report.js';
export { gotAdapter } from './got-adapter.js';
export { grpcJsAdapter } from './grpc-js-adapter.js';
export { grpcService } from './grpc-routes.js';
export { http2WrapperAdapter } from './http2-wrapper-adapter.js';
export { runClientScenarios } from './run-clients.js';
export type { ClientRun, ClientRunOptions, PhaseResult } from './run-clients.js';
export { undiciAdapter } from './undici-adapter.js';
export { loopbackTls } from './loopback-tls.js';
export { clientNames, explicitHelpers, findInstalledClients, loadClientAdapter, runClientStack } from './stack.js';
export type { ClientMode, ClientName, InstalledClient, StackEntry, StackOptions } from './stack.js';
export { defaultModes, formatStackReport, registerCommand, runClean, runStackDoctor } from './stack-doctor.js';
export type { StackClientReport, StackDoctorOptions, StackReport } from './stack-doctor.js';
