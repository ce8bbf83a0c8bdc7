// Public entry `http2-async-context/doctor`: what `npx http2-async-context doctor` runs, for a
// program that wants the report itself, and the loopback servers it runs the clients against. The
// doctor is a tool on top of the package: it reaches the package only through its public entries
// and `patchStatus()`.
export { type DemoServer, startDemoServer } from './doctor/demo-server.js';
export { type DoctorOptions, type DoctorReport, runDoctor } from './doctor/doctor.js';
export { formatDoctorReport } from './doctor/table.js';
