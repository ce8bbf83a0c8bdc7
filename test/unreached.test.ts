import { describe, expect, it } from 'vitest';
import { runFixture } from './helpers/child.js';

// register on, a supported library loaded where no load hook of ours saw it (what a test runner's
// own module registry does; test/runners.test.ts runs that under Jest and vitest themselves).
interface Result {
  warnings: Array<{ code?: string; message: string }>;
  patchedClients: string[];
}
const unreached = (result: Result) => result.warnings.filter(({ code }) => code === 'HTTP2_ASYNC_CONTEXT_UNREACHED');

describe('a client library copy that no load hook saw', () => {
  it('warns once per copy, when it first opens a session, naming the copy and where to look', async () => {
    const result = (await runFixture('unreached-warning.mjs')) as Result;
    expect(result.patchedClients).toEqual([]);
    const [warning, ...more] = unreached(result);
    expect(more).toEqual([]);
    expect(warning?.message).toMatch(
      /^@grpc\/grpc-js \d+\.\d+\.\d+ at \S+node_modules\/@grpc\/grpc-js opened an HTTP\/2 session but was loaded where register could not patch it/,
    );
    expect(warning?.message).toContain("See the README's Test runners and bundlers.");
  });

  it('is never said of a copy the load hook patched', async () => {
    const result = (await runFixture('unreached-warning.mjs', ['--hook-intact'])) as Result;
    expect(result.patchedClients).toEqual(['@grpc/grpc-js']);
    expect(unreached(result)).toEqual([]);
  });
});
