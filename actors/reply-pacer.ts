// Paces the replies a broker builds from stored messages. When one append
// wakes many held pulls (or many pulls arrive in one socket read), each
// would read and encode its own copy of the same big messages in a single
// turn of the event loop: 200 pulls of a 4 MiB message made 800 MB of
// replies and blocked the loop for seconds. Here replies are built while
// the bytes built since the bus last confirmed it has everything sent
// (a PING round trip: nc.flush) stay under a cap, and while one turn of the
// event loop has spent less than SLICE_MS on them; the rest wait, in order,
// for that confirmation or the next turn, and other requests (status, sends)
// are served in between.

export type Flush = () => Promise<void>;

/** A confirmation that never comes (a connection down) stops no one longer than this. */
const CONFIRM_TIMEOUT_MS = 1000;
/** Building replies past this long in one turn of the event loop, the rest wait for the next turn. */
export const SLICE_MS = 20;

interface Waiter {
  task: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class ReplyPacer {
  private inFlight = 0;
  private readonly waiting: Waiter[] = [];
  private head = 0;
  private confirming = false;
  /** When this turn's first reply was counted; -1: none yet this turn. */
  private sliceStart = -1;
  /** Waiting for the next turn (this one built replies for SLICE_MS). */
  private yielding = false;

  constructor(
    private readonly max: number,
    private readonly flush: Flush,
  ) {}

  /** Whether a reply may be built now without waiting (nothing queued, room left). */
  idle(): boolean {
    return this.inFlight < this.max && !this.yielding && this.head === this.waiting.length;
  }

  /** Counts the bytes of a reply just built; past the cap, the next replies wait for a confirmation. */
  spend(bytes: number): void {
    this.inFlight += bytes;
    if (this.inFlight >= this.max) return this.confirm();
    const now = performance.now();
    if (this.sliceStart < 0) {
      this.sliceStart = now;
      setImmediate(() => (this.sliceStart = -1));
    } else if (now - this.sliceStart >= SLICE_MS && !this.yielding) {
      this.yielding = true;
      setImmediate(() => {
        this.yielding = false;
        this.drain();
      });
    }
  }

  /** Runs `task` (which builds a reply and calls spend) once there is room, after those queued before it. */
  later<T>(task: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ task, resolve: resolve as (v: unknown) => void, reject });
      if (this.inFlight < this.max && !this.confirming && !this.yielding) queueMicrotask(() => this.drain());
    });
  }

  /** Bytes built since the last confirmation (in status). */
  bytesInFlight(): number {
    return this.inFlight;
  }

  /** Tasks waiting for room (in status). */
  queued(): number {
    return this.waiting.length - this.head;
  }

  private drain(): void {
    while (this.head < this.waiting.length && this.inFlight < this.max && !this.yielding) {
      const w = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined as unknown as Waiter;
      try {
        w.resolve(w.task());
      } catch (err) {
        w.reject(err);
      }
    }
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }

  private confirm(): void {
    if (this.confirming) return;
    this.confirming = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, CONFIRM_TIMEOUT_MS)));
    Promise.race([this.flush().catch(() => undefined), timeout]).then(() => {
      clearTimeout(timer);
      this.confirming = false;
      this.inFlight = 0;
      // a fresh macrotask: requests that came in meanwhile get their turn first
      setImmediate(() => this.drain());
    });
  }
}
