import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What one run of the bin printed, and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const cli = fileURLToPath(new URL('../../dist/esm/doctor/cli.js', import.meta.url));

/**
 * Runs the built bin in a fresh Node process with `args` (and `nodeArgs` before it). Resolves
 * with the exit code instead of rejecting, since exit codes are what the tests check. Coverage of
 * the child is collected through the inherited NODE_V8_COVERAGE.
 */
export function runCli(args: string[], nodeArgs: string[] = []): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...nodeArgs, cli, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number')
        return reject(new Error(`cli ${args.join(' ')}: ${error.message}\n${stderr}`));
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}
