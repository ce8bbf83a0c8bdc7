import { type Replacement, replace, restore } from '../replace.js';
import { kSlots } from '../symbols.js';

type Method = (this: unknown, ...args: unknown[]) => unknown;

type Patchable = Record<PropertyKey, unknown> & { [kSlots]?: Replacement[] };

/**
 * What `replaceMethods` installed on `holder` itself. Never an inherited list: a class's
 * prototype inherits its base class's, which is patched too (undici's `Dispatcher`).
 */
const ownSlots = (target: Patchable): Replacement[] => (Object.hasOwn(target, kSlots) ? target[kSlots]! : []);

/**
 * Installs `wrap` over each of `methods` on `holder` that is not ours already: a second patch
 * after an unpatch that could not take ours off (someone wrapped on top) installs nothing twice.
 */
export function replaceMethods(
  holder: Record<PropertyKey, unknown>,
  methods: readonly PropertyKey[],
  wrap: (method: PropertyKey, below: () => Method) => Method,
): void {
  const target = holder as Patchable;
  const slots = ownSlots(target);
  for (const method of methods) {
    if (typeof holder[method] !== 'function' || slots.some((slot) => slot.key === method)) continue;
    const slot = replace<Method>(holder, method, (below) => wrap(method, below));
    if (slot !== undefined) slots.push(slot as Replacement);
  }
  if (slots.length > 0) Object.defineProperty(target, kSlots, { value: slots, configurable: true, writable: true });
}

/** Takes off what `replaceMethods` installed, where ours is still on top; returns whether it took any off. */
export function restoreMethods(holder: Record<PropertyKey, unknown>): boolean {
  const target = holder as Patchable;
  const slots = ownSlots(target);
  const remaining = slots.filter((slot) => !restore(slot));
  if (remaining.length === 0) delete target[kSlots];
  else target[kSlots] = remaining;
  return remaining.length < slots.length;
}
