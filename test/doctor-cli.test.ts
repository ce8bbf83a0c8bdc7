import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('../dist/esm/doctor/cli.js', import.meta.url));

interface ShellRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command` in sh from the repository, as a user types it; resolves with its exit code. */
function sh(command: string, env: NodeJS.ProcessEnv = {}): Promise<ShellRun> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', command],
      { cwd: repo, env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', ...env }, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe('the doctor on a pipe that closes early', () => {
  // The JSON report is longer than a pipe holds (64 KiB), so head leaves before the doctor has
  // written it all: the rest of the write meets a closed pipe.
  it.each([
    ['Node', `"${process.execPath}" "${cli}" doctor --json`],
    ['Deno', `node_modules/deno/deno run -A "${cli}" doctor --json`],
  ])(
    'on %s, doctor --json | head -c 20 prints the first 20 bytes and no stack',
    async (_, doctor) => {
      const { code, stdout, stderr } = await sh(`{ ${doctor}; echo "doctor exited $?" >&2; } | head -c 20`);
      expect([code, stdout]).toEqual([0, '{\n  "runtime": {\n   ']);
      // Nothing but its exit status: no stack, and the status of the report (0: all right).
      expect(stderr).toBe('doctor exited 0\n');
    },
    60_000,
  );
});

describe('doctor --clients --mode register without the preload', () => {
  it('says how to start it with the preload under npx, and that command works', async () => {
    // grpc-js: the root's undici 8 and got 16 need Node 22, and this may be Node 20.
    const { code, stdout } = await runCli(['doctor', '--mode', 'register', '--only', 'grpc-js']);
    expect(code).toBe(1);
    const command =
      /`(NODE_OPTIONS="--import http2-async-context\/register" npx http2-async-context doctor [^`]*)`/.exec(
        stdout,
      )?.[1];
    expect(command).toBe(
      'NODE_OPTIONS="--import http2-async-context/register" npx http2-async-context doctor --clients --mode register',
    );
    // npx runs the installed bin; here that is the built one, resolved from the repository itself.
    const preloaded = await sh(
      `${command!.replace('npx http2-async-context', `"${process.execPath}" "${cli}"`)} --only grpc-js`,
    );
    expect([preloaded.code, preloaded.stderr]).toEqual([0, '']);
    expect(preloaded.stdout).not.toContain('not active');
    expect(preloaded.stdout).toMatch(/^grpc-js · h2c · /);
    expect(preloaded.stdout).toMatch(/\ncold: (\d+) of \1 callbacks in the right store\n/);
  }, 60_000);
});
