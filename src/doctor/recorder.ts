import type { AsyncLocalStorage } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';

/** `fires`: must fire on every watched emitter; `optional`: may not fire; `never`: must not fire. */
export type Expectation = 'fires' | 'optional' | 'never';

/** One table cell: one event (or one check) of one scenario, in one mode. */
export interface CellResult {
  scenario: string;
  /** The event, prefixed by the emitter's label unless that is the scenario's own `request`. */
  name: string;
  kind: 'event' | 'check';
  expect: Expectation;
  /** Emitters watched for this event (200 in the concurrency scenario). */
  streams: number;
  /** Emitters on which the event fired at least once. */
  firedOn: number;
  /** Listener calls that saw a store other than the expected one. */
  wrong: number;
  /** Up to three stores seen by those calls, for diagnosis (`undefined` for none). */
  seen: string[];
  /** True: right; false: wrong; null: did not fire and need not (shown as a dash). */
  ok: boolean | null;
  /** Why a cell failed beyond the store, or what a check found. */
  note?: string;
  /** Set when the package changes this event on purpose against native: how, in a few words. */
  change?: string;
}

interface Slot {
  cell: CellResult;
  /** Emitters that fired this event at least once. */
  emitters: Set<object>;
}

/**
 * Collects, per scenario, in which store every watched listener ran. Store values are plain ids;
 * `String()` of a missing store is `'undefined'`, which no scenario uses as an id.
 */
export class Recorder {
  private readonly slots = new Map<string, Slot>();
  /** Per label, the canonical order of its events and the order in which they first fired. */
  private readonly orders = new Map<string, { canonical: string[]; fired: string[] }>();
  private stopped = false;

  constructor(
    private readonly als: AsyncLocalStorage<string>,
    private readonly scenario: string,
  ) {}

  /**
   * Listens for `events` on `emitter` and checks that each runs in `store`. An event written
   * `name?` may not fire, `!name` must not; the list order is the order the events should fire in.
   * `changes` names the events the package changes on purpose, and how.
   */
  watch(
    label: string,
    emitter: EventEmitter,
    store: string,
    events: readonly string[],
    changes: Readonly<Record<string, string>> = {},
  ): void {
    for (const spec of events) {
      const expect: Expectation = spec.startsWith('!') ? 'never' : spec.endsWith('?') ? 'optional' : 'fires';
      const event = spec.replace(/^!|\?$/g, '');
      const slot = this.slot(label, event, 'event', expect);
      slot.cell.streams++;
      if (Object.hasOwn(changes, event)) slot.cell.change = changes[event];
      emitter.on(event, () => this.record(label, event, slot, emitter, store));
    }
    if (!this.orders.has(label)) {
      this.orders.set(label, {
        canonical: events.filter((spec) => !spec.startsWith('!')).map((spec) => spec.replace(/\?$/, '')),
        fired: [],
      });
    }
  }

  /** Records `event` as fired now on `source`, for outcomes that are no event (a synchronous throw). */
  observe(label: string, event: string, store: string, source: object): void {
    const slot = this.slot(label, event, 'event', 'fires');
    slot.cell.streams++;
    this.record(label, event, slot, source, store);
  }

  /** Declares that `event` of `label` was possible but did not happen (keeps the row in the table). */
  expectOptional(label: string, event: string): void {
    this.slot(label, event, 'event', 'optional');
  }

  /** A yes/no property the scenario promises (what a refused stream's error says). */
  check(name: string, ok: boolean, note: string): void {
    const slot = this.slot('check', name, 'check', 'fires');
    slot.cell.streams = 1;
    slot.cell.firedOn = 1;
    slot.cell.ok = slot.cell.ok !== false && ok;
    slot.cell.note = note;
  }

  /** Stops recording: events after this come from the doctor's own teardown. */
  stop(): void {
    this.stopped = true;
  }

  /** Final cells, with `ok` decided for event cells. */
  cells(): CellResult[] {
    return [...this.slots.values()].map(({ cell }) => (cell.kind === 'check' ? cell : { ...cell, ok: eventOk(cell) }));
  }

  /** Pairs `[listedFirst, firedFirst]`: events that fired the other way round from their listed order. */
  inversions(): Array<[string, string]> {
    const found: Array<[string, string]> = [];
    for (const { canonical, fired } of this.orders.values()) {
      for (const [i, firedFirst] of fired.entries()) {
        for (const firedLater of fired.slice(i + 1)) {
          if (canonical.indexOf(firedLater) < canonical.indexOf(firedFirst)) found.push([firedLater, firedFirst]);
        }
      }
    }
    return found;
  }

  private record(label: string, event: string, slot: Slot, emitter: object, store: string): void {
    if (this.stopped) return;
    const actual = String(this.als.getStore());
    slot.emitters.add(emitter);
    slot.cell.firedOn = slot.emitters.size;
    if (actual !== store) {
      slot.cell.wrong++;
      if (slot.cell.seen.length < 3 && !slot.cell.seen.includes(actual)) slot.cell.seen.push(actual);
    }
    const order = this.orders.get(label);
    if (order?.canonical.includes(event) && !order.fired.includes(event)) order.fired.push(event);
  }

  private slot(label: string, event: string, kind: CellResult['kind'], expect: Expectation): Slot {
    const name = label === 'request' || label === 'check' ? event : `${label} ${event}`;
    let slot = this.slots.get(name);
    if (!slot) {
      slot = {
        cell: { scenario: this.scenario, name, kind, expect, streams: 0, firedOn: 0, wrong: 0, seen: [], ok: null },
        emitters: new Set(),
      };
      this.slots.set(name, slot);
    }
    return slot;
  }
}

/** Decides an event cell from what fired; `null` is a dash: nothing fired, nor had to. */
function eventOk(cell: CellResult): boolean | null {
  if (cell.expect === 'never') return cell.firedOn === 0;
  if (cell.firedOn === 0) return cell.expect === 'optional' ? null : false;
  return cell.wrong === 0 && (cell.expect === 'optional' || cell.firedOn === cell.streams);
}
