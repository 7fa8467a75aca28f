// Decoders for the control-plane requests a NameServer receives.

import { Perm, Role, type BrokerRegistration, type TopicConfig, type UnregisterRequest, type RouteRequest } from "./types.js";
import { array, int, name, object, oneOf, str, type Json } from "./validate.js";

const PERMS = Object.values(Perm);
const ROLES = Object.values(Role);
/** RocketMQ caps queues per topic per broker far below this; it guards memory. */
export const MAX_QUEUES = 1024;

export function decodeTopicConfig(v: unknown): TopicConfig {
  const o = object(v, "topic config");
  return {
    topic: name(o, "topic"),
    readQueues: int(o, "readQueues", 0, MAX_QUEUES),
    writeQueues: int(o, "writeQueues", 0, MAX_QUEUES),
    perm: oneOf(o, "perm", PERMS),
  };
}

export function decodeRegistration(o: Json): BrokerRegistration {
  return {
    cluster: name(o, "cluster"),
    group: name(o, "group"),
    replica: int(o, "replica", 0, 1000),
    role: oneOf(o, "role", ROLES),
    term: int(o, "term"),
    address: str(o, "address"),
    heartbeatIntervalMs: int(o, "heartbeatIntervalMs", 1),
    topics: array(o, "topics").map(decodeTopicConfig),
    startedAt: int(o, "startedAt"),
  };
}

export function decodeUnregister(o: Json): UnregisterRequest {
  return { group: name(o, "group"), replica: int(o, "replica", 0, 1000) };
}

export function decodeRouteRequest(o: Json): RouteRequest {
  return { topic: name(o, "topic") };
}

/** On rbus.ns.hello: a NameServer that (re)joined the bus asks every broker to register again. */
export interface NameServerHello {
  nameServer: string;
  at: number;
}
