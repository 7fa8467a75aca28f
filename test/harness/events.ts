// Collects liveness events from rbus.events.liveness.> for assertions.
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeJson, subjects, type LivenessEvent } from "../../src/protocol/index.js";

export interface LivenessLog {
  events: LivenessEvent[];
  /** "ns-1 broker-a.0 alive->suspect" lines, in arrival order. */
  lines(filter?: (e: LivenessEvent) => boolean): string[];
  has(nameServer: string, broker: string, transition: string): boolean;
}

export function collectLiveness(nc: NatsConnection, prefix?: string): LivenessLog {
  const events: LivenessEvent[] = [];
  const subj = subjects(prefix);
  nc.subscribe(subj.events.kind("liveness"), { callback: (_, m) => void events.push(decodeJson(m.data) as LivenessEvent) });
  const line = (e: LivenessEvent) => `${e.nameServer} ${e.group}.${e.replica} ${e.from}->${e.to}`;
  return {
    events,
    lines: (filter = () => true) => events.filter(filter).map(line),
    has: (ns, broker, transition) => events.some((e) => line(e) === `${ns} ${broker} ${transition}`),
  };
}
