// The last line of the doctor's human output: what to do next, from what it measured.

import type { ClientName } from './client-scenarios/installed-clients.js';
import type { StackReport } from './client-scenarios/stack-doctor.js';
import type { DoctorReport, RuntimeInfo } from './doctor.js';

/** Where to report what the doctor found wrong with the package (package.json's `bugs`). */
export const issuesUrl = 'https://github.com/http2-async-context/http2-async-context/issues';

/**
 * How to load the register preload on `runtime`, as the README gives it. Deno's `--preload` takes a
 * file path, not a package name: there register is the entry module's first import instead.
 */
export function preloadAdvice(runtime: RuntimeInfo['name']): string {
  if (runtime === 'bun') return 'start your app with `bun --preload http2-async-context/register app.js`';
  if (runtime === 'deno') return "make `import 'http2-async-context/register';` your entry module's first import";
  return 'start your app with `node --import http2-async-context/register app.js`';
}

/** How to run the doctor on `runtime`, as the README gives it (plain `bunx` would run it on Node). */
export function doctorCommand(runtime: RuntimeInfo['name']): string {
  if (runtime === 'bun') return 'bun x --bun http2-async-context doctor';
  if (runtime === 'deno') return 'deno run -A npm:http2-async-context doctor';
  return 'npx http2-async-context doctor';
}

/**
 * How to start the doctor with the register preload on `runtime`, which `--mode register` needs.
 * npx starts a process of its own, so on Node the preload goes in through NODE_OPTIONS; Bun's and
 * Deno's preload flags go before the script, so there the doctor is the project's installed copy.
 */
export function preloadedDoctorCommand(runtime: RuntimeInfo['name']): string {
  if (runtime === 'bun')
    return 'bun --preload http2-async-context/register node_modules/.bin/http2-async-context doctor';
  if (runtime === 'deno') {
    const dist = './node_modules/http2-async-context/dist/esm';
    return `deno run -A --preload ${dist}/register.js ${dist}/doctor/cli.js doctor`;
  }
  return 'NODE_OPTIONS="--import http2-async-context/register" npx http2-async-context doctor';
}

/** `doctor`: report a failure with the package; else start with the preload, then check the clients. */
export function doctorNextStep(report: DoctorReport): string {
  const doctor = doctorCommand(report.runtime.name);
  if (!report.ok) return reportIt(`${doctor} --json`);
  const clients = `run \`${doctor} --clients\` to check your HTTP/2 client libraries`;
  if (report.register) return `Next: the preload is active and keeps every event right here; ${clients}.`;
  const { events, checks } = report.summary;
  if (events.native < events.total || checks.native < checks.total) {
    return `Next: ${preloadAdvice(report.runtime.name)} (or use connect()); ${clients}.`;
  }
  return `Next: node:http2 keeps every listener's store natively on this runtime; ${clients}.`;
}

/** The explicit helper for each client, from the README: what to use without the preload. */
const helpers: Record<ClientName, string> = {
  'grpc-js': '`withGrpcScope` or `grpcInterceptor` from http2-async-context/grpc-js',
  'http2-wrapper': '`scopeHttp2WrapperAgent` from http2-async-context/http2-wrapper',
  got: '`scopeHttp2WrapperAgent` on its http2-wrapper Agent (got 12–15), or `patchHttp2()` (got 16)',
  undici: '`undiciInterceptor` or `composeInScope` from http2-async-context/undici',
};

/**
 * `doctor --clients`: where to point it when nothing was found, report a failure with the package,
 * else the preload and the helper for each client that loses a request's store natively.
 */
export function clientsNextStep(report: StackReport): string {
  const doctor = doctorCommand(report.runtime.name);
  if (report.clients.length === 0) {
    return `Next: run it in your project's directory, or point it there: \`${doctor} --clients --from <dir>\`.`;
  }
  if (!report.ok) return reportIt(`${doctor} --clients --json`);
  const unsupported = report.clients.filter((client) =>
    Object.values(client.modes).some((entry) => entry.skipKind === 'unsupported'),
  );
  if (unsupported.length > 0) {
    const copies = unsupported.map((client) => `${client.package} ${client.version}`).join(', ');
    return (
      `Next: ${copies} ${unsupported.length === 1 ? 'is' : 'are'} not supported yet, and left alone: install a ` +
      `version the package supports (\`supportedClients\`), or ask for this one at ${issuesUrl}.`
    );
  }
  const measured = report.clients.filter((client) => client.modes.native?.run !== undefined);
  const losing = measured.filter((client) => {
    const run = client.modes.native!.run!;
    const lost = (phase: (typeof run.phases)[number]) =>
      phase.error !== undefined || phase.missing > 0 || phase.right < phase.total;
    return run.error !== undefined || run.phases.some(lost);
  });
  if (measured.length === 0) return 'Next: none of these clients could run natively here; the notes above say why.';
  if (losing.length === 0) {
    return `Next: nothing to do for ${names(measured)}: natively, every callback kept its request's store here.`;
  }
  const helped = losing.map((client) =>
    client.modes.explicit?.skipKind === 'helper'
      ? `${client.package} ${client.version} has no extension point for a helper`
      : `for ${client.package} use ${helpers[client.client]}${helperNote(client.client, report.runtime.name)}`,
  );
  return (
    `Next: ${names(losing)} ${losing.length === 1 ? 'loses' : 'lose'} request stores natively: ` +
    `${preloadAdvice(report.runtime.name)}; without the preload, ${helped.join('; ')}.`
  );
}

/** What else the helper needs on `runtime`: on Bun, bare `undici` is Bun's own built-in, not npm's. */
function helperNote(client: ClientName, runtime: RuntimeInfo['name']): string {
  return client === 'undici' && runtime === 'bun' ? " on npm's undici, imported as 'undici/index.js'" : '';
}

function names(clients: StackReport['clients']): string {
  return clients.map((client) => client.package).join(', ');
}

function reportIt(command: string): string {
  return (
    `Next: something is wrong with http2-async-context here: please report it at ${issuesUrl} ` +
    `with the output of \`${command}\`.`
  );
}
