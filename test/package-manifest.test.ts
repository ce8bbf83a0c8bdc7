import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const attw = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');

/** Every string under `value` that names a file of the package (a "./…" or "dist/…" path). */
function pathsIn(value: unknown): string[] {
  if (typeof value === 'string') return /^(\.\/|dist\/|src\/)/.test(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(pathsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(pathsIn);
  return [];
}

describe('what npm pack puts in the tarball', () => {
  let unpacked: string;
  let manifest: Record<string, unknown>;
  let files: string[];
  beforeAll(() => {
    unpacked = mkdtempSync(join(tmpdir(), 'h2ac-unpacked-'));
    execFileSync('tar', ['-xzf', inject('tarball'), '-C', unpacked, '--strip-components=1']);
    manifest = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as Record<string, unknown>;
    files = inject('packedFiles');
  });
  afterAll(() => rmSync(unpacked, { recursive: true, force: true }));

  it('ships dist, src (what the source maps name), LICENSE and README, and no tests or dev tooling', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'dist/esm/index.js',
        'dist/cjs/register.js',
        'dist/esm/doctor/cli.js',
        'src/connect.ts',
      ]),
    );
    expect(
      files.filter((path) => !/^(dist|src)\//.test(path) && !['LICENSE', 'README.md', 'package.json'].includes(path)),
    ).toEqual([]);
    expect(readFileSync(join(unpacked, 'LICENSE'), 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) 2026 http2-async-context contributors\n/,
    );
  });

  it('publishes the package.json of the repository, whose every path is in the tarball and which runs nothing on install', () => {
    expect(manifest).toEqual(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')));
    // npm runs these when the package is installed (prepare for a git or folder dependency), and
    // npm 11 warns about each; dist/ is built before packing instead.
    const installTime = ['preinstall', 'install', 'postinstall', 'prepare'];
    expect(Object.keys(manifest.scripts as object).filter((script) => installTime.includes(script))).toEqual([]);
    expect(manifest.scripts).toMatchObject({ prepack: 'npm run build' });
    const paths = pathsIn({ ...manifest, files: undefined, c8: undefined });
    expect(paths).toEqual(
      expect.arrayContaining(['./dist/cjs/index.js', './dist/cjs/register.d.ts', 'dist/esm/doctor/cli.js']),
    );
    expect(paths.filter((path) => !files.includes(posix.normalize(path)))).toEqual([]);
    expect(manifest).toMatchObject({
      author: 'http2-async-context contributors',
      repository: { type: 'git', url: 'git+https://github.com/http2-async-context/http2-async-context.git' },
      bugs: { url: 'https://github.com/http2-async-context/http2-async-context/issues' },
      homepage: 'https://github.com/http2-async-context/http2-async-context#readme',
    });
  });

  it('carries no private key: the doctor makes its loopback certificate at run time', () => {
    const withKey = files.filter((path) => readFileSync(join(unpacked, path), 'utf8').includes('PRIVATE KEY-----'));
    expect(files.length).toBeGreaterThan(50);
    expect(withKey).toEqual([]);
  });

  it('every source map names sources that are in the tarball', () => {
    const maps = files.filter((path) => path.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(20);
    const missing = maps.flatMap((map) =>
      (JSON.parse(readFileSync(join(unpacked, map), 'utf8')) as { sources: string[] }).sources
        .map((source) => posix.join(posix.dirname(map), source))
        .filter((source) => !files.includes(source)),
    );
    expect(missing).toEqual([]);
  });

  it('publint --strict has nothing to say', async () => {
    const tarball = readFileSync(inject('tarball'));
    const { messages, pkg } = await publint({
      pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) },
      strict: true,
    });
    expect(messages.map((message) => formatMessage(message, pkg) ?? message.code)).toEqual([]);
  });

  it('attw finds every entry point typed under node10, node16 (CJS and ESM) and bundler, with no problem', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [attw, inject('tarball'), '--profile', 'strict', '--format', 'json'],
        { maxBuffer: 64 << 20 },
        (error, out, err) =>
          error && typeof error.code !== 'number' ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
      );
    });
    const { analysis } = JSON.parse(stdout) as {
      analysis: {
        problems: unknown[];
        entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string } }> }>;
      };
    };
    expect(analysis.problems).toEqual([]);
    const typed = Object.fromEntries(
      ['.', './register', './doctor'].map((entry) => [
        entry,
        Object.entries(analysis.entrypoints[entry]?.resolutions ?? {}).map(
          ([kind, { resolution }]) => `${kind} ${resolution?.fileName.endsWith('.d.ts') ?? false}`,
        ),
      ]),
    );
    const everywhere = ['node10 true', 'node16-cjs true', 'node16-esm true', 'bundler true'];
    expect(typed).toEqual({ '.': everywhere, './register': everywhere, './doctor': everywhere });
  });
});
