import { debuglog } from 'node:util';

/**
 * `NODE_DEBUG=http2-async-context`: one line on stderr for each decision the patches make (a
 * copy of a library patched or left alone, and why; a pass-through left under a later patch).
 * Node's `util.debuglog`, as undici's diagnostics use it: nothing is printed, or formatted,
 * unless the variable names this package. Only the patches call it, never the per-event path.
 * Bun 1.4's `debuglog` prints nothing.
 */
export const debug = debuglog('http2-async-context');
