// Which messages the fake network lets through: isolated replicas, cut
// links, partitions and drop rules, with a seeded random for lossy links.
import { mulberry32, type Rng } from "../chaos/prng.js";

export interface DropRule {
  /** Probability of losing each matching message, 0..1 (1: all of them). */
  p: number;
  from?: number;
  to?: number;
  api?: string;
}

export class Links {
  private readonly isolated = new Set<number>();
  private readonly cuts = new Set<string>();
  private side: number[] | undefined;
  private drops: DropRule[] = [];
  private readonly rng: Rng;

  constructor(private readonly replicas: number, seed: number) {
    this.rng = mulberry32(seed);
  }

  /** False when it already was. */
  isolate(replica: number): boolean {
    if (this.isolated.has(replica)) return false;
    this.isolated.add(replica);
    return true;
  }

  isIsolated(replica: number): boolean {
    return this.isolated.has(replica);
  }

  /** Messages pass only within a set; replicas named in no set are alone. */
  partition(sets: number[][]): void {
    const side = Array.from({ length: this.replicas }, (_, i) => -1 - i);
    sets.forEach((set, n) => set.forEach((r) => (side[r] = n)));
    this.side = side;
  }

  cut(a: number, b: number): void {
    this.cuts.add(linkKey(a, b));
  }

  drop(rule: DropRule): void {
    this.drops.push(rule);
  }

  /** Clears everything; returns the replicas that were isolated. */
  heal(): number[] {
    const back = [...this.isolated];
    this.isolated.clear();
    this.cuts.clear();
    this.side = undefined;
    this.drops = [];
    return back;
  }

  connected(from: number, to: number): boolean {
    if (this.isolated.has(from) || this.isolated.has(to)) return false;
    if (this.cuts.has(linkKey(from, to))) return false;
    return !this.side || this.side[from] === this.side[to];
  }

  /** Whether a drop rule loses this message (draws from the seeded random for each matching rule below 1). */
  dropped(from: number, to: number, api: string): boolean {
    for (const rule of this.drops) {
      if (rule.from !== undefined && rule.from !== from) continue;
      if (rule.to !== undefined && rule.to !== to) continue;
      if (rule.api !== undefined && rule.api !== api) continue;
      if (rule.p >= 1 || this.rng.next() < rule.p) return true;
    }
    return false;
  }
}

function linkKey(a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}
