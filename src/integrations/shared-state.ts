import type { AsyncResource } from 'node:async_hooks';
import http2 from 'node:http2';
import { kShared } from '../symbols.js';

/** What the client integrations share across the ESM and CommonJS copies of this package. */
export interface SharedClientState {
  /** True while `patchClients()` is on; wrappers it installed pass through while it is off. */
  clientsPatched: boolean;
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
    shared = { clientsPatched: false, scopingDepth: 0, grpcCallScope: undefined, undiciScope: undefined };
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
