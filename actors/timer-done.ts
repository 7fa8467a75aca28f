// Which timer-queue offsets are done (delivered, or found delivered in the
// log), a bit each, from the lowest one not done: the progress the timer
// service persists.

/**
 * Which timer-queue offsets from `low` on are done, one bit each. `low`
 * only moves forward, past offsets marked done; everything below it is done.
 */
export class DoneOffsets {
  private bits = new Uint8Array(1024);
  /** Offset of bit 0. */
  private origin: number;
  private lowest: number;

  constructor(low: number) {
    this.origin = low;
    this.lowest = low;
  }

  /** The lowest offset not known done. */
  get low(): number {
    return this.lowest;
  }

  /** Offsets the window spans now (its memory is an eighth of this in bytes). */
  get span(): number {
    return this.bits.length * 8;
  }

  isDone(offset: number): boolean {
    if (offset < this.lowest) return true;
    const i = offset - this.origin;
    if (i >= this.bits.length * 8) return false;
    return (this.bits[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  markDone(offset: number): void {
    if (offset < this.lowest) return;
    let i = offset - this.origin;
    if (i >= this.bits.length * 8) {
      this.compact();
      i = offset - this.origin;
      if (i >= this.bits.length * 8) {
        let len = this.bits.length;
        while (i >= len * 8) len *= 2;
        const b = new Uint8Array(len);
        b.set(this.bits);
        this.bits = b;
      }
    }
    this.bits[i >> 3]! |= 1 << (i & 7);
    if (offset === this.lowest) this.advance();
  }

  private advance(): void {
    let i = this.lowest - this.origin;
    const end = this.bits.length * 8;
    while (i < end) {
      const byte = this.bits[i >> 3]!;
      if (byte === 0xff && (i & 7) === 0) {
        i += 8;
        continue;
      }
      if ((byte & (1 << (i & 7))) === 0) break;
      i++;
    }
    this.lowest = this.origin + i;
    if (i >= 8 * 4096) this.compact();
  }

  /** Drops whole bytes below `low`. */
  private compact(): void {
    const drop = (this.lowest - this.origin) >> 3;
    if (drop === 0) return;
    this.bits.copyWithin(0, drop);
    this.bits.fill(0, this.bits.length - drop);
    this.origin += drop * 8;
  }
}
