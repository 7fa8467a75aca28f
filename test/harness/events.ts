// Collects liveness events from rbus.events.liveness.> for assertions.
import type { NatsConnection } from "@nats-io/transport-node";
import { subjects, type LivenessEvent } from "../../src/protocol/index.js";
import { silentLogger } from "../../src/runtime/log.js";
import { subscribeJson } from "../../src/runtime/subscribe.js";

export interface LivenessLog {
  events: LivenessEvent[];
  /** "ns-1 broker-a.0 alive->suspect" lines, in arrival order. */
  lines(filter?: (e: LivenessEvent) => boolean): string[];
  has(nameServer: string, broker: string, transition: string): boolean;
}

export function collectLiveness(nc: NatsConnection, prefix?: string): LivenessLog {
  const events: LivenessEvent[] = [];
  const subj = subjects(prefix);
  subscribeJson<LivenessEvent>(nc, subj.events.kind("liveness"), (e) => void events.push(e), { log: silentLogger });
  const line = (e: LivenessEvent) => `${e.nameServer} ${e.group}.${e.replica} ${e.from}->${e.to}`;
  return {
    events,
    lines: (filter = () => true) => events.filter(filter).map(line),
    has: (ns, broker, transition) => events.some((e) => line(e) === `${ns} ${broker} ${transition}`),
  };
}
