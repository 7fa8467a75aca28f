// How far one consume queue is visible, and what it appended since: one
// pair (logical end, commit-log end) per append run (a put batch's entries
// for this queue), so that moving the commit offset releases whole runs
// from memory, and reads entries only to split the one run the commit
// offset falls inside (a binary search over that run). Not known after a
// truncation, a rebuild or an open; then the queue's entries are searched
// until everything in it is visible again.
export class VisibleRuns {
  /** One past the last entry readers may see. */
  visible = 0;
  /** Commit-log end of the queue's last entry, -1 when not known. */
  lastEnd = -1;
  /** [logical end, commit-log end] per run appended since `visible`, oldest first. */
  private runs: number[] = [];
  private known = false;

  /** An append of entries [before, logicalEnd) (holes first, if the append skipped offsets), the last ending at `end`. */
  appended(before: number, logicalEnd: number, end: number): void {
    if (this.visible >= before) {
      this.runs.length = 0;
      this.known = true;
    }
    if (this.known) this.runs.push(logicalEnd, end);
    this.lastEnd = end;
  }

  /** Entries from `logical` on were cut, or written without append (holes). */
  forget(logical = Infinity): void {
    if (this.visible > logical) this.visible = logical;
    this.lastEnd = -1;
    this.runs.length = 0;
    this.known = false;
  }

  /** Everything up to `max` is visible. */
  all(max: number): void {
    this.visible = max;
    this.runs.length = 0;
    this.known = true;
  }

  /**
   * Moves `visible` as far as `commit` allows; `firstAfter(from, to)` finds
   * the first entry in [from, to) whose record ends past `commit`.
   */
  advance(commit: number, max: number, firstAfter: (from: number, to: number) => number): void {
    if (this.lastEnd >= 0 && this.lastEnd <= commit) return this.all(max);
    if (!this.known) {
      this.visible = firstAfter(this.visible, max);
      return;
    }
    let i = 0;
    while (i < this.runs.length && this.runs[i + 1]! <= commit) {
      this.visible = this.runs[i]!;
      i += 2;
    }
    if (i > 0) this.runs.splice(0, i);
    if (this.runs.length > 0) this.visible = firstAfter(this.visible, this.runs[0]!);
  }
}
