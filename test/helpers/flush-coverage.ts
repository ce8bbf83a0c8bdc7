import { takeCoverage } from 'node:v8';
import { afterAll } from 'vitest';

// Vitest ends its fork processes without a normal exit, so V8 never writes their coverage to
// NODE_V8_COVERAGE (where c8 reads it). Write it ourselves after each file; no-op without c8.
afterAll(() => {
  if (process.env.NODE_V8_COVERAGE) takeCoverage();
});
