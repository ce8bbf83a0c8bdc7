// Public entry `http2-async-context/doctor`: what the `doctor` command runs, for programs (the
// compat suite among them) that want the same scenarios and loopback server.
export { startScenarioServer } from './server.js';
export type { ScenarioServer, ScenarioServerOptions } from './server.js';
