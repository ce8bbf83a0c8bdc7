import type { AsyncResource } from 'node:async_hooks';
import http2 from 'node:http2';
import Module from 'node:module';
import { replace, restore, type Replacement } from '../replace.js';

/**
 * A client library the register patch knows how to make right: how to recognise a load of its
 * main entry, and how to patch and unpatch one loaded copy (its exports object).
 */
export interface Integration {
  /** The npm package name, e.g. `@grpc/grpc-js`: what `require()` is called with. */
  readonly name: string;
  /** The main entry below the package folder: the file an ES module's import of it loads. */
  readonly entry: string;
  /** The versions it supports and is tested with, as `>=A.B.C <X.Y.Z`; other copies are left alone. */
  readonly versions: string;
  /** Patches one copy; false (touching nothing) when the exports do not look like the library. */
  patch(exports: unknown): boolean;
  /** Undoes `patch` on that copy, leaving in place whatever someone installed on top of ours. */
  unpatch(exports: unknown): void;
  /**
   * Patches what one file of a copy exports, as that file loads: `file` is its path below the
   * package folder, with `/`, and `folder` the package folder. For a runtime whose load of the
   * main entry no hook sees (Bun, for an ES module's import of it): the files the entry requires
   * still pass one, before the entry hands its exports to anyone. Patches the same methods
   * `patch` does, so either may come first. False, touching nothing, for any other file.
   */
  patchFile(file: string, exports: unknown, folder: string): boolean;
  /** Undoes `patchFile` on that file's exports. */
  unpatchFile(file: string, exports: unknown): void;
}

/** Whether `version` (`A.B.C`, a pre-release counting as its release) lies in `range` (`>=A.B.C <X.Y.Z`). */
export function satisfies(version: string, range: string): boolean {
  const parse = (text: string | undefined) => (text ?? '').split(/[.+-]/).slice(0, 3).map(Number);
  const compare = (a: number[], b: number[]) => a.reduce((order, part, i) => order || Math.sign(part - (b[i] ?? 0)), 0);
  const [, low, high] = /^>=(\S+) <(\S+)$/.exec(range) ?? [];
  const parsed = parse(version);
  if (parsed.some(Number.isNaN) || low === undefined || high === undefined) return false;
  return compare(parsed, parse(low)) >= 0 && compare(parsed, parse(high)) < 0;
}

/** What the client integrations share across the ESM and CommonJS copies of this package. */
export interface SharedClientState {
  /** True while `patchClients()` is on; wrappers it installed pass through while it is off. */
  registerActive: boolean;
  /**
   * How many register-patched grpc-js calls or http2-wrapper requests are being created right
   * now, synchronously: an explicit helper under one of them leaves the scoping to it.
   */
  scopingDepth: number;
  /** The scope of the grpc-js call whose interceptor chain is being built right now, if any. */
  grpcCallScope: AsyncResource | undefined;
  /** The scope of the undici request being dispatched right now, synchronously, if any. */
  undiciScope: AsyncResource | undefined;
}

// Versioned by the shape of what it holds: a copy of another version must not read ours.
const kShared = Symbol.for('http2-async-context.clients.shared.v2');
let shared: SharedClientState | undefined;

/**
 * Kept on `node:http2`, like the http2 patch state, so both module copies see the same object;
 * made on first use, so that importing the package changes nothing.
 */
export function sharedClientState(): SharedClientState {
  if (shared !== undefined) return shared;
  const holder = http2 as unknown as { [kShared]?: SharedClientState };
  shared = holder[kShared];
  if (shared === undefined) {
    shared = { registerActive: false, scopingDepth: 0, grpcCallScope: undefined, undiciScope: undefined };
    Object.defineProperty(holder, kShared, { value: shared });
  }
  return shared;
}

/** Runs `create` marked as a register-scoped creation, so explicit helpers inside step aside. */
export function whileScoping<T>(shared: SharedClientState, create: () => T): T {
  shared.scopingDepth++;
  try {
    return create();
  } finally {
    shared.scopingDepth--;
  }
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

const kSlots = Symbol.for('http2-async-context.client-slots.v2');
type Patchable = Record<PropertyKey, unknown> & { [kSlots]?: Replacement[] };

/**
 * What `replaceMethods` installed on `holder` itself. Never an inherited list: a class's
 * prototype inherits its base class's, which is patched too (undici's `Dispatcher`).
 */
const ownSlots = (target: Patchable): Replacement[] => (Object.hasOwn(target, kSlots) ? target[kSlots]! : []);

/**
 * Installs `wrap` over each of `methods` on `holder` that is not ours already: a second patch
 * after an unpatch that could not take ours off (someone wrapped on top) installs nothing twice.
 */
export function replaceMethods(holder: Record<PropertyKey, unknown>, methods: readonly PropertyKey[], wrap: (method: PropertyKey, below: () => Method) => Method): void {
  const target = holder as Patchable;
  const slots = ownSlots(target);
  for (const method of methods) {
    if (typeof holder[method] !== 'function' || slots.some((slot) => slot.key === method)) continue;
    const slot = replace<Method>(holder, method, (below) => wrap(method, below));
    if (slot !== undefined) slots.push(slot as Replacement);
  }
  if (slots.length > 0) Object.defineProperty(target, kSlots, { value: slots, configurable: true, writable: true });
}

/** Takes off what `replaceMethods` installed, where ours is still on top. */
export function restoreMethods(holder: Record<PropertyKey, unknown>): void {
  const target = holder as Patchable;
  const remaining = ownSlots(target).filter((slot) => !restore(slot));
  if (remaining.length === 0) delete target[kSlots];
  else target[kSlots] = remaining;
}

type ModuleCache = Record<string, { exports?: unknown } | undefined>;
const moduleCache = () => (Module as unknown as { _cache?: ModuleCache })._cache ?? {};

/** The CommonJS module cache (`require.cache`) as `[filename, exports]`; empty where there is none. */
export function loadedModules(): Array<[string, unknown]> {
  return Object.entries(moduleCache()).map(([filename, loaded]) => [filename, loaded?.exports]);
}

/** The exports of the module loaded from `filename`, if the CommonJS module cache has it. */
export function loadedModule(filename: string): unknown {
  return moduleCache()[filename]?.exports;
}
