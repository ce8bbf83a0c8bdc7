import { clientPatchStatus } from './integrations/load-hook.js';
import type { PatchedClient, UnsupportedClient } from './integrations/registry.js';
import { http2Patched } from './patch.js';

/** What `patchStatus()` reports. */
export interface PatchStatus {
  /** Whether `patchHttp2()` is on: `http2.connect` and every client session's `request` are shimmed. */
  readonly http2: boolean;
  /** Whether `patchClients()` is on: client libraries are patched as they load. */
  readonly clients: boolean;
  /** The copies of client libraries `patchClients()` patched since it was last turned on. */
  readonly patchedClients: readonly PatchedClient[];
  /**
   * The copies `patchClients()` found outside the versions the package supports and left alone
   * (each also reported once by a process warning, code `HTTP2_ASYNC_CONTEXT_UNSUPPORTED`).
   */
  readonly unsupportedClients: readonly UnsupportedClient[];
}

/**
 * What is patched in this process right now, by either module copy of the package (the
 * `register` preload turns on both patches). Reads state; changes nothing.
 *
 * @example
 * ```ts
 * import { patchStatus } from 'http2-async-context';
 * const { http2, clients, patchedClients, unsupportedClients } = patchStatus();
 * ```
 */
export function patchStatus(): PatchStatus {
  const { active, patched, leftAlone } = clientPatchStatus();
  return Object.freeze({
    http2: http2Patched(),
    clients: active,
    patchedClients: patched,
    unsupportedClients: leftAlone,
  });
}
