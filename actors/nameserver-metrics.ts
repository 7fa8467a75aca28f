// A NameServer's counters for rbus.metrics.<id>: registrations taken,
// liveness transitions (counted where the liveness event is published),
// with refusals (ns-refusals.ts) and request counts (endpoint-stats.ts)
// read from where they are already kept, and brokers per liveness read
// from the table when asked.
import type { Liveness } from "../src/protocol/types.js";
import type { LivenessTransition, NameServerMetrics } from "../src/protocol/metrics.js";
import type { EndpointStats } from "./endpoint-stats.js";

export class NameServerCounters {
  registrations = 0;
  /** "from>to" → its count: a handful of keys (the liveness machine's edges). */
  private readonly transitions = new Map<string, LivenessTransition>();

  transition(from: string, to: string): void {
    const key = `${from}>${to}`;
    const t = this.transitions.get(key);
    if (t) t.count++;
    else this.transitions.set(key, { from, to, count: 1 });
  }

  transitionList(): LivenessTransition[] {
    return [...this.transitions.values()].map((t) => ({ ...t }));
  }
}

export interface NameServerMetricsSource {
  id: string;
  startedAt: number;
  counters: NameServerCounters;
  refusals: { forbidden: number; limited: number };
  liveness: Iterable<{ liveness: Liveness }>;
  endpoints: readonly EndpointStats[];
}

export function nameServerMetrics(s: NameServerMetricsSource): NameServerMetrics {
  const brokers = { alive: 0, suspect: 0, dead: 0 };
  for (const b of s.liveness) if (b.liveness in brokers) brokers[b.liveness as keyof typeof brokers]++;
  return {
    kind: "nameserver",
    node: s.id,
    at: Date.now(),
    startedAt: s.startedAt,
    registrations: s.counters.registrations,
    refusals: { ...s.refusals },
    brokers,
    livenessTransitions: s.counters.transitionList(),
    endpoints: s.endpoints.map((e) => e.stats()),
  };
}
