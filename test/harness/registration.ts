// A broker registration as a master of `group` would send it, for tests
// that talk to NameServers without running a broker.
import { subjects, type BrokerRegistration, type TopicConfig } from "../../src/protocol/index.js";

export function registration(group: string, topics: TopicConfig[], heartbeatIntervalMs = 1000): BrokerRegistration {
  return {
    cluster: "c",
    group,
    replica: 0,
    role: "master",
    term: 0,
    address: subjects().brokerBase(group, 0),
    heartbeatIntervalMs,
    topics,
    startedAt: 1,
  };
}

export const fourQueues = (topic: string): TopicConfig[] => [{ topic, readQueues: 4, writeQueues: 4, perm: "rw" }];
