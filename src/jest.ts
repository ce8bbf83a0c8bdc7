// The `./jest` entry: Jest runs each test file in a module registry of its own, which no loader
// hook of the runtime sees, so `register` preloaded into Jest reaches node:http2 but none of the
// client libraries. Jest's own extension point for what a file runs is a transformer; this one
// marks the supported libraries' CommonJS files as the esbuild plugin does, and `register`, as a
// setup file inside the same registry, patches each as it runs.
import { createHash } from 'node:crypto';
import { announcement } from './integrations/announcement.js';
import { recognise } from './integrations/recognise.js';
import { integrations } from './integrations/registry.js';

/** What Jest hands a transformer, of what this one reads. */
export interface JestTransformOptions {
  /** True where Jest will run the file as an ES module (`--experimental-vm-modules`). */
  readonly supportsStaticESM?: boolean;
}

/** The parts of a Jest config `withHttp2AsyncContext()` adds to; everything else passes through. */
export interface JestConfigLike {
  [option: string]: unknown;
  setupFiles?: string[];
  transform?: Record<string, string | [string, Record<string, unknown>]>;
  transformIgnorePatterns?: string[];
}

const separator = '[\\\\/]';
const names = integrations.map(({ name }) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('/', separator));

/**
 * A CommonJS file of a supported library's copy: below `node_modules/<library>/`, with no other
 * `node_modules` further down (a dependency nested inside the library is not the library's).
 */
export const libraryFilePattern = `${separator}node_modules${separator}(?:${names.join('|')})(?![\\s\\S]*${separator}node_modules${separator})${separator}[\\s\\S]*\\.c?js$`;

/** Jest's default transform and ignore patterns, which a config that sets its own replaces. */
const jestDefaultTransform = { '\\.[jt]sx?$': 'babel-jest' } as const;
const jestDefaultIgnorePatterns = [`${separator}node_modules${separator}`, '\\.pnp\\.[^\\\\/]+$'];

/** `pattern`, except for the library files: Jest then transforms those (with this transformer) and ignores the rest as before. */
const exceptLibraryFiles = (pattern: string) => `^(?![\\s\\S]*${libraryFilePattern})[\\s\\S]*?(?:${pattern})`;

/**
 * The marked file: the source as it is, with the call `register` answers appended. A file Jest runs
 * as an ES module has no `module` to report, and a copy whose package.json gives no version is not
 * marked (register would have no version to check it by); both run as natively.
 */
function processFile(sourceText: string, sourcePath: string, options?: JestTransformOptions): { code: string } {
  const recognised = options?.supportsStaticESM === true ? undefined : recognise(sourcePath);
  if (recognised === undefined || recognised.version === undefined) return { code: sourceText };
  const { integration, folder, file, version } = recognised;
  return { code: sourceText + announcement({ name: integration.name, version, folder, file }) };
}

export { processFile as process };

/**
 * Jest caches transformed files by this key: a hash of the output itself (so a new version of the
 * library or of this package, which changes what is appended, is a new key) and of where it lies.
 */
export function getCacheKey(sourceText: string, sourcePath: string, options?: JestTransformOptions): string {
  return createHash('sha256')
    .update(JSON.stringify([sourcePath, options?.supportsStaticESM === true]))
    .update(processFile(sourceText, sourcePath, options).code)
    .digest('hex');
}

/**
 * Jest's route: `register` as the first setup file, this transformer for the supported libraries'
 * files (before the config's own transforms, or Jest's default one), and every ignore pattern
 * made to let those files through. Nothing else in `config` changes.
 *
 * @example
 * ```js
 * // jest.config.js
 * const { withHttp2AsyncContext } = require('http2-async-context/jest');
 * module.exports = withHttp2AsyncContext({ testEnvironment: 'node' });
 * ```
 */
export function withHttp2AsyncContext<T extends JestConfigLike>(config: T = {} as T): T & Required<JestConfigLike> {
  return {
    ...config,
    setupFiles: ['http2-async-context/register', ...(config.setupFiles ?? [])],
    transform: { [libraryFilePattern]: 'http2-async-context/jest', ...(config.transform ?? jestDefaultTransform) },
    transformIgnorePatterns: (config.transformIgnorePatterns ?? jestDefaultIgnorePatterns).map(exceptLibraryFiles),
  };
}

/** The transformer, as Jest loads it (a CommonJS module's `default` when it marks itself an ES module). */
export default { process: processFile, getCacheKey };
