/**
 * A map that holds its keys weakly and can still be walked: what the load hooks keep of every
 * module they patched and every loader they hooked. A test runner with a registry of its own
 * (vitest's `vmThreads`, Jest) loads a fresh copy of each library, and a fresh loader, for every
 * test file; a strong map on the process-wide state would keep every one of those alive.
 */
export class WeakEntries<K extends object, V> {
  readonly #values = new WeakMap<K, V>();
  readonly #keys = new Set<WeakRef<K>>();
  /** Dead references are swept when the set has doubled since the last sweep, so it stays near the live count. */
  #sweepAt = 64;

  has(key: K): boolean {
    return this.#values.has(key);
  }

  get(key: K): V | undefined {
    return this.#values.get(key);
  }

  set(key: K, value: V): void {
    if (!this.#values.has(key)) {
      this.#keys.add(new WeakRef(key));
      if (this.#keys.size >= this.#sweepAt) this.#sweep();
    }
    this.#values.set(key, value);
  }

  delete(key: K): void {
    if (!this.#values.delete(key)) return;
    for (const ref of this.#keys) if (ref.deref() === key) this.#keys.delete(ref);
  }

  *[Symbol.iterator](): IterableIterator<[K, V]> {
    for (const ref of this.#keys) {
      const key = ref.deref();
      if (key === undefined) this.#keys.delete(ref);
      else if (this.#values.has(key)) yield [key, this.#values.get(key) as V];
    }
  }

  #sweep(): void {
    for (const ref of this.#keys) if (ref.deref() === undefined) this.#keys.delete(ref);
    this.#sweepAt = Math.max(64, this.#keys.size * 2);
  }
}
