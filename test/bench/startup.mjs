// Start-up cost of register's load hook: an app of 5 000 small modules, then 500 modules that
// each require the client library, loaded natively and under `--import register`, each in a
// fresh process, alternating. Each process measures the CPU time of its own requires
// (process.cpuUsage() around them: the runtime's and the preload's own start-up are left out, and
// CPU time strays less than wall time on a shared machine).
//   node test/bench/startup.mjs [--runs 11] [--node <node or bun binary>] [--library undici|@grpc/grpc-js]... [--register <file>]
// Prints one line per library: native and register medians in ms and their ratio (median of
// the per-pair ratios), with the spread of those ratios. See NOTES.md, "Start-up".
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '11' },
    // Another build's register (say, an older commit's dist/esm/register.js), to compare.
    register: { type: 'string', default: join(root, 'dist/esm/register.js') },
    node: { type: 'string', default: process.execPath },
    library: { type: 'string', multiple: true, default: ['@grpc/grpc-js', 'undici'] },
  },
});
// undici 7 (its newest major, 8, needs Node 22); grpc-js from the root.
const from = {
  undici: createRequire(join(root, 'test/clients/previous/package.json')),
  '@grpc/grpc-js': createRequire(join(root, 'package.json')),
};
const FILLER = 5_000;
const USERS = 500;

const version = execFileSync(
  values.node,
  ['-p', "process.versions.bun ? 'bun ' + process.versions.bun : 'node ' + process.version"],
  {
    encoding: 'utf8',
  },
).trim();
const preloadFlag = version.startsWith('bun') ? '--preload' : '--import';
// Bun answers a bare 'undici' with its built-in stand-in: npm's is reached by its file there.
const requestFor = (library) => (version.startsWith('bun') && library === 'undici' ? 'undici/index.js' : library);

/** A project that links `library` in and holds the app: filler modules, then the modules that require the library. */
function project(library) {
  const dir = mkdtempSync(join(tmpdir(), 'h2ac-startup-'));
  const folder = dirname(from[library].resolve(`${library}/package.json`));
  mkdirSync(join(dir, 'node_modules', dirname(library)), { recursive: true });
  symlinkSync(folder, join(dir, 'node_modules', library), 'dir');
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'package.json'), '{"name":"startup-app","private":true}');
  for (let i = 0; i < FILLER; i++) writeFileSync(join(dir, 'app', `filler-${i}.js`), `module.exports = ${i};\n`);
  for (let i = 0; i < USERS; i++)
    writeFileSync(join(dir, 'app', `user-${i}.js`), `module.exports = require('${requestFor(library)}');\n`);
  writeFileSync(
    join(dir, 'main.js'),
    [
      'const cpu = process.cpuUsage();',
      `for (let i = 0; i < ${FILLER}; i++) require(\`./app/filler-\${i}.js\`);`,
      `for (let i = 0; i < ${USERS}; i++) require(\`./app/user-\${i}.js\`);`,
      'const { user, system } = process.cpuUsage(cpu);',
      'console.log((user + system) / 1000);',
    ].join('\n'),
  );
  return dir;
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const run = (dir, preload) =>
  Number(execFileSync(values.node, [...preload, join(dir, 'main.js')], { cwd: root, encoding: 'utf8' }).trim());

for (const library of values.library) {
  const dir = project(library);
  const native = [];
  const register = [];
  try {
    for (let i = 0; i < Number(values.runs); i++) {
      // ABBA: neither variant always runs first.
      const order = i % 2 === 0 ? ['native', 'register'] : ['register', 'native'];
      for (const variant of order)
        (variant === 'native' ? native : register).push(
          run(dir, variant === 'native' ? [] : [preloadFlag, values.register]),
        );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ratios = native.map((ms, i) => register[i] / ms).sort((a, b) => a - b);
  console.log(
    `${version} ${library}: native ${median(native).toFixed(0)} ms CPU, register ${median(register).toFixed(0)} ms CPU, ` +
      `× ${median(ratios).toFixed(3)} (per-pair ratios ${ratios[0].toFixed(3)}–${ratios.at(-1).toFixed(3)}, ${ratios.length} pairs)`,
  );
}
