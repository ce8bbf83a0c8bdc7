import { inspect } from 'node:util';

/**
 * Node's own `ERR_INVALID_ARG_TYPE` class shape: a `TypeError` subclass whose constructor is
 * named `TypeError` and whose `toString()` and stack header carry the code, e.g.
 * `TypeError [ERR_INVALID_ARG_TYPE]: The "session" argument must be …` (Node 20–26).
 */
class InvalidArgTypeError extends TypeError {
  declare code: 'ERR_INVALID_ARG_TYPE';

  constructor(message: string) {
    super(message);
    this.code = 'ERR_INVALID_ARG_TYPE';
    // Node builds the stack header from `${name} [${code}]`: give the header the code while
    // the stack is first formatted, then let `name` fall back to the prototype's `TypeError`.
    Object.defineProperty(this, 'name', { value: `TypeError [${this.code}]`, configurable: true });
    void this.stack;
    delete (this as { name?: string }).name;
  }

  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}`;
  }
}
Object.defineProperty(InvalidArgTypeError, 'name', { value: 'TypeError' });

/** How Node's `determineSpecificType()` names a received value in its argument errors. */
function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return `function ${value.name}`;
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: { name?: unknown } }).constructor;
    if (ctor && 'name' in ctor) return `an instance of ${String(ctor.name)}`;
    return inspect(value, { depth: -1 });
  }
  if (typeof value === 'string') {
    const shown = value.length > 28 ? `${value.slice(0, 25)}...` : value;
    return `type string (${shown.includes("'") ? JSON.stringify(shown) : `'${shown}'`})`;
  }
  const shown = inspect(value, { colors: false });
  return `type ${typeof value} (${shown.length > 28 ? `${shown.slice(0, 25)}...` : shown})`;
}

/** A `TypeError` shaped like Node's own `ERR_INVALID_ARG_TYPE`: class, code, message and stack. */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  return new InvalidArgTypeError(`The "${name}" argument must be ${expected}. Received ${describeReceived(actual)}`);
}
