// OpenTelemetry for the tracer scenario, as a preload (what the OpenTelemetry docs have an app do):
//   node --import ./compat/tracers/otel.mjs [--import http2-async-context/register] app.mjs
// The Node SDK with the grpc-js and undici instrumentations, the AsyncLocalStorage context manager
// and an in-memory exporter: no span, metric or log leaves the process. Needs Node >= 22.15
// (@opentelemetry/sdk-node 0.301's engines).
//
// Spans go to the span processor given below only (without one the SDK would export OTLP to
// localhost:4318); metrics and logs, which it would configure from the environment, are off.
for (const signal of ['METRICS', 'LOGS']) process.env[`OTEL_${signal}_EXPORTER`] = 'none';
process.env.OTEL_NODE_RESOURCE_DETECTORS = 'none';

const { NodeSDK } = await import('@opentelemetry/sdk-node');
const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
const { InMemorySpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace');
const { GrpcInstrumentation } = await import('@opentelemetry/instrumentation-grpc');
const { UndiciInstrumentation } = await import('@opentelemetry/instrumentation-undici');

const exporter = new InMemorySpanExporter();
const sdk = new NodeSDK({
  contextManager: new AsyncLocalStorageContextManager(),
  // sdk-trace 3 takes its options as an object (2.x took the exporter itself).
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
  instrumentations: [new GrpcInstrumentation(), new UndiciInstrumentation()],
  autoDetectResources: false,
});
sdk.start();

// The scenario reads the finished spans from here (how many the instrumentations made).
globalThis[Symbol.for('http2-async-context.compat.otel-exporter')] = exporter;
