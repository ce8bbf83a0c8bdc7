// undici under register: `dispatch` of the exported dispatchers (and their internal kDispatch),
// and `Dispatcher.prototype.compose`. The request scope itself is in ./undici-scope.ts.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Integration } from './integration.js';
import { replaceMethods, restoreMethods } from './method-slots.js';
import { loadedModule, loadedModules } from './module-cache.js';
import { sharedClientState } from './shared-state.js';
import { composeInScope, type Dispatch, dispatchInScope, isScoped } from './undici-scope.js';

type Holder = Record<PropertyKey, unknown>;
/** Any function, called only through `Reflect.apply` or `new`. */
// biome-ignore lint/complexity/noBannedTypes: undici's dispatch and classes are only passed on, never typed here.
type AnyFunction = Function;

/** undici's internal `kDispatch` symbol (`Symbol('dispatch')`), if `holder` defines it itself. */
function ownInternalDispatchKey(holder: object): symbol | undefined {
  return Object.getOwnPropertySymbols(holder).find((symbol) => symbol.description === 'dispatch');
}

/** Whether `prototype` itself defines a dispatch step: the public `dispatch` or the internal `kDispatch`. */
const definesDispatch = (prototype: object): boolean =>
  typeof Object.getOwnPropertyDescriptor(prototype, 'dispatch')?.value === 'function' ||
  ownInternalDispatchKey(prototype) !== undefined;

/** A dispatcher class of undici's: its base `Dispatcher.prototype`, and every prototype below it that defines a dispatch step. */
interface DispatcherChain {
  base: Holder;
  steps: Holder[];
}

/**
 * Walks the prototype chain of `value`, if it is a class derived from undici's `Dispatcher`:
 * the class that extends `EventEmitter` directly and defines `dispatch` (undici 6, 7 and 8 alike). Found through the
 * chain the dispatchers share rather than a list of class names, so that a dispatcher added in a
 * minor (undici 7.18's `RoundRobinPool`) is covered. `Dispatcher.prototype.dispatch` itself only
 * throws "not implemented", and is not a step.
 */
function dispatcherChain(value: unknown): DispatcherChain | undefined {
  if (typeof value !== 'function') return undefined;
  const steps: Holder[] = [];
  let holder: unknown = value.prototype;
  while (typeof holder === 'object' && holder !== null) {
    const parent = Object.getPrototypeOf(holder) as unknown;
    if (parent === EventEmitter.prototype)
      return Object.hasOwn(holder, 'dispatch') ? { base: holder as Holder, steps } : undefined;
    if (definesDispatch(holder)) steps.push(holder as Holder);
    holder = parent;
  }
  return undefined;
}

/** The prototypes of every dispatcher class a copy of undici exports, and its `Dispatcher.prototype`. */
function dispatcherPrototypes(exports: unknown): { base: Holder | undefined; steps: Holder[] } {
  const base = (exports as { Dispatcher?: { prototype?: Holder } }).Dispatcher?.prototype;
  const steps = new Set<Holder>();
  for (const value of Object.values(exports as Holder)) {
    const chain = dispatcherChain(value);
    if (chain !== undefined && chain.base === base) for (const step of chain.steps) steps.add(step);
  }
  return { base, steps: [...steps] };
}

/**
 * undici 7's `UnwrapHandler` of this copy, if it has one: a dispatcher's public `dispatch()`
 * wraps a controller-style handler in one before queuing it, so a handler of that class has
 * already passed a `dispatch()` of ours (a Pool or Agent queue hands it to a Client later).
 */
function unwrapHandlerOf(exports: unknown): AnyFunction | undefined {
  const Dispatcher = (exports as { Dispatcher?: unknown }).Dispatcher;
  const modules = new Map(loadedModules());
  for (const [filename, loaded] of modules) {
    if (!/[\\/]lib[\\/]handler[\\/]unwrap-handler\.js$/.test(filename) || typeof loaded !== 'function') continue;
    const dispatcherFile = filename.replace(/handler[\\/]unwrap-handler\.js$/, 'dispatcher/dispatcher.js');
    if (modules.get(dispatcherFile) === Dispatcher) return loaded;
  }
  return undefined;
}

/**
 * Above 0 while a dispatch of ours passes a handler on, synchronously, that is scoped already
 * (or wrapped by undici after passing one of ours): the internal hops below it let it through.
 * Module-wide: both hops are installed together, by the copy of this package that patched.
 */
let passingOn = 0;

function passOn(dispatch: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): unknown {
  passingOn++;
  try {
    return Reflect.apply(dispatch, thisArg, args);
  } finally {
    passingOn--;
  }
}

/**
 * Register's dispatch steps on one prototype that defines them. Its public `dispatch`: the first
 * dispatch of a request scopes its handler; a handler of this copy's `UnwrapHandler` has passed
 * one of ours already.
 *
 * Its internal `kDispatch`, which the public `dispatch` calls once it has checked the request:
 * `compose()` binds the public `dispatch` it finds when it runs, so a dispatcher composed before
 * `patchClients()` reaches ours only there. It scopes only what no dispatch of ours is passing
 * on, which costs a request that passed ours a counter and a few checks.
 */
function patchDispatch(prototype: Holder, UnwrapHandler: AnyFunction | undefined): void {
  if (Object.hasOwn(prototype, 'dispatch'))
    replaceMethods(
      prototype,
      ['dispatch'],
      (_, below) =>
        function dispatch(this: unknown, options: unknown, handler: unknown) {
          if (!sharedClientState().clientsPatched) return Reflect.apply(below(), this, arguments);
          if ((UnwrapHandler !== undefined && handler instanceof UnwrapHandler) || isScoped(handler))
            return passOn(below(), this, arguments);
          return dispatchInScope(below() as Dispatch<unknown, unknown>, this, options, handler);
        },
    );
  const kDispatch = ownInternalDispatchKey(prototype);
  if (kDispatch === undefined) return;
  replaceMethods(
    prototype,
    [kDispatch],
    (_, below) =>
      function internalDispatch(this: unknown, options: unknown, handler: unknown) {
        const shared = sharedClientState();
        if (!shared.clientsPatched || passingOn > 0 || shared.undiciScope !== undefined)
          return Reflect.apply(below(), this, arguments);
        return dispatchInScope(below() as Dispatch<unknown, unknown>, this, options, handler);
      },
  );
}

/** Register's `Dispatcher.prototype.compose`: a hop of ours between every two interceptors. */
function patchCompose(dispatcherPrototype: Holder | undefined): boolean {
  if (typeof dispatcherPrototype?.compose !== 'function') return false;
  replaceMethods(
    dispatcherPrototype,
    ['compose'],
    (_, below) =>
      function compose(this: unknown, ...args: unknown[]) {
        if (!sharedClientState().clientsPatched) return Reflect.apply(below(), this, args);
        // undici takes a list or the interceptors as arguments; a list it would reject is passed on as it is.
        const interceptors = Array.isArray(args[0]) ? args[0] : args;
        return Reflect.apply(below(), this, [composeInScope(interceptors)]);
      },
  );
  return true;
}

/**
 * undici has no process-wide interceptor either (a global dispatcher is only the default one),
 * so register wraps the dispatch steps of every dispatcher class (a Pool or Agent may queue a
 * request before any Client sees it, so the scope is captured at the first of them), and
 * `Dispatcher.prototype.compose`, to put a hop of ours between every two interceptors.
 */
export const undiciIntegration: Integration = {
  name: 'undici',
  entry: 'index.js',
  versions: '>=6.0.0 <9.0.0',
  patch(exports) {
    const { base, steps } = dispatcherPrototypes(exports);
    if (base === undefined || steps.length === 0) return false;
    const UnwrapHandler = unwrapHandlerOf(exports);
    for (const prototype of steps) patchDispatch(prototype, UnwrapHandler);
    patchCompose(base);
    return true;
  },
  unpatch(exports) {
    const { base, steps } = dispatcherPrototypes(exports);
    for (const prototype of steps) restoreMethods(prototype);
    if (base !== undefined) restoreMethods(base);
  },
  /** On Bun, file by file: any file whose `module.exports` is a dispatcher class, found by its prototype chain. */
  patchFile(_file, exports, folder) {
    const chain = dispatcherChain(exports);
    if (chain === undefined) return false;
    // Loaded already: every dispatcher class's file requires the one that defines UnwrapHandler first.
    const UnwrapHandler = loadedModule(join(folder, 'lib', 'handler', 'unwrap-handler.js'));
    for (const prototype of chain.steps)
      patchDispatch(prototype, typeof UnwrapHandler === 'function' ? UnwrapHandler : undefined);
    const composed = patchCompose(chain.base);
    return composed || chain.steps.length > 0;
  },
  unpatchFile(_file, exports) {
    const chain = dispatcherChain(exports);
    if (chain === undefined) return;
    for (const prototype of chain.steps) restoreMethods(prototype);
    restoreMethods(chain.base);
  },
};
