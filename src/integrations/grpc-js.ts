// grpc-js under register: every call scoped where grpc-js builds it (`getInterceptingCall`), and
// `Client#waitForReady` callbacks. The call scope itself is in ./grpc-js-scope.ts.
import { AsyncResource } from 'node:async_hooks';
import {
  buildInScope,
  type CallMethod,
  directMethods,
  hopMethods,
  newCallScope,
  scopeCall,
  withGrpcScope,
} from './grpc-js-scope.js';
import type { Integration } from './integration.js';
import { replaceMethods, restoreMethods } from './method-slots.js';
import { loadedModules } from './module-cache.js';
import { sharedClientState } from './shared-state.js';

/** The four interceptor lists grpc-js (1.8–1.14) resolves a call's interceptors from. */
interface InterceptorArguments {
  clientInterceptors: unknown;
  clientInterceptorProviders: unknown;
  callInterceptors: unknown;
  callInterceptorProviders: unknown;
}

/**
 * The interceptors grpc-js (1.8–1.14) would use for this call, resolved as it does: call-level
 * lists replace the client's, providers are asked with the method definition, and a list may be
 * a single function (grpc-js concatenates, and tests `length`, which is then the arity). Undefined
 * where grpc-js would throw: then it is left to throw its own error.
 */
function effectiveInterceptors(args: InterceptorArguments, methodDefinition: unknown): unknown[] | undefined {
  const size = (list: unknown) => (list as { length?: number } | undefined)?.length ?? 0;
  const { clientInterceptors, clientInterceptorProviders, callInterceptors, callInterceptorProviders } = args;
  if (
    (size(clientInterceptors) > 0 && size(clientInterceptorProviders) > 0) ||
    (size(callInterceptors) > 0 && size(callInterceptorProviders) > 0)
  )
    return undefined;
  const callLevel = size(callInterceptors) > 0 || size(callInterceptorProviders) > 0;
  const [interceptors, providers] = callLevel
    ? [callInterceptors, callInterceptorProviders]
    : [clientInterceptors, clientInterceptorProviders];
  if (!Array.isArray(providers)) return undefined;
  const provided = providers.map((provider) => (provider as (definition: unknown) => unknown)(methodDefinition));
  return ([] as unknown[]).concat(interceptors, provided).filter(Boolean);
}

const isEmptyList = (list: unknown) => Array.isArray(list) && list.length === 0;

/** The common case, told apart without building any list: no interceptor anywhere. */
function hasNoInterceptors(args: InterceptorArguments): boolean {
  return (
    isEmptyList(args.clientInterceptors) &&
    isEmptyList(args.clientInterceptorProviders) &&
    isEmptyList(args.callInterceptors) &&
    isEmptyList(args.callInterceptorProviders)
  );
}

type InterceptorsModule = Record<string, unknown> & { getInterceptingCall: (...args: unknown[]) => unknown };

/** `exports` as grpc-js's `client-interceptors` module (which defines `InterceptingCall`), if it is one. */
function asInterceptorsModule(exports: unknown): InterceptorsModule | undefined {
  const candidate = exports as Partial<InterceptorsModule> | null | undefined;
  return typeof candidate?.getInterceptingCall === 'function' && typeof candidate.InterceptingCall === 'function'
    ? (candidate as InterceptorsModule)
    : undefined;
}

/**
 * The copy's `client-interceptors` module, found in the module cache by the `InterceptingCall`
 * class that the copy's main entry exports (so a nested or aliased copy finds its own).
 */
function interceptorsModuleOf(exports: unknown): InterceptorsModule | undefined {
  const InterceptingCall = (exports as { InterceptingCall?: unknown }).InterceptingCall;
  if (typeof InterceptingCall !== 'function') return undefined;
  for (const [filename, loaded] of loadedModules()) {
    const candidate = asInterceptorsModule(loaded);
    if (filename.endsWith('client-interceptors.js') && candidate?.InterceptingCall === InterceptingCall)
      return candidate;
  }
  return undefined;
}

/**
 * `getInterceptingCall` under register: a call without interceptors has its call object scoped
 * directly (no interceptor machinery, the cheapest way); a call with some gets ours between
 * every two of them ({@link withGrpcScope}), passed as the call-level list. Either way the call
 * captures a scope of its own, never that of a call whose interceptor made it.
 */
function scopedGetInterceptingCall(original: () => CallMethod) {
  return function getInterceptingCall(
    this: unknown,
    args: unknown,
    methodDefinition: unknown,
    options: unknown,
    channel: unknown,
  ) {
    if (!sharedClientState().clientsPatched) return Reflect.apply(original(), this, arguments);
    const interceptors = hasNoInterceptors(args as InterceptorArguments)
      ? []
      : effectiveInterceptors(args as InterceptorArguments, methodDefinition);
    if (interceptors !== undefined && interceptors.length > 0) {
      const scopedArgs = {
        ...(args as object),
        clientInterceptors: [],
        clientInterceptorProviders: [],
        callInterceptors: withGrpcScope(interceptors),
        callInterceptorProviders: [],
      };
      return buildInScope(undefined, undefined, original(), this, [
        scopedArgs,
        ...Array.prototype.slice.call(arguments, 1),
      ]);
    }
    const scope = newCallScope(undefined);
    return scopeCall(
      buildInScope(undefined, scope, original(), this, arguments),
      scope,
      true,
      interceptors === undefined ? hopMethods : directMethods,
    );
  };
}

function clientPrototypeOf(exports: unknown): Record<string, unknown> | undefined {
  const prototype = (exports as { Client?: { prototype?: Record<string, unknown> } }).Client?.prototype;
  return typeof prototype?.waitForReady === 'function' ? prototype : undefined;
}

/**
 * `Client#waitForReady(deadline, callback)` under register: grpc-js calls back from the channel's
 * connectivity watcher, in whatever context changed the channel's state; the callback runs in
 * the caller's instead. Generated clients inherit this method from `Client`.
 */
function scopedWaitForReady(original: () => CallMethod) {
  return function waitForReady(this: unknown, deadline: unknown, callback: unknown) {
    if (!sharedClientState().clientsPatched || typeof callback !== 'function')
      return Reflect.apply(original(), this, arguments);
    const scope = new AsyncResource('GrpcWaitForReady');
    let ended = false;
    const scoped = function (this: unknown, ...args: unknown[]) {
      try {
        return scope.runInAsyncScope(callback as CallMethod, this, ...args);
      } finally {
        if (!ended) {
          ended = true;
          scope.emitDestroy();
        }
      }
    };
    return Reflect.apply(original(), this, [deadline, scoped, ...Array.prototype.slice.call(arguments, 2)]);
  };
}

const patchInterceptors = (module: InterceptorsModule) =>
  replaceMethods(module, ['getInterceptingCall'], (_, original) => scopedGetInterceptingCall(original));
const patchClient = (prototype: Record<string, unknown>) =>
  replaceMethods(prototype, ['waitForReady'], (_, original) => scopedWaitForReady(original));

/** The two files of grpc-js (1.8–1.14) whose exports register patches, below the package folder. */
const interceptorsFile = 'build/src/client-interceptors.js';
const clientFile = 'build/src/client.js';

/**
 * grpc-js has no process-wide interceptor, and its generated clients keep their own copies of
 * `Client`'s request methods, so register reaches calls through the one internal function every
 * call's interceptor list passes through, `getInterceptingCall` in `build/src/client-interceptors.js`
 * (read from that module's exports on each call in 1.8–1.14; tests pin both).
 */
export const grpcJsIntegration: Integration = {
  name: '@grpc/grpc-js',
  entry: 'build/src/index.js',
  versions: '>=1.8.0 <1.15.0',
  patch(exports) {
    const interceptors = interceptorsModuleOf(exports);
    if (interceptors === undefined) return false;
    patchInterceptors(interceptors);
    const client = clientPrototypeOf(exports);
    if (client !== undefined) patchClient(client);
    return true;
  },
  unpatch(exports) {
    const interceptors = interceptorsModuleOf(exports);
    const client = clientPrototypeOf(exports);
    const restored = interceptors !== undefined && restoreMethods(interceptors);
    return (client !== undefined && restoreMethods(client)) || restored;
  },
  patchFile(file, exports) {
    const interceptors = file === interceptorsFile ? asInterceptorsModule(exports) : undefined;
    const client = file === clientFile ? clientPrototypeOf(exports) : undefined;
    if (interceptors !== undefined) patchInterceptors(interceptors);
    if (client !== undefined) patchClient(client);
    return interceptors !== undefined || client !== undefined;
  },
  unpatchFile(file, exports) {
    const holder =
      file === interceptorsFile
        ? asInterceptorsModule(exports)
        : file === clientFile
          ? clientPrototypeOf(exports)
          : undefined;
    return holder !== undefined && restoreMethods(holder);
  },
};
