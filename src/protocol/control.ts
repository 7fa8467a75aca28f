// Decoders for the control-plane requests a NameServer receives.

import { BadRequestError } from "./errors.js";
import { isSession } from "./session.js";
import {
  Perm,
  Role,
  type BrokerIdentity,
  type BrokerRegistration,
  type FollowerStatus,
  type RegistrationRequest,
  type RouteRequest,
  type TopicConfig,
  type UnregisterRequest,
} from "./types.js";
import { array, int, name, object, topicName, oneOf, optInt, str, type Json } from "./validate.js";

const PERMS = Object.values(Perm);
const ROLES = Object.values(Role);
/** RocketMQ caps queues per topic per broker far below this; it guards memory. */
export const MAX_QUEUES = 1024;
/** Replica ids run 0..MAX_REPLICA; a group has at most MAX_REPLICA + 1 replicas. */
export const MAX_REPLICA = 1000;

export function decodeTopicConfig(v: unknown): TopicConfig {
  const o = object(v, "topic config");
  return {
    topic: topicName(o, "topic"),
    readQueues: int(o, "readQueues", 0, MAX_QUEUES),
    writeQueues: int(o, "writeQueues", 0, MAX_QUEUES),
    perm: oneOf(o, "perm", PERMS),
  };
}

function decodeFollower(v: unknown): FollowerStatus {
  const o = object(v, "a follower");
  return {
    replica: int(o, "replica", 0, MAX_REPLICA),
    end: int(o, "end"),
    lagBytes: int(o, "lagBytes"),
    lastFetchAgoMs: int(o, "lastFetchAgoMs", -1),
  };
}

/** A registration; the replication fields are optional, so a replica from before replication still registers. */
export function decodeRegistration(o: Json): BrokerRegistration {
  const reg: BrokerRegistration = {
    cluster: name(o, "cluster"),
    group: name(o, "group"),
    replica: int(o, "replica", 0, MAX_REPLICA),
    role: oneOf(o, "role", ROLES),
    term: int(o, "term"),
    address: str(o, "address"),
    heartbeatIntervalMs: int(o, "heartbeatIntervalMs", 1),
    topics: array(o, "topics").map(decodeTopicConfig),
    startedAt: int(o, "startedAt"),
  };
  const replicas = optInt(o, "replicas", 1, MAX_REPLICA + 1);
  if (replicas !== undefined) reg.replicas = replicas;
  const commitOffset = optInt(o, "commitOffset");
  if (commitOffset !== undefined) reg.commitOffset = commitOffset;
  const end = optInt(o, "end");
  if (end !== undefined) reg.end = end;
  const masterReplica = optInt(o, "masterReplica", -1, MAX_REPLICA);
  if (masterReplica !== undefined) reg.masterReplica = masterReplica;
  if (o.followers !== undefined) {
    const followers = array(o, "followers");
    if (followers.length > (replicas ?? MAX_REPLICA + 1)) {
      throw new BadRequestError(`"followers" lists ${followers.length} replicas, more than the group's ${replicas ?? MAX_REPLICA + 1}`);
    }
    reg.followers = followers.map(decodeFollower);
  }
  return reg;
}

/** Pages one registration may be split into (each under max_payload). */
export const MAX_REGISTRATION_PAGES = 1000;

function session(o: Json): string {
  if (!isSession(o.session)) throw new BadRequestError('"session" must be the replica\'s session: 32 to 128 lowercase hex characters');
  return o.session;
}

/** A registration with its session, and its page of the topic table when split. */
export function decodeRegistrationRequest(o: Json): RegistrationRequest {
  const req: RegistrationRequest = { ...decodeRegistration(o), session: session(o) };
  const seq = optInt(o, "seq");
  const pages = optInt(o, "pages", 1, MAX_REGISTRATION_PAGES);
  const page = optInt(o, "page", 0, (pages ?? 1) - 1);
  if (seq !== undefined) req.seq = seq;
  if (pages !== undefined && pages > 1) {
    if (seq === undefined) throw new BadRequestError('a registration in pages must carry "seq"');
    req.pages = pages;
    req.page = page ?? 0;
  }
  return req;
}

export function decodeUnregister(o: Json): UnregisterRequest {
  return { group: name(o, "group"), replica: int(o, "replica", 0, MAX_REPLICA), session: session(o) };
}

/** A replica's answer on `identity`; throws for anything else. */
export function decodeIdentity(o: Json): BrokerIdentity {
  const fingerprint = str(o, "fingerprint");
  if (!/^[0-9a-f]{16}$/.test(fingerprint)) throw new BadRequestError('"fingerprint" must be 16 lowercase hex characters');
  return { group: name(o, "group"), replica: int(o, "replica", 0, MAX_REPLICA), fingerprint, startedAt: int(o, "startedAt") };
}

export function decodeRouteRequest(o: Json): RouteRequest {
  return { topic: topicName(o, "topic") };
}

/** On rbus.ns.hello: a NameServer that (re)joined the bus asks every broker to register again. */
export interface NameServerHello {
  nameServer: string;
  at: number;
}
