// The scale-curves section of docs/BENCHMARKS.md: one axis of the load
// grown at a time from a 100 B, 4-queue, 1-topic, 1-producer baseline, each
// point against the first point of its axis, so that a reader sees where
// the cost stops growing in step with the work.

/** One cell of the grid: what one point of one axis did. */
export interface ScaleCell {
  /** "message size", "queues", "topics", "producers", "consumers in a group". */
  axis: string;
  /** The point on the axis, as a reader says it: "16 KiB", "8192", … */
  point: string;
  /** Messages sent in the throughput run. */
  messages: number;
  /** msgs/s: acknowledged sendAsync, or (consumers) delivered to the group's listeners. */
  throughput: number;
  /** Bodies carried per second, MiB/s. */
  mibPerSecond: number;
  /** ms: a send with one in flight per producer, or (consumers) send → listener with one in flight. */
  p99: number;
  p50: number;
}

export interface ScaleSection {
  cells: ScaleCell[];
  /** How each axis was laid out, one line each. */
  notes: string[];
}

const num = (v: number, digits = 3) => (Number.isNaN(v) ? "–" : v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(v >= 10 ? 1 : digits));
const times = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : "–");

export function scaleMarkdown(s: ScaleSection): string[] {
  const lines = [
    "",
    "## Scale curves",
    "",
    "One axis at a time grows from the baseline (100 B bodies, one topic of 4 queues, one producer, no consumer) against a",
    "fresh nats-server, NameServer and broker, each its own process; every producer and consumer runs in the benchmark's",
    "process, each on its own NATS connection. A cell sends a fixed amount of work with sendAsync as fast as backpressure",
    "allows (throughput), then times sends one in flight per producer (p50, p99). The ÷ columns compare a cell with the",
    "first point of its axis: a throughput ratio that falls, or a latency ratio that rises, faster than the axis grows is",
    "where the cost bends.",
    "",
    "| axis | point | messages | throughput (msgs/s) | ÷ first | bodies (MiB/s) | p50 (ms) | p99 (ms) | ÷ first |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const first = new Map<string, ScaleCell>();
  for (const c of s.cells) {
    const base = first.get(c.axis) ?? (first.set(c.axis, c), c);
    lines.push(
      `| ${c.axis} | ${c.point} | ${c.messages.toLocaleString("en-US")} | ${Math.round(c.throughput).toLocaleString("en-US")} | ${times(c.throughput / base.throughput)} | ` +
        `${num(c.mibPerSecond, 1)} | ${num(c.p50)} | ${num(c.p99)} | ${times(c.p99 / base.p99)} |`,
    );
  }
  if (s.notes.length) lines.push("", ...s.notes.map((n) => `- ${n}`));
  return lines;
}
