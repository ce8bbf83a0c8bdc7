// What the load hooks do with a file `recognise()` names: judge its copy once by the version its
// package.json states, patch what the file exports, and remember it for unpatch and status.
import http2 from 'node:http2';
import { debug } from '../debug.js';
import type { Replacement } from '../replace.js';
import { kHookState } from '../symbols.js';
import { type Integration, satisfies } from './integration.js';
import type { RecognisedFile } from './recognise.js';
import {
  issuesUrl,
  type KnownFile,
  type PatchedClient,
  type UnsupportedClient,
  unsupportedWarningCode,
} from './registry.js';
import { WeakEntries } from './weak-entries.js';

/** Shared on `node:http2` by both module copies of this package, like the http2 patch state. */
export interface HookState {
  active: boolean;
  /** Every copy (main entry's exports) patched so far, so that unpatch and a later patch reach them. */
  copies: WeakEntries<object, { integration: Integration; copy: PatchedClient }>;
  /** Every other file's exports patched as the file loaded, for the same reason. */
  files: WeakEntries<object, KnownFile>;
  /** Copies judged by the version in their package.json, each once, by folder. */
  folders: Map<string, { inRange: boolean; copy: PatchedClient }>;
  /** The copies patched since the patch was last turned on, in order, by folder. */
  patched: Map<string, PatchedClient>;
  /** The copies left alone (out of range, package.json unreadable), by folder; each warned of once. */
  leftAlone: Map<string, UnsupportedClient>;
  /** Main entries' exports that did not look like the library, so that each is judged once. */
  skipped: WeakSet<object>;
  /**
   * The hooks installed (see load-hook.ts), by the loader object each went on, while installed or
   * buried under a later patch: the runtime's own, and each a test runner's registry hands out.
   */
  hooks: WeakEntries<object, Replacement>;
}

/** The state, created on first use; `create` false reads it without creating it. */
export function hookState(create: true): HookState;
export function hookState(create: false): HookState | undefined;
export function hookState(create: boolean): HookState | undefined {
  const holder = http2 as unknown as { [kHookState]?: HookState };
  if (holder[kHookState] === undefined && create) {
    const state: HookState = {
      active: false,
      copies: new WeakEntries(),
      files: new WeakEntries(),
      folders: new Map(),
      patched: new Map(),
      leftAlone: new Map(),
      skipped: new WeakSet(),
      hooks: new WeakEntries(),
    };
    Object.defineProperty(holder, kHookState, { value: state });
  }
  return holder[kHookState];
}

export const describeCopy = ({ name, version, path }: PatchedClient) =>
  `${name} ${version ?? '(version unknown)'} at ${path ?? '(path unknown)'}`;

/**
 * A copy the package cannot vouch for is left alone: its requests may run their callbacks in
 * another request's store, as without the package. Said once per copy where the user looks, as a
 * process warning with the package's own code (so that
 * `--disable-warning=HTTP2_ASYNC_CONTEXT_UNSUPPORTED` silences it), and kept for `patchStatus()`.
 */
function leaveAlone(state: HookState, integration: Integration, copy: PatchedClient): void {
  const leftAlone = Object.freeze({ ...copy, versions: integration.versions });
  state.leftAlone.set(copy.path ?? '', leftAlone);
  const unread = copy.version === undefined;
  debug(
    'left alone %s: %s',
    describeCopy(copy),
    unread ? 'its package.json could not be read' : `outside the supported range ${integration.versions}`,
  );
  process.emitWarning(
    `${describeCopy(copy)} ${unread ? 'has a package.json that could not be read' : `is outside the versions http2-async-context supports (${integration.versions})`}, ` +
      "so it is left alone: its requests may run their callbacks in another request's store. " +
      `Use the explicit helper (see the README), or ask for this version at ${issuesUrl}.`,
    { type: 'Http2AsyncContextWarning', code: unsupportedWarningCode },
  );
}

/** The copy in `folder`, judged once by the version its package.json states (none read: left alone). */
function judgeFolder(state: HookState, { integration, folder, version }: RecognisedFile) {
  let judged = state.folders.get(folder);
  if (judged === undefined) {
    const copy = Object.freeze({ name: integration.name, version, path: folder });
    judged = { inRange: version !== undefined && satisfies(version, integration.versions), copy };
    state.folders.set(folder, judged);
    if (!judged.inRange) leaveAlone(state, integration, copy);
  }
  return judged;
}

/** Notes `copy` as patched since the patch was turned on; says so under NODE_DEBUG the first time. */
function record(state: HookState, copy: PatchedClient): void {
  if (state.patched.has(copy.path ?? '')) return;
  state.patched.set(copy.path ?? '', copy);
  debug('patched %s', describeCopy(copy));
}

/**
 * Patches what one recognised file exports, once, as it loads or when found loaded: the main
 * entry's exports as the whole copy, any other file by what it defines. Only in a copy inside
 * its integration's range, and only exports that look like the library; anything else is left as
 * it is and said under `NODE_DEBUG=http2-async-context`.
 */
export function patchRecognised(state: HookState, recognised: RecognisedFile, exports: unknown): void {
  if ((typeof exports !== 'object' && typeof exports !== 'function') || exports === null) return;
  const { integration, folder, file } = recognised;
  if (state.copies.has(exports) || state.files.has(exports) || state.skipped.has(exports)) return;
  const judged = judgeFolder(state, recognised);
  if (!judged.inRange) return;
  if (file === integration.entry) {
    if (!integration.patch(exports)) {
      state.skipped.add(exports);
      debug('left alone %s: its exports do not look like %s', describeCopy(judged.copy), integration.name);
      return;
    }
    state.copies.set(exports, { integration, copy: judged.copy });
  } else {
    if (!integration.patchFile(file, exports, folder)) return;
    state.files.set(exports, { integration, folder, file });
  }
  record(state, judged.copy);
}

/** Every copy and file patched before, again (after an unpatch: installs only what is not ours already). */
export function repatchKnown(state: HookState): void {
  for (const [exports, { integration, copy }] of state.copies) {
    integration.patch(exports);
    record(state, copy);
  }
  for (const [exports, { integration, folder, file }] of state.files) {
    integration.patchFile(file, exports, folder);
    const judged = state.folders.get(folder);
    if (judged !== undefined) record(state, judged.copy);
  }
}
