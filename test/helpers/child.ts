import { execFile } from 'node:child_process';
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
