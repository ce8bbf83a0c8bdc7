import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs `file` (relative to the repository root) in a fresh Node process (this one's, or the
 * binary `node` names), with `nodeArgs` before it, and parses the JSON it prints last. The
 * child's coverage reaches c8 through the inherited NODE_V8_COVERAGE.
 */
export function runNode(
  file: string,
  args: string[] = [],
  nodeArgs: string[] = [],
  node: string = process.execPath,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(node, [...nodeArgs, file, ...args], { cwd: root, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${file} failed: ${error.message}\n${stdout}\n${stderr}`));
      const lines = stdout.trim().split('\n');
      resolve(JSON.parse(lines[lines.length - 1]!));
    });
  });
}

/** Runs `test/fixtures/<name>`; see runNode. */
export function runFixture(name: string, args: string[] = [], nodeArgs: string[] = []): Promise<unknown> {
  return runNode(`test/fixtures/${name}`, args, nodeArgs);
}

/** A runtime a fixture can run on, and its flag to preload a module. */
export interface Runtime {
  name: string;
  bin: string;
  preload: '--import' | '--preload';
}

/**
 * This Node, Node 24 and Bun, where `npm ci` installed their binaries (the npm packages ship
 * none for some platforms; a runtime missing there is left out, not passed).
 */
export const runtimes: Runtime[] = [
  { name: `node ${process.versions.node}`, candidates: [process.execPath], preload: '--import' as const },
  {
    name: 'node 24',
    candidates: ['node_modules/node24/bin/node', 'node_modules/node24/bin/node.exe'],
    preload: '--import' as const,
  },
  {
    name: 'bun',
    candidates: ['node_modules/bun/bin/bun.exe', 'node_modules/bun/bin/bun'],
    preload: '--preload' as const,
  },
].flatMap(({ name, candidates, preload }) => {
  const bin = candidates.map((path) => (path === process.execPath ? path : `${root}${path}`)).find(existsSync);
  return bin === undefined ? [] : [{ name, bin, preload }];
});

/**
 * Runs `test/fixtures/<name>` on `runtime`, under `register` (preloaded the runtime's way) or
 * not, and parses the JSON it prints last. Only this Node's children report coverage.
 */
export function runFixtureOn(runtime: Runtime, name: string, args: string[], register: boolean): Promise<unknown> {
  const preload = register ? [runtime.preload, './dist/esm/register.js'] : [];
  const env = { ...process.env };
  if (runtime.bin !== process.execPath) delete env.NODE_V8_COVERAGE;
  return new Promise((resolve, reject) => {
    execFile(
      runtime.bin,
      [...preload, `test/fixtures/${name}`, ...args],
      { cwd: root, timeout: 15_000, env },
      (error, stdout, stderr) => {
        const last = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(last));
        } catch {
          reject(new Error(`${runtime.name} ${name} failed: ${error?.message ?? ''}\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}
