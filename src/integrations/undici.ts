// undici under register: `dispatch` of the exported dispatchers (and their internal kDispatch),
// and `Dispatcher.prototype.compose`. The request scope itself is in ./undici-scope.ts.
import { join } from 'node:path';
import type { Integration } from './integration.js';
import { replaceMethods, restoreMethods } from './method-slots.js';
import { loadedModule, loadedModules } from './module-cache.js';
import { sharedClientState } from './shared-state.js';
import { composeInScope, type Dispatch, dispatchInScope, handOn, takeHandedOn } from './undici-scope.js';

/** The exported dispatchers a user dispatches through; whichever comes first scopes the handler. */
const dispatcherClasses = [
  'Client',
  'Pool',
  'BalancedPool',
  'Agent',
  'ProxyAgent',
  'EnvHttpProxyAgent',
  'RetryAgent',
  'H2CClient',
];

type Holder = Record<string, unknown>;
/** Any function, called only through `Reflect.apply` or `new`. */
// biome-ignore lint/complexity/noBannedTypes: undici's dispatch and classes are only passed on, never typed here.
type AnyFunction = Function;

function dispatcherPrototypes(exports: unknown): Holder[] {
  const library = exports as Record<string, { prototype?: Holder } | undefined>;
  return dispatcherClasses
    .map((name) => library[name]?.prototype)
    .filter((prototype): prototype is Holder => typeof prototype?.dispatch === 'function');
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

/** undici's internal `kDispatch` symbol (`Symbol('dispatch')`), as the prototype chain of `prototype` has it. */
function internalDispatchKey(prototype: Holder): symbol | undefined {
  for (
    let holder: object | null = prototype;
    holder !== null;
    holder = Object.getPrototypeOf(holder) as object | null
  ) {
    const key = Object.getOwnPropertySymbols(holder).find((symbol) => symbol.description === 'dispatch');
    if (key !== undefined) return key;
  }
  return undefined;
}

/**
 * Register's `dispatch` on one dispatcher class's prototype: the first dispatch of a request
 * scopes its handler. A handler of this copy's `UnwrapHandler` has passed one of ours already.
 *
 * And its internal `kDispatch`, which the public `dispatch` calls once it has checked the
 * request: `compose()` binds the public `dispatch` it finds when it runs, so a dispatcher
 * composed before `patchClients()` reaches ours only there. Ours above names this dispatcher as
 * the hop it hands to, so the internal one lets through what undici 7 wrapped in between, and a
 * handler an undici 6 `interceptors` option changed joins the request (`dispatchInScope`).
 */
function patchDispatch(prototype: Holder, UnwrapHandler: AnyFunction | undefined): void {
  const unwrapped = (handler: unknown) => UnwrapHandler !== undefined && handler instanceof UnwrapHandler;
  replaceMethods(
    prototype,
    ['dispatch'],
    (_, below) =>
      function dispatch(this: unknown, options: unknown, handler: unknown) {
        if (!sharedClientState().clientsPatched) return Reflect.apply(below(), this, arguments);
        if (unwrapped(handler)) return handOn(below(), this, arguments, this, undefined);
        return dispatchInScope(below() as Dispatch<unknown, unknown>, this, options, handler, { next: this });
      },
  );
  const kDispatch = internalDispatchKey(prototype);
  if (kDispatch === undefined) return;
  replaceMethods(
    prototype,
    [kDispatch],
    (_, below) =>
      function internalDispatch(this: unknown, options: unknown, handler: unknown) {
        if (!sharedClientState().clientsPatched) return Reflect.apply(below(), this, arguments);
        if (unwrapped(handler) && takeHandedOn(this) !== undefined)
          return handOn(below(), this, arguments, undefined, undefined);
        return dispatchInScope(below() as Dispatch<unknown, unknown>, this, options, handler, { hop: this });
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
 * The files that define the classes register patches, by name below `lib/` (undici 6.0–6.8) or
 * `lib/dispatcher/` (later), and the class each exports as `module.exports`.
 */
const classFiles = new Map(
  Object.entries({
    client: 'Client',
    pool: 'Pool',
    'balanced-pool': 'BalancedPool',
    agent: 'Agent',
    'proxy-agent': 'ProxyAgent',
    'env-http-proxy-agent': 'EnvHttpProxyAgent',
    'retry-agent': 'RetryAgent',
    'h2c-client': 'H2CClient',
    dispatcher: 'Dispatcher',
  }),
);

const classNames = new Set(classFiles.values());

/** The prototype of the class `file` defines, if it is one of `classFiles` and exports that class. */
function classInFile(file: string, exports: unknown): { name: string; prototype: Holder } | undefined {
  // The class name first: it rules out nearly every file, and costs less than the path.
  if (typeof exports !== 'function' || !classNames.has(exports.name)) return undefined;
  const name = classFiles.get(/^lib\/(?:dispatcher\/)?([a-z0-9-]+)\.js$/.exec(file)?.[1] ?? '');
  const prototype = (exports as { prototype?: Holder }).prototype;
  return name !== exports.name || prototype === undefined ? undefined : { name, prototype };
}

/**
 * undici has no process-wide interceptor either (a global dispatcher is only the default one),
 * so register wraps `dispatch` on the exported dispatcher classes (a Pool or Agent may queue a
 * request before any Client sees it, so the scope is captured at the first of them), and
 * `Dispatcher.prototype.compose`, to put a hop of ours between every two interceptors.
 */
export const undiciIntegration: Integration = {
  name: 'undici',
  entry: 'index.js',
  versions: '>=6.0.0 <8.0.0',
  patch(exports) {
    const prototypes = dispatcherPrototypes(exports);
    const Dispatcher = (exports as { Dispatcher?: unknown }).Dispatcher;
    if (prototypes.length === 0 || typeof Dispatcher !== 'function') return false;
    const UnwrapHandler = unwrapHandlerOf(exports);
    for (const prototype of prototypes) patchDispatch(prototype, UnwrapHandler);
    patchCompose((Dispatcher as { prototype?: Holder }).prototype);
    return true;
  },
  unpatch(exports) {
    const dispatcherPrototype = (exports as { Dispatcher?: { prototype?: Holder } }).Dispatcher?.prototype;
    const holders = [
      ...dispatcherPrototypes(exports),
      ...(dispatcherPrototype === undefined ? [] : [dispatcherPrototype]),
    ];
    // Each holder restored, whatever the others did.
    return holders.map(restoreMethods).includes(true);
  },
  patchFile(file, exports, folder) {
    const found = classInFile(file, exports);
    if (found === undefined) return false;
    if (found.name === 'Dispatcher') return patchCompose(found.prototype);
    if (typeof found.prototype.dispatch !== 'function') return false;
    // Loaded already: every dispatcher class's file requires the one that defines UnwrapHandler first.
    const UnwrapHandler = loadedModule(join(folder, 'lib', 'handler', 'unwrap-handler.js'));
    patchDispatch(found.prototype, typeof UnwrapHandler === 'function' ? UnwrapHandler : undefined);
    return true;
  },
  unpatchFile(file, exports) {
    const found = classInFile(file, exports);
    return found !== undefined && restoreMethods(found.prototype);
  },
};
