// What the fake network records, and how a transcript prints it.

export interface NetEvent {
  /** Simulated ms since the run began. */
  at: number;
  kind: "deliver" | "reply" | "drop" | "timeout" | "no-responders" | "late" | "fault";
  /** -1 for faults, which concern the network as a whole. */
  from: number;
  to: number;
  api: string;
  what: string;
}

/** One line: `   41ms  net 1->0 ha.fetch deliver {"offset":0,...}`. */
export function formatNetEvent(e: NetEvent): string {
  const where = e.kind === "fault" ? "net" : `net ${e.from}->${e.to} ${e.api}`;
  return `${String(e.at).padStart(7)}ms  ${where} ${e.kind} ${e.what}`.trimEnd();
}

/**
 * A short, readable summary of a message: JSON requests as they are, a
 * fetch reply frame (u32 BE header length + JSON head + raw log bytes) as
 * its head plus the byte count, anything else as its size.
 */
export function describePayload(data: Uint8Array): string {
  if (data.length === 0) return "(empty)";
  if (data[0] === 0x7b) return shorten(new TextDecoder().decode(data));
  if (data.length >= 4) {
    const n = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
    if (n > 0 && 4 + n <= data.length && data[4] === 0x7b) {
      const head = shorten(new TextDecoder().decode(data.subarray(4, 4 + n)));
      const rest = data.length - 4 - n;
      return rest > 0 ? `${head} +${rest}B` : head;
    }
  }
  return `${data.length}B`;
}

function shorten(s: string, max = 200): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

/** Hides fetches that went through, and repeats of the same failure on one link (a slave asking a dead master every 50 ms). */
export function quietNet(): (e: NetEvent) => boolean {
  const last = new Map<string, string>();
  return (e) => {
    if (e.kind === "fault") return true;
    const link = `${e.from}->${e.to} ${e.api}`;
    const was = last.get(link);
    last.set(link, e.kind);
    if (e.kind === "deliver" || e.kind === "reply") return e.api === "vote";
    return was !== e.kind;
  };
}
