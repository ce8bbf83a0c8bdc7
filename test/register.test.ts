import { describe, expect, it } from 'vitest';
import { runFixture, runNode } from './helpers/child.js';

const probe = 'compat/register-probe.mjs';
const allFormsScoped = (forms: string[]) => ({
  runtime: expect.any(String),
  forms: Object.fromEntries(forms.map((form) => [form, { ok: true }])),
});
const importForms = ['import http2 from', 'import * as http2 from', 'import { connect } from', "require('node:http2')"];

describe('register', () => {
  it('node --import http2-async-context/register shims every import form', async () => {
    expect(await runNode(probe, [], ['--import', 'http2-async-context/register'])).toEqual(allFormsScoped(importForms));
  });

  it('node -r http2-async-context/register (the CommonJS build) shims every import form', async () => {
    expect(await runNode(probe, [], ['-r', 'http2-async-context/register'])).toEqual(allFormsScoped(importForms));
  });

  it("import 'http2-async-context/register' as an app's first import shims every import form", async () => {
    expect(await runFixture('register-first-import.mjs')).toEqual(allFormsScoped(importForms));
  });

  it('patchHttp2() after the imports reaches named imports, earlier copies and existing sessions', async () => {
    const late = [...importForms, 'connect copied before the patch', 'session created before the patch'];
    expect(await runNode(probe, ['--patch-late'])).toEqual(allFormsScoped(late));
  });

  it('patchStatus() says what register turned on, which client copies it patched, and what was undone', async () => {
    const off = { http2: false, clients: false, patchedClients: [], unsupportedClients: [] };
    const on = { http2: true, clients: true, unsupportedClients: [] };
    const undici = 'undici 7.30.3';
    expect(await runFixture('patch-status.mjs', [], ['--import', 'http2-async-context/register'])).toEqual({
      steps: [
        ['start', { ...on, patchedClients: [] }],
        ['undici loaded', { ...on, patchedClients: [undici] }],
        ['unpatched', off],
        ['patched again', { ...on, patchedClients: [undici] }],
      ],
      frozen: true,
    });
    const { steps } = (await runFixture('patch-status.mjs')) as { steps: unknown[][] };
    expect(steps.slice(0, 2)).toEqual([
      ['start', off],
      ['undici loaded', off],
    ]);
  });

  it('the probe fails without the patch, so the checks above mean something', async () => {
    const { forms } = (await runNode(probe)) as { forms: Record<string, { ok: boolean }> };
    expect(Object.values(forms).map(({ ok }) => ok)).toEqual(importForms.map(() => false));
  });

  for (const [kind, flag] of [
    ['worker threads', '--import'],
    ['forked child processes', '--import'],
    ['worker threads', '-r'],
  ] as const) {
    it(`${kind} of a process started with ${flag} are shimmed too`, async () => {
      const result = await runFixture(
        'probe-in-worker.mjs',
        [kind === 'worker threads' ? 'worker' : 'fork'],
        [flag, 'http2-async-context/register'],
      );
      expect(result).toEqual(allFormsScoped(importForms));
    });
  }
});
