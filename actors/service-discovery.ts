// A node as a NATS micro service (ADR-32): answers $SRV.PING, $SRV.INFO and
// $SRV.STATS (bare, with its service name, and with name and id), so
// `nats micro ls` lists every NameServer and replica. The endpoints it
// lists are the subjects the node already serves; their counters are fed
// by those subscriptions (EndpointStats), not by re-serving them here.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  MicroType,
  ServiceVerb,
  srvSubjects,
  type MicroIdentity,
  type MicroInfo,
  type MicroPing,
  type MicroStats,
  type ServiceName,
} from "../src/protocol/index.js";
import type { Logger } from "../src/runtime/log.js";
import { VERSION } from "../src/runtime/version.js";
import type { EndpointStats } from "./endpoint-stats.js";
import { serve } from "./responder.js";

export interface ServiceDiscoveryOptions {
  name: ServiceName;
  /** The node's name (`ns-1`, `<g>-<r>`): unique in a cluster, and what its NATS user is called. */
  id: string;
  description: string;
  /** Read at each answer: a replica's role and term change while it runs. */
  metadata: () => Record<string, string>;
  endpoints: readonly EndpointStats[];
  /** Epoch milliseconds. */
  startedAt: number;
  log: Logger;
}

/** The nine subjects a service answers on: each verb bare, with its name, with its name and id. */
export function discoverySubjects(name: ServiceName, id: string): Array<[ServiceVerb, string]> {
  return Object.values(ServiceVerb).flatMap((verb): Array<[ServiceVerb, string]> => [
    [verb, srvSubjects.all(verb)],
    [verb, srvSubjects.named(verb, name)],
    [verb, srvSubjects.instance(verb, name, id)],
  ]);
}

export function serveDiscovery(nc: NatsConnection, opts: ServiceDiscoveryOptions): Subscription[] {
  const { name, id, endpoints, log } = opts;
  const started = new Date(opts.startedAt).toISOString();
  const identity = (): MicroIdentity => ({ name, id, version: VERSION, metadata: opts.metadata() });
  const answer: Record<ServiceVerb, () => MicroPing | MicroInfo | MicroStats> = {
    [ServiceVerb.ping]: () => ({ type: MicroType.ping, ...identity() }),
    [ServiceVerb.info]: () => ({
      type: MicroType.info,
      ...identity(),
      description: opts.description,
      endpoints: endpoints.map((e) => e.info()),
    }),
    [ServiceVerb.stats]: () => ({ type: MicroType.stats, ...identity(), started, endpoints: endpoints.map((e) => e.stats()) }),
  };
  // The request's payload means nothing here (`nats micro` sends none): it is not read.
  return discoverySubjects(name, id).map(([verb, subject]) => serve(nc, subject, answer[verb], { log }));
}
