import type { AsyncResource } from 'node:async_hooks';
import http2 from 'node:http2';
import { kShared } from '../symbols.js';
import type { CallScope } from './grpc-js-scope.js';

/**
 * A hop of ours handing a request on, synchronously: `next` names the one hop of ours that may
 * join it, the one below the interceptor it hands to, once (then `next` is cleared). Any other
 * hop reached meanwhile, or that one a second time, belongs to a request of its own.
 */
export interface HandingOn<Scope> {
  next: unknown;
  readonly scope: Scope;
}

/** `handing`, taken by `hop`: undefined unless `hop` is the one it names, and did not take it yet. */
export function takeHanding<Scope>(handing: HandingOn<Scope> | undefined, hop: unknown): HandingOn<Scope> | undefined {
  if (handing === undefined || hop === undefined || handing.next !== hop) return undefined;
  handing.next = undefined;
  return handing;
}

/** What the client integrations share across the ESM and CommonJS copies of this package. */
export interface SharedClientState {
  /** True while `patchClients()` is on; wrappers it installed pass through while it is off. */
  clientsPatched: boolean;
  /** An http2-wrapper `Agent#request` of ours calling the one beneath it right now, if any. */
  agentHandingOn: HandingOn<AsyncResource> | undefined;
  /** A hop of ours building the rest of a grpc-js call's interceptor chain right now, if any. */
  grpcHandingOn: HandingOn<CallScope> | undefined;
  /** A hop of ours passing an undici request on right now, if any; its scope, when it knows it. */
  undiciHandingOn: HandingOn<AsyncResource | undefined> | undefined;
}

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
    shared = {
      clientsPatched: false,
      agentHandingOn: undefined,
      grpcHandingOn: undefined,
      undiciHandingOn: undefined,
    };
    Object.defineProperty(holder, kShared, { value: shared });
  }
  return shared;
}
