// Splits a registration whose topic table does not fit one NATS message
// into pages: every page carries every field of the registration and a
// slice of the topics, numbered by one `seq`; NameServers apply the
// registration once they hold every page of it. Pure: sizes are JSON
// bytes, the budget comes from the caller (the connection's max_payload).
import type { RegistrationRequest, TopicConfig } from "../src/protocol/types.js";

export type Paged =
  | { type: "pages"; pages: RegistrationRequest[] }
  /** Even one page cannot fit: the fields alone, or one topic, exceed the budget. */
  | { type: "too-large"; bytes: number; budget: number };

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

export function pageRegistration(req: RegistrationRequest, budget: number): Paged {
  const whole = bytes(req);
  if (whole <= budget) return { type: "pages", pages: [req] };
  // Room for the page fields (seq, page, pages: a few dozen bytes at most).
  const base = bytes({ ...req, topics: [], seq: req.seq ?? 0, page: 999, pages: 999 });
  const room = budget - base;
  const slices: TopicConfig[][] = [];
  let slice: TopicConfig[] = [];
  let used = 0;
  for (const t of req.topics) {
    const size = bytes(t) + 1;
    if (size > room) return { type: "too-large", bytes: base + size, budget };
    if (used + size > room) {
      slices.push(slice);
      slice = [];
      used = 0;
    }
    slice.push(t);
    used += size;
  }
  slices.push(slice);
  if (room <= 0) return { type: "too-large", bytes: base, budget };
  return { type: "pages", pages: slices.map((topics, page) => ({ ...req, topics, page, pages: slices.length })) };
}

interface Pending {
  seq: number;
  parts: Array<TopicConfig[] | undefined>;
  got: number;
}

/**
 * Collects the pages of each replica's registration; a page of a newer
 * `seq` drops the pages of an older one. Holds at most one registration in
 * pages per replica.
 */
export class PageCollector {
  private readonly pending = new Map<string, Pending>();

  /** Every topic of the registration once all its pages are in; undefined until then. */
  add(key: string, req: RegistrationRequest): TopicConfig[] | undefined {
    const pages = req.pages ?? 1;
    if (pages === 1) {
      this.pending.delete(key);
      return req.topics;
    }
    let p = this.pending.get(key);
    if (!p || p.seq !== req.seq || p.parts.length !== pages) {
      p = { seq: req.seq ?? 0, parts: new Array(pages), got: 0 };
      this.pending.set(key, p);
    }
    const page = req.page ?? 0;
    if (p.parts[page] === undefined) p.got++;
    p.parts[page] = req.topics;
    if (p.got < pages) return undefined;
    this.pending.delete(key);
    return p.parts.flatMap((t) => t ?? []);
  }

  /** Whether the pages of registration `seq` are being collected (its first page came). */
  holds(key: string, seq: number | undefined): boolean {
    return this.pending.get(key)?.seq === seq;
  }

  forget(key: string): void {
    this.pending.delete(key);
  }
}
