import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A fenced code block of the README: its language, its text, and the file it names on its first line. */
export interface CodeBlock {
  lang: string;
  text: string;
  file?: string;
}

export function readmeBlocks(): CodeBlock[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map(([, lang = '', text = '']) => {
    const named = /^\/\/ ([\w.-]+\.(?:mjs|js|mts|ts))\n/.exec(text);
    return { lang, text, ...(named && { file: named[1] }) };
  });
}

/** A runtime the README names, as the suite has it: npm installs Node 22, 24 and 26, Bun and Deno. */
export interface Runtime {
  name: string;
  bin: string;
}

/** Node.js: the one running the suite, then Node 22, 24 and 26 from node_modules. */
export function nodeRuntimes(): Array<Runtime & { major: number }> {
  const others = ['node22', 'node24', 'node26']
    .map((name) => join(root, 'node_modules', name, 'bin/node'))
    .filter((bin) => existsSync(bin))
    .map((bin) => ({ bin, version: execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim().slice(1) }));
  const all = [{ bin: process.execPath, version: process.versions.node }, ...others];
  return all
    .filter((runtime, i) => all.findIndex((other) => other.version === runtime.version) === i)
    .map(({ bin, version }) => ({ name: `node ${version}`, bin, major: Number(version.split('.')[0]) }));
}

export const bun: Runtime = { name: 'bun', bin: join(root, 'node_modules/.bin/bun') };
export const deno: Runtime = { name: 'deno', bin: join(root, 'node_modules/.bin/deno') };

/**
 * What the packages the README has a user install come from here: this repository's own copies.
 * dd-trace 6 needs Node 22; on Node 20 a user has dd-trace 5, which the repository has as dd-trace5.
 */
const linkedPackages: Record<string, string> = {
  '@grpc/grpc-js': '@grpc/grpc-js',
  got: 'got',
  'http2-wrapper': 'http2-wrapper',
  undici: 'undici',
  'dd-trace': Number(process.versions.node.split('.')[0]) >= 22 ? 'dd-trace' : 'dd-trace5',
  '@types/node': '@types/node',
  tsx: 'tsx',
};

/** Links the package at `target` into `dir`'s node_modules as `name`, with its bins, as npm would install it. */
export function linkPackage(dir: string, name: string, target: string): void {
  mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
  symlinkSync(target, join(dir, 'node_modules', name), 'dir');
  const { bin } = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')) as {
    bin?: string | Record<string, string>;
  };
  const bins = typeof bin === 'string' ? { [name.split('/').pop()!]: bin } : (bin ?? {});
  mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
  for (const [command, file] of Object.entries(bins))
    symlinkSync(join(target, file), join(dir, 'node_modules/.bin', command));
}

/**
 * A fresh project, as a user makes one: `npm init -y` (a CommonJS package, as npm 11 writes it),
 * then the packed tarball installed with npm (offline; the package has no dependencies), and the
 * client libraries, tracer and tools the README has a user install, linked from this repository.
 * The tarball stands in for `npm install http2-async-context`, which cannot reach a package that
 * is not published yet.
 */
export function makeProject(tarball: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'h2ac-readme-'));
  execFileSync('npm', ['init', '-y'], { cwd: dir, stdio: 'pipe' });
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: dir, stdio: 'pipe' });
  for (const [name, from] of Object.entries(linkedPackages)) linkPackage(dir, name, join(root, 'node_modules', from));
  return dir;
}

/** The packages `makeProject` provides besides the tarball. */
export const providedPackages = Object.keys(linkedPackages);

export function removeProject(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
