/**
 * A first-in first-out queue with O(1) shift: Array.prototype.shift moves
 * every element, which costs a consumer with thousands of messages
 * buffered per queue more than decoding them.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Drop the consumed prefix once it is most of the array.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns up to `max` items from the front. */
  take(max: number): T[] {
    const n = Math.min(max, this.length);
    const out = this.items.slice(this.head, this.head + n) as T[];
    for (let i = 0; i < n; i++) this.shift();
    return out;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
