/**
 * The queue of tasks waiting for a worker: lowest priority number first,
 * first in first out within a priority. Pools mostly see one priority, so it
 * is a FIFO per distinct priority (a growable ring each) plus the sorted
 * list of priorities in use: push and shift are O(1) for a priority already
 * in use, and a new priority costs a binary search.
 */

class Fifo<T> {
  #items: (T | undefined)[] = new Array(16);
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) & (this.#items.length - 1)] = item;
    this.#size++;
  }

  unshift(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#head = (this.#head - 1) & (this.#items.length - 1);
    this.#items[this.#head] = item;
    this.#size++;
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#size--;
    return item;
  }

  #grow(): void {
    const items: (T | undefined)[] = new Array(this.#items.length * 2);
    for (let i = 0; i < this.#size; i++) items[i] = this.#items[(this.#head + i) & (this.#items.length - 1)];
    this.#items = items;
    this.#head = 0;
  }
}

export class TaskQueue<T> {
  /** Priorities in use, ascending; `fifos[i]` holds priority `priorities[i]`. */
  readonly #priorities: number[] = [];
  readonly #fifos: Fifo<T>[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds `item` behind everything of its priority. */
  push(item: T, priority: number): void {
    this.#fifo(priority).push(item);
    this.#size++;
  }

  /** Adds `item` ahead of everything of its priority (a task going back). */
  unshift(item: T, priority: number): void {
    this.#fifo(priority).unshift(item);
    this.#size++;
  }

  peek(): T | undefined {
    return this.#fifos[0]?.peek();
  }

  shift(): T | undefined {
    const fifo = this.#fifos[0];
    if (fifo === undefined) return undefined;
    const item = fifo.shift();
    this.#size--;
    if (fifo.size === 0) {
      this.#fifos.shift();
      this.#priorities.shift();
    }
    return item;
  }

  #fifo(priority: number): Fifo<T> {
    const priorities = this.#priorities;
    // The common case: the last priority used, or the lowest.
    if (priorities.length > 0 && priorities[0] === priority) return this.#fifos[0]!;
    let low = 0;
    let high = priorities.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (priorities[middle]! < priority) low = middle + 1;
      else high = middle;
    }
    if (priorities[low] === priority) return this.#fifos[low]!;
    const fifo = new Fifo<T>();
    priorities.splice(low, 0, priority);
    this.#fifos.splice(low, 0, fifo);
    return fifo;
  }
}
