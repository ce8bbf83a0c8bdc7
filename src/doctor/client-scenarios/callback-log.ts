import type { AsyncLocalStorage } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';

/** One user-facing callback of one request kind, over every request of a phase. */
export interface CallbackCell {
  /** What ran: `unary callback`, `server-streaming data`, `onHeaders`, … */
  name: string;
  /** `runs`: every request must run it; `optional`: only some paths do (`error`). */
  expect: 'runs' | 'optional';
  /** Requests that declared it. */
  requests: number;
  /** Requests on which it ran at least once. */
  ran: number;
  /** Requests on which it ran and every call saw that request's own store. */
  right: number;
  /** Up to three stores seen instead (`undefined` for none): whose context leaked in. */
  seen: string[];
}

interface Tally {
  expect: CallbackCell['expect'];
  declared: Set<string>;
  ran: Set<string>;
  wrong: Set<string>;
  seen: string[];
}

/**
 * Collects, for one phase, which callbacks each request ran and which store each call saw.
 * Requests are told apart by their store id, which is unique within a run.
 */
export class CallbackLog {
  private readonly tallies = new Map<string, Tally>();
  /** Distinct errors the callbacks were given, for saying why a request failed. */
  private readonly errorTexts: string[] = [];
  private stopped = false;

  constructor(private readonly als: AsyncLocalStorage<string>) {}

  /** A probe for the request whose store is `store` and whose callbacks are `callbacks` (`name?` optional). */
  probe(store: string, callbacks: readonly string[]): RequestProbe {
    for (const spec of callbacks) {
      const optional = spec.endsWith('?');
      this.tally(optional ? spec.slice(0, -1) : spec, optional ? 'optional' : 'runs').declared.add(store);
    }
    return new RequestProbe(store, (name, ...args) => this.record(name, store, args));
  }

  /** Ignores every later call: once a phase is over, what its clients do belongs to the next. */
  stop(): void {
    this.stopped = true;
  }

  cells(): CallbackCell[] {
    return [...this.tallies].map(([name, tally]) => ({
      name,
      expect: tally.expect,
      requests: tally.declared.size,
      ran: tally.ran.size,
      right: [...tally.ran].filter((store) => !tally.wrong.has(store)).length,
      seen: tally.seen,
    }));
  }

  /** Up to three distinct errors passed to callbacks (`code: message`). */
  errors(): string[] {
    return [...this.errorTexts];
  }

  private record(name: string, store: string, args: readonly unknown[]): void {
    if (this.stopped) return;
    const error = args.find((arg): arg is Error => arg instanceof Error);
    if (error) {
      const text = (error as NodeJS.ErrnoException).code
        ? `${(error as NodeJS.ErrnoException).code}: ${error.message}`
        : error.message;
      if (this.errorTexts.length < 3 && !this.errorTexts.includes(text)) this.errorTexts.push(text);
    }
    const actual = String(this.als.getStore());
    // A callback nobody declared (an unexpected `error`) still shows, as optional.
    const tally = this.tally(name, 'optional');
    tally.ran.add(store);
    if (actual === store) return;
    tally.wrong.add(store);
    if (tally.seen.length < 3 && !tally.seen.includes(actual)) tally.seen.push(actual);
  }

  private tally(name: string, expect: CallbackCell['expect']): Tally {
    let tally = this.tallies.get(name);
    if (!tally)
      this.tallies.set(name, (tally = { expect, declared: new Set(), ran: new Set(), wrong: new Set(), seen: [] }));
    return tally;
  }
}

/** What an adapter records through, for one request. */
export class RequestProbe {
  constructor(
    /** The store the request was started in, which every one of its callbacks must see. */
    readonly store: string,
    /** Records one call of the callback `name`, in the store current now; an Error among `args` is kept. */
    readonly ran: (name: string, ...args: unknown[]) => void,
  ) {}

  /** Wraps `fn` so that each call is recorded as `name` before it runs; keeps `this`, arguments and result. */
  wrap<Args extends unknown[], Result>(name: string, fn: (...args: Args) => Result): (...args: Args) => Result {
    const ran = this.ran;
    return function (this: unknown, ...args: Args): Result {
      ran(name, ...args);
      return fn.apply(this, args);
    };
  }

  /** Records every emit of each of `events` on `emitter` as `<prefix> <event>`. */
  listen(emitter: EventEmitter, prefix: string, events: readonly string[]): void {
    for (const event of events) emitter.on(event, (...args: unknown[]) => this.ran(`${prefix} ${event}`, ...args));
  }
}
