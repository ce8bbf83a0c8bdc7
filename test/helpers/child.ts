import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs `test/fixtures/<name>` in a fresh Node process (with `nodeArgs` before it) and parses the
 * JSON it prints last. Coverage of the child is collected through the inherited NODE_V8_COVERAGE.
 */
export function runFixture(name: string, args: string[] = [], nodeArgs: string[] = []): Promise<unknown> {
  const file = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...nodeArgs, file, ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${name} failed: ${error.message}\n${stderr}`));
      const lines = stdout.trim().split('\n');
      resolve(JSON.parse(lines[lines.length - 1]!));
    });
  });
}
