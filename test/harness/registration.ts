// A broker registration as a master of `group` would send it, for tests
// that talk to NameServers without running a broker, and `registerFake`,
// which also answers the NameServers' identity check for it the way the
// replica itself would.
import type { NatsConnection } from "@nats-io/transport-node";
import { encodeJson, subjects, type RegisterAck, type RegistrationRequest, type RbusError, type TopicConfig } from "../../src/protocol/index.js";
import { sessionFingerprint, sessionHash } from "../../src/protocol/session.js";
import { requestAll } from "../../src/runtime/request.js";

/** A fixed session per replica, so that a test's registrations of one replica are one process. */
export const testSession = (group: string, replica = 0) => sessionHash(`test ${group} ${replica}`).slice(0, 32);

export function registration(group: string, topics: TopicConfig[], heartbeatIntervalMs = 1000, replica = 0): RegistrationRequest {
  return {
    cluster: "c",
    group,
    replica,
    role: "master",
    term: 0,
    address: subjects().brokerBase(group, replica),
    heartbeatIntervalMs,
    topics,
    startedAt: 1,
    session: testSession(group, replica),
  };
}

export const fourQueues = (topic: string): TopicConfig[] => [{ topic, readQueues: 4, writeQueues: 4, perm: "rw" }];

const answering = new WeakMap<NatsConnection, Set<string>>();

/** Answers `<address>.identity` for `reg`'s session from now on (once per connection and address). */
export async function answerIdentity(nc: NatsConnection, reg: RegistrationRequest): Promise<void> {
  let set = answering.get(nc);
  if (!set) answering.set(nc, (set = new Set()));
  const key = `${reg.address} ${reg.session}`;
  if (set.has(key)) return;
  set.add(key);
  const identity = { group: reg.group, replica: reg.replica, fingerprint: sessionFingerprint(reg.session), startedAt: reg.startedAt };
  nc.subscribe(subjects().brokerApi(reg.address, "identity"), {
    callback: (err, m) => {
      if (!err) m.respond(encodeJson(identity)); // err: NATS refused the subscription
    },
  });
  await nc.flush();
}

/** Registers `reg` as its replica would: answering the identity check, then one request every NameServer answers. */
export async function registerFake(nc: NatsConnection, reg: RegistrationRequest): Promise<Array<RegisterAck | RbusError>> {
  await answerIdentity(nc, reg);
  return requestAll<RegisterAck>(nc, subjects().ns.register, reg);
}
