import { inspect } from 'node:util';

/** A `TypeError` shaped like Node's own `ERR_INVALID_ARG_TYPE`, code and message alike. */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  const received = actual === null || actual === undefined
    ? ` Received ${String(actual)}`
    : typeof actual === 'object' || typeof actual === 'function'
      ? ` Received ${inspect(actual, { depth: -1 })}`
      : ` Received type ${typeof actual} (${inspect(actual)})`;
  const error = new TypeError(`The "${name}" argument must be ${expected}.${received}`);
  Object.defineProperty(error, 'code', { value: 'ERR_INVALID_ARG_TYPE', enumerable: true, writable: true, configurable: true });
  return error;
}
