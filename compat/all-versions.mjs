// `npm run compat -- --all-versions [--write-readme]`: the version axis, like OpenTelemetry's
// test-all-versions. Not part of `npm test` (it installs about twenty packages from the npm
// registry and takes several minutes). For each client library, the versions inside the range
// its integration declares: grpc-js, every minor's newest patch; got, the newest of each major;
// http2-wrapper, every minor's newest patch; undici, the lowest, and the newest of each major.
// Each is installed on its own into .compat/versions/ and measured by `doctor --clients`
// (cold, warm, after GOAWAY: natively, with register, with the explicit helpers) on this Node.
// Exits non-zero when any version loses a store with the fix.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { supportedClients } from 'http2-async-context';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist/esm/doctor/cli.js');
const base = join(root, '.compat/versions');

/** Client → its npm package, and which of the versions its integration supports to test. */
const axes = [
  { client: 'grpc-js', name: '@grpc/grpc-js', pick: newestPerMinor },
  { client: 'got', name: 'got', pick: newestPerMajor },
  { client: 'http2-wrapper', name: 'http2-wrapper', pick: newestPerMinor },
  { client: 'undici', name: 'undici', pick: (versions) => unique([versions[0], ...newestPerMajor(versions)]) },
].map((axis) => ({ ...axis, range: supportedClients.find((supported) => supported.name === axis.name).versions }));

/** `A.B.C` as a number that orders versions (each part below 10 000). */
const rank = (version) => version.split('.').reduce((sum, part) => sum * 10_000 + Number(part), 0);

/** Whether `version` lies in `range`, as the package writes them: `>=A.B.C <X.Y.Z`. */
function inRange(version, range) {
  const [, low, high] = /^>=(\S+) <(\S+)$/.exec(range);
  return rank(version) >= rank(low) && rank(version) < rank(high);
}

const unique = (list) => [...new Set(list)];
const release = (version) => /^\d+\.\d+\.\d+$/.test(version);
const key = (version, parts) => version.split('.').slice(0, parts).join('.');

/** The newest version of each group of `parts` leading numbers, in registry order. */
function newestPer(versions, parts) {
  const newest = new Map();
  for (const version of versions) newest.set(key(version, parts), version);
  return [...newest.values()];
}
function newestPerMinor(versions) {
  return newestPer(versions, 2);
}
function newestPerMajor(versions) {
  return newestPer(versions, 1);
}

/** The released versions of `name` on the registry inside `range`, oldest first. */
function registryVersions(name, range) {
  const listed = JSON.parse(execFileSync('npm', ['view', name, 'versions', '--json'], { encoding: 'utf8' }));
  return listed.filter((version) => release(version) && inRange(version, range));
}

/** Installs `name@version` alone into a project folder of its own; returns the folder. */
function install(name, version) {
  const dir = join(base, `${name.replace('/', '+')}@${version}`);
  if (!existsSync(join(dir, 'node_modules', name, 'package.json'))) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'all-versions-project', private: true }));
    const result = spawnSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', `${name}@${version}`],
      { cwd: dir, encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(`npm install ${name}@${version} failed:\n${result.stderr}`);
  }
  return dir;
}

/** `doctor --clients` on one installed version: right and total per mode, and whether the fix held. */
function measure(client, dir) {
  const result = spawnSync(process.execPath, [cli, 'doctor', '--clients', '--from', dir, '--only', client, '--json'], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (!result.stdout) {
    const reason =
      result.stderr.split('\n').find((line) => line.trim()) ?? result.error?.message ?? `signal ${result.signal}`;
    throw new Error(`doctor --clients printed nothing (exit ${result.status}): ${reason}`);
  }
  const report = JSON.parse(result.stdout);
  const measured = report.clients.find((entry) => entry.client === client);
  const modes = Object.fromEntries(
    Object.entries(measured?.modes ?? {}).map(([mode, entry]) => {
      const phases = entry.run?.phases ?? [];
      const right = phases.reduce((sum, phase) => sum + phase.right, 0);
      const total = phases.reduce((sum, phase) => sum + phase.total, 0);
      return [mode, { right, total, error: entry.run?.error ?? entry.error }];
    }),
  );
  return { ok: report.ok && measured !== undefined, modes };
}

/** A mode's cell; `–` where the mode has nothing to run (no explicit helper fits undici before 6.9). */
const cell = (entry) => {
  if (entry === undefined || (entry.total === 0 && !entry.error)) return '–';
  if (entry.error) return `error: ${String(entry.error).split('\n')[0]}`;
  return entry.right === entry.total ? `✔ ${entry.total}` : `✘ ${entry.right}/${entry.total}`;
};

export async function runAllVersions({ writeResults }) {
  const started = Date.now();
  const rows = [];
  let failed = false;
  for (const axis of axes) {
    for (const version of axis.pick(registryVersions(axis.name, axis.range))) {
      process.stderr.write(`all-versions: ${axis.name}@${version}\n`);
      let row;
      try {
        row = { ...axis, version, ...measure(axis.client, install(axis.name, version)) };
      } catch (error) {
        row = { ...axis, version, ok: false, modes: {}, error: String(error.message ?? error).split('\n')[0] };
      }
      failed ||= !row.ok;
      rows.push(row);
    }
  }
  const header = `| client | version | native | register | explicit |\n|---|---|---|---|---|`;
  const lines = rows.map(
    (row) =>
      `| ${row.name} | ${row.version} | ${cell(row.modes.native)} | ${row.error ? row.error : cell(row.modes.register)} | ${cell(row.modes.explicit)} |`,
  );
  const date = new Date().toISOString().slice(0, 10);
  const table = [
    `_Generated on ${date} by \`npm run compat -- --all-versions --write-readme\` on Node ${process.versions.node}: callbacks in the right store, cold, warm and after GOAWAY._`,
    '',
    header,
    ...lines,
  ].join('\n');
  console.log(table);
  console.log(
    `\nall-versions: ${failed ? 'FAILED' : 'ok'} (${rows.length} versions) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  if (writeResults) {
    const file = join(root, 'compat/RESULTS.md');
    const text = readFileSync(file, 'utf8');
    const start = '<!-- all-versions:start -->';
    const end = '<!-- all-versions:end -->';
    const section = `${start}\n${table}\n${end}`;
    const updated = text.includes(start)
      ? text.slice(0, text.indexOf(start)) + section + text.slice(text.indexOf(end) + end.length)
      : `${text.trimEnd()}\n\n## Every supported version of each client\n\n${section}\n`;
    writeFileSync(file, updated);
  }
  return failed ? 1 : 0;
}
