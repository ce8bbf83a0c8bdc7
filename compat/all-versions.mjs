// `npm run compat -- --all-versions [--write-readme]`: the version axis, like OpenTelemetry's
// test-all-versions. Not part of `npm test` (it installs about twenty packages from the npm
// registry and takes several minutes). For each client library, the versions inside the range
// its integration declares: grpc-js and http2-wrapper, every minor's newest patch; got and
// undici, the first and the newest release of each major. Each is installed on its own into
// .compat/versions/ and measured by `doctor --clients` (cold, warm, after GOAWAY: natively, with
// register, with the explicit helpers) on this Node, or on the node24 package where the
// version's engines field asks for a newer Node than this one (undici 8, got 15 and 16 need 22).
// Exits non-zero when any version loses a store with the fix.
//
// `npm run compat -- --latest`: the check before a release. Installs each library's current
// `latest` from the registry into one temporary project, runs `doctor --clients` there on the
// node24 package, and names every latest release outside the declared ranges. Exits non-zero
// when one is outside them or loses a store with the fix.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { supportedClients } from 'http2-async-context';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist/esm/doctor/cli.js');
const base = join(root, '.compat/versions');
/** The Node that runs a version whose engines field this one does not meet. */
const newerNode = join(root, 'node_modules/node24/bin/node');

/** Client → its npm package, and which of the versions its integration supports to test. */
const axes = [
  { client: 'grpc-js', name: '@grpc/grpc-js', pick: newestPerMinor },
  { client: 'got', name: 'got', pick: firstAndNewestPerMajor },
  { client: 'http2-wrapper', name: 'http2-wrapper', pick: newestPerMinor },
  { client: 'undici', name: 'undici', pick: firstAndNewestPerMajor },
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
/** The first and the newest release of each major, in registry order. */
function firstAndNewestPerMajor(versions) {
  const first = new Map();
  for (const version of versions) if (!first.has(key(version, 1))) first.set(key(version, 1), version);
  return unique(
    versions.filter((version) => first.get(key(version, 1)) === version || newestPer(versions, 1).includes(version)),
  );
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

/** Whether this Node meets `engines.node` of `name` installed in `dir` (`>=A.B.C`, or nothing said). */
function meetsEngines(dir, name) {
  const wanted = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).engines?.node;
  const minimum = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(wanted?.trim() ?? '')?.[1];
  return (
    minimum === undefined ||
    rank(process.versions.node) >= rank(minimum.split('.').concat('0', '0').slice(0, 3).join('.'))
  );
}

/**
 * `doctor --clients` on one installed version, on this Node or the one it needs: right and total
 * per mode, whether the fix held, and which Node ran it.
 */
function measure(client, dir, node = process.execPath) {
  const result = spawnSync(node, [cli, 'doctor', '--clients', '--from', dir, '--only', client, '--json'], {
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
  const ran = Object.values(measured?.modes ?? {}).some((entry) => entry.run !== undefined);
  return { ok: report.ok && measured !== undefined && ran, node: report.runtime.version, modes };
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
        const dir = install(axis.name, version);
        row = { ...axis, version, ...measure(axis.client, dir, meetsEngines(dir, axis.name) ? undefined : newerNode) };
      } catch (error) {
        row = { ...axis, version, ok: false, modes: {}, error: String(error.message ?? error).split('\n')[0] };
      }
      failed ||= !row.ok;
      rows.push(row);
    }
  }
  const header = `| client | version | Node | native | register | explicit |\n|---|---|---|---|---|---|`;
  const lines = rows.map(
    (row) =>
      `| ${row.name} | ${row.version} | ${row.node ?? '–'} | ${cell(row.modes.native)} | ${row.error ? row.error : cell(row.modes.register)} | ${cell(row.modes.explicit)} |`,
  );
  const date = new Date().toISOString().slice(0, 10);
  const table = [
    `_Generated on ${date} by \`npm run compat -- --all-versions --write-readme\`: callbacks in the right store, cold, warm and after GOAWAY, on Node ${process.versions.node}, or on the Node the version's engines field asks for. grpc-js and http2-wrapper: the newest patch of every minor; got and undici: the first and the newest release of every major._`,
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

/** The version of `name` on the registry's `latest` tag. */
const latestOf = (name) => execFileSync('npm', ['view', name, 'version'], { encoding: 'utf8' }).trim();

/**
 * `--latest`: each library's `latest` in one fresh project, as `npm install` gives a user today,
 * measured by `doctor --clients` on Node 24; every latest outside its declared range is named.
 */
export async function runLatest() {
  const dir = join(tmpdir(), `h2ac-latest-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'latest-clients', private: true }));
  const latest = axes.map((axis) => ({ ...axis, version: latestOf(axis.name) }));
  const specs = latest.map(({ name, version }) => `${name}@${version}`);
  const result = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', ...specs],
    {
      cwd: dir,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`npm install ${specs.join(' ')} failed:\n${result.stderr}`);
  let failed = false;
  for (const axis of latest) {
    const inside = inRange(axis.version, axis.range);
    const measured = measure(axis.client, dir, newerNode);
    const modes = ['native', 'register', 'explicit'].map((mode) => `${mode} ${cell(measured.modes[mode])}`).join(' · ');
    const verdict = inside ? (measured.ok ? 'ok' : 'FAILED') : `NEWER than the declared range ${axis.range}`;
    failed ||= !inside || !measured.ok;
    console.log(`${axis.name}@${axis.version} (Node ${measured.node}): ${modes} — ${verdict}`);
  }
  console.log(
    `\nlatest: ${failed ? 'FAILED' : 'ok'}: every latest release ${failed ? 'is not' : 'is'} inside its declared range and right with the fix`,
  );
  return failed ? 1 : 0;
}
