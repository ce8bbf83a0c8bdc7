/**
 * The one way this package replaces a property of someone else's (`http2.connect`, the client
 * session prototype's `request`, the module loader's hooks, a client library's methods) and puts it back.
 * Not for the hot path: streams and calls get their own, cheaper, per-object binding.
 */

import { debug } from './debug.js';

type Method = (this: unknown, ...args: never[]) => unknown;

/** One property we replaced: where it is, what was there, and ours. */
export interface Replacement<T extends Method = Method> {
  readonly holder: object;
  readonly key: PropertyKey;
  /** The holder's own property we covered; undefined when the method was inherited. */
  readonly own: PropertyDescriptor | undefined;
  readonly patched: T;
  /** Installed and put back by assignment rather than by defining the property (see `replace`). */
  readonly assign?: true;
}

/**
 * Installs `wrap(below)` as `holder[key]`, where `below()` gives the method beneath ours: the
 * holder's own one from before, else the inherited one, looked up on each call rather than
 * copied, so that a later patch further down the prototype chain is still called. Ours keeps
 * the replaced method's `name` and `length` and the property's attributes (a class method stays
 * non-enumerable). Returns undefined, touching nothing, where the property cannot be replaced
 * (a frozen holder, a read-only method): a program that works natively must keep working.
 * With `assign`, ours is installed and put back by assignment alone: Bun 1.4.5 starts calling a
 * `Module.prototype.require` that is assigned, never one that is defined (nor one assigned after
 * the property was once defined).
 */
export function replace<T extends Method>(
  holder: object,
  key: PropertyKey,
  wrap: (below: () => T) => T,
  assign?: true,
): Replacement<T> | undefined {
  const own = Object.getOwnPropertyDescriptor(holder, key);
  if (own === undefined ? !Object.isExtensible(holder) : !own.configurable && !own.writable) {
    debug('%s left alone: it cannot be replaced (frozen or read-only)', String(key));
    return undefined;
  }
  const original = Reflect.get(holder, key) as T;
  const below =
    own === undefined
      ? () => Reflect.get(Object.getPrototypeOf(holder) as object, key, holder) as T
      : () => (own.get ? Reflect.apply(own.get, holder, []) : own.value) as T;
  const patched = constructedAs(original, wrap(below));
  Object.defineProperty(patched, 'name', { value: original.name || String(key), configurable: true });
  Object.defineProperty(patched, 'length', { value: original.length, configurable: true });
  if (assign || (own !== undefined && !own.configurable)) (holder as Record<PropertyKey, unknown>)[key] = patched;
  else
    Object.defineProperty(holder, key, {
      value: patched,
      writable: true,
      enumerable: own?.enumerable ?? false,
      configurable: true,
    });
  return assign ? { holder, key, own, patched, assign } : { holder, key, own, patched };
}

/** Whether `new` can call `fn` at all, found without calling it. */
function isConstructor(fn: unknown): boolean {
  try {
    Reflect.construct(Object, [], fn as new () => unknown);
    return true;
  } catch {
    return false;
  }
}

/**
 * `patched`, or, where the original is a method that `new` refuses (a class's, or a runtime's
 * builtin) and `patched` is not, a method that calls it: `new` then throws as on the original.
 */
function constructedAs<T extends Method>(original: T, patched: T): T {
  if (typeof original !== 'function' || isConstructor(original) || !isConstructor(patched)) return patched;
  const methods = {
    method(this: unknown) {
      return Reflect.apply(patched, this, arguments);
    },
  };
  return methods.method as unknown as T;
}

/** True while ours is still the method installed: nobody patched on top of it since. */
export function isOnTop(replacement: Replacement): boolean {
  const { holder, key, patched } = replacement;
  return Object.getOwnPropertyDescriptor(holder, key)?.value === patched;
}

/**
 * Puts back what was there, only while ours is still on top: never clobbers someone who patched
 * later (their function may call ours, which then passes through). Returns whether it did.
 */
export function restore(replacement: Replacement): boolean {
  if (!isOnTop(replacement)) {
    debug('%s stays as a pass-through: something patched it after us', String(replacement.key));
    return false;
  }
  const { holder, key, own, assign } = replacement;
  if (assign && own !== undefined && 'value' in own) (holder as Record<PropertyKey, unknown>)[key] = own.value;
  else if (own === undefined) Reflect.deleteProperty(holder, key);
  else if (own.configurable) Object.defineProperty(holder, key, own);
  else (holder as Record<PropertyKey, unknown>)[key] = own.value;
  return true;
}
