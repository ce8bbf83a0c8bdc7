import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type Configuration,
  checkWithTypeScript5,
  checkWithTypeScript7,
  type Diagnostic,
  typescriptVersions,
  writeProject,
} from './helpers/type-check.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every module setting with and without esModuleInterop and skipLibCheck, as far as each compiler has them. */
const configurations: Configuration[] = [];
for (const skipLibCheck of [false, true]) {
  for (const [module, moduleResolution] of [
    ['commonjs', 'node10'],
    ['node16', 'node16'],
    ['nodenext', 'nodenext'],
    ['esnext', 'bundler'],
  ] as const) {
    for (const esModuleInterop of [false, true])
      configurations.push({ compiler: 'ts5', module, moduleResolution, esModuleInterop, skipLibCheck });
  }
  // TypeScript 7.0 removed moduleResolution node10 and esModuleInterop false (TS5108);
  // module commonjs now resolves like a bundler.
  for (const [module, moduleResolution] of [
    ['commonjs', undefined],
    ['node16', 'node16'],
    ['nodenext', 'nodenext'],
    ['esnext', 'bundler'],
  ] as const) {
    configurations.push({ compiler: 'ts7', module, ...(moduleResolution && { moduleResolution }), skipLibCheck });
  }
}

const onOff = (value: boolean | undefined) => (value === undefined ? 'default' : value ? 'on' : 'off');
const title = (c: Configuration) =>
  `TypeScript ${typescriptVersions[c.compiler]}, module ${c.module}, moduleResolution ${c.moduleResolution ?? 'default'}, ` +
  `esModuleInterop ${onOff(c.esModuleInterop)}, skipLibCheck ${onOff(c.skipLibCheck)}`;

describe('the packed types, in a consumer project per TypeScript configuration', () => {
  let consumer: string;
  const dirs = new Map<Configuration, string>();
  let diagnostics: Map<string, Diagnostic[]>;

  beforeAll(async () => {
    consumer = mkdtempSync(join(tmpdir(), 'h2ac-types-'));
    writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n');
    // The tarball has no dependencies, so npm needs no registry; @types/node comes from ours.
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', inject('tarball')], {
      cwd: consumer,
      stdio: 'pipe',
    });
    mkdirSync(join(consumer, 'node_modules', '@types'));
    symlinkSync(
      join(root, 'node_modules', '@types', 'node'),
      join(consumer, 'node_modules', '@types', 'node'),
      'junction',
    );
    for (const c of configurations) dirs.set(c, writeProject(consumer, c));
    const of = (compiler: Configuration['compiler']) =>
      configurations.filter((c) => c.compiler === compiler).map((c) => dirs.get(c)!);
    diagnostics = new Map([
      ...(await checkWithTypeScript5(of('ts5'))),
      ...(await checkWithTypeScript7(consumer, of('ts7'))),
    ]);
  }, 180_000);
  afterAll(() => rmSync(consumer, { recursive: true, force: true }));

  it.each(configurations.map((c) => [title(c), c] as const))(
    '%s: the exact http2.connect types, and only the misuse is an error',
    (_, c) => {
      const found = diagnostics.get(dirs.get(c)!);
      expect(found, 'the compiler did not check this project').toBeDefined();
      expect(
        found!.map(({ file, code }) => `${file} ${code}`),
        found!.map(({ text }) => text).join('\n'),
      ).toEqual(['misuse.ts TS2769']);
    },
  );
});
