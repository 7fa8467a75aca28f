// A broker replica. This part: it registers with every NameServer on start
// and on every heartbeat, carrying its topic table, and unregisters on a
// clean stop. Storage and the message APIs live beside it.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { subjects, parseObject, type BrokerRegistration, type Role, type TopicConfig } from "../src/protocol/index.js";
import { silentLogger, type Logger } from "../src/runtime/log.js";
import { startRegistration, stopRegistration, type RegistrationActor } from "./broker-registration.js";
import { serve } from "./responder.js";

/** RocketMQ's template topic: a broker that auto-creates topics registers it. */
export const AUTO_CREATE_TOPIC = "TBW102";
export const DEFAULT_QUEUES = 4;

export interface BrokerOptions {
  nc: NatsConnection;
  cluster?: string;
  group: string;
  replica: number;
  dataDir: string;
  prefix?: string;
  heartbeatIntervalMs?: number;
  autoCreateTopic?: boolean;
  log?: Logger;
}

export interface BrokerHandle {
  group: string;
  replica: number;
  registration: RegistrationActor;
  stop(): Promise<void>;
}

export async function startBroker(opts: BrokerOptions): Promise<BrokerHandle> {
  const { nc, group, replica } = opts;
  const subj = subjects(opts.prefix);
  const node = `${group}.${replica}`;
  const log = (opts.log ?? silentLogger).child({ node });
  const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 30_000;
  const startedAt = Date.now();
  const role: Role = replica === 0 ? "master" : "slave";
  const topics: TopicConfig[] = [];
  if (opts.autoCreateTopic ?? true) {
    topics.push({ topic: AUTO_CREATE_TOPIC, readQueues: DEFAULT_QUEUES, writeQueues: DEFAULT_QUEUES, perm: "rw" });
  }

  const registration = (): BrokerRegistration => ({
    cluster: opts.cluster ?? "DefaultCluster",
    group,
    replica,
    role,
    term: 0,
    address: subj.brokerBase(group, replica),
    heartbeatIntervalMs,
    topics,
    startedAt,
  });

  const subs: Subscription[] = [
    serve(
      nc,
      subj.broker(group, replica, "status"),
      (msg) => {
        parseObject(msg.data);
        const reg = registrationActor.getSnapshot();
        return { ...registration(), registration: reg.value, nameServers: reg.context.answered };
      },
      { log },
    ),
  ];
  const registrationActor = startRegistration({ nc, prefix: opts.prefix, heartbeatIntervalMs, registration, log });
  log.info("broker started", { role, dataDir: opts.dataDir });

  return {
    group,
    replica,
    registration: registrationActor,
    async stop() {
      await stopRegistration(registrationActor);
      for (const s of subs) s.unsubscribe();
      log.info("broker stopped");
    },
  };
}
