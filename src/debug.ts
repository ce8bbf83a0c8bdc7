import { debuglog, format } from 'node:util';

const section = 'http2-async-context';

/**
 * Bun 1.4.5's `debuglog` prints nothing: there, the same line, written as Node writes it, when
 * NODE_DEBUG names this package (or is `*`).
 */
function bunDebuglog(): (message: string, ...args: unknown[]) => void {
  const names = (process.env.NODE_DEBUG ?? '').toLowerCase().split(/[\s,]+/);
  if (!names.includes(section) && !names.includes('*')) return () => {};
  return (message, ...args) =>
    process.stderr.write(`${section.toUpperCase()} ${process.pid}: ${format(message, ...args)}\n`);
}

/**
 * `NODE_DEBUG=http2-async-context`: one line on stderr for each decision the patches make
 * (node:http2 patched; a copy of a library patched or left alone, and why; a pass-through left
 * under a later patch). Node's `util.debuglog`, as undici's diagnostics use it: nothing is
 * printed, or formatted, unless the variable names this package. Only the patches call it,
 * never the per-event path.
 */
export const debug = typeof process.versions.bun === 'string' ? bunDebuglog() : debuglog(section);
