import { describe, expect, it } from 'vitest';
import jestTransformer, { getCacheKey, libraryFilePattern, process, withHttp2AsyncContext } from '../dist/esm/jest.js';
import { requireClient } from './helpers/clients.js';

// The Jest route's parts that need no Jest to check: which files it marks, what it leaves, and
// what withHttp2AsyncContext() does to a config (test/runners.test.ts runs it under Jest itself).
const ignored = (patterns: string[], file: string) => new RegExp(patterns.join('|')).test(file);
const grpcEntry = requireClient.resolve('@grpc/grpc-js');
const undiciEntry = requireClient.resolve('undici');

describe('the Jest transformer', () => {
  it('appends the call register answers to a supported library file, with its copy and version', () => {
    const { code } = process('module.exports = 1;', undiciEntry);
    expect(code.startsWith('module.exports = 1;\n')).toBe(true);
    expect(code).toMatch(
      /globalThis\[Symbol\.for\(".*"\)\]\?\.\(module\.exports, \{"name":"undici","version":"8\.\d+\.\d+"/,
    );
    expect(code).toContain('"file":"index.js"');
  });

  it('leaves every other file, and a file Jest runs as an ES module, exactly as it is', () => {
    expect(process('const a = 1;', new URL(import.meta.url).pathname).code).toBe('const a = 1;');
    expect(process('export {};', grpcEntry, { supportsStaticESM: true }).code).toBe('export {};');
  });

  it('is what Jest loads as the default export, keyed by the source and where it lies', () => {
    expect(jestTransformer.process).toBe(process);
    expect(getCacheKey('a', grpcEntry)).toBe(getCacheKey('a', grpcEntry));
    expect(getCacheKey('a', grpcEntry)).not.toBe(getCacheKey('b', grpcEntry));
    expect(getCacheKey('a', grpcEntry)).not.toBe(getCacheKey('a', undiciEntry));
  });
});

describe('withHttp2AsyncContext(config)', () => {
  it('adds register as the first setup file and the transformer before the config own transforms', () => {
    const config = withHttp2AsyncContext({
      setupFiles: ['./setup.js'],
      transform: { '\\.ts$': 'ts-jest' },
      testEnvironment: 'node',
    });
    expect(config.setupFiles).toEqual(['http2-async-context/register', './setup.js']);
    expect(Object.entries(config.transform!)).toEqual([
      [libraryFilePattern, 'http2-async-context/jest'],
      ['\\.ts$', 'ts-jest'],
    ]);
    expect(config.testEnvironment).toBe('node');
  });

  it("keeps Jest's default transform when the config has none", () => {
    expect(withHttp2AsyncContext().transform).toEqual({
      [libraryFilePattern]: 'http2-async-context/jest',
      '\\.[jt]sx?$': 'babel-jest',
    });
  });

  it('lets exactly the library files through the ignore patterns, default or the config own', () => {
    const { transformIgnorePatterns: defaults = [] } = withHttp2AsyncContext();
    const own = withHttp2AsyncContext({ transformIgnorePatterns: ['/node_modules/', '/vendor/'] });
    for (const patterns of [defaults, own.transformIgnorePatterns!]) {
      expect(ignored(patterns, '/app/node_modules/@grpc/grpc-js/build/src/client.js')).toBe(false);
      expect(ignored(patterns, '/app/node_modules/undici/lib/dispatcher/client-h2.js')).toBe(false);
      expect(ignored(patterns, '/app/node_modules/x/node_modules/http2-wrapper/source/index.js')).toBe(false);
      expect(ignored(patterns, '/app/node_modules/lodash/index.js')).toBe(true);
      expect(ignored(patterns, '/app/node_modules/undici/node_modules/busboy/lib/index.js')).toBe(true);
      expect(ignored(patterns, '/app/node_modules/undici-types/index.js')).toBe(true);
    }
    expect(ignored(own.transformIgnorePatterns!, '/app/vendor/lib.js')).toBe(true);
    expect(ignored(own.transformIgnorePatterns!, '/app/src/app.js')).toBe(false);
  });
});
