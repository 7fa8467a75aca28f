// (g) replicated groups: the produce load of (a) and the send latency of
// (b), 100 B, against 1 replica, 3 replicas at ack=quorum and at
// ack=leader, and JetStream R3 on a 3-node NATS cluster, one after the
// other in the same run (each on its own fresh processes, so that one
// configuration's backlog or CPU does not weigh on the next).
import { Admin } from "../../src/client/admin.js";
import type { Producer } from "../../src/client/producer.js";
import { progress } from "../lib/progress.js";
import { cpuMeter, totalMs } from "../lib/replicated-cpu.js";
import { startBenchGroup, type GroupConfig } from "../lib/replicated-group.js";
import { replicatedRatios, type ReplicatedFigures, type ReplicatedSection } from "../lib/replicated-report.js";
import { sendAll, startProducer } from "../lib/rocketbus.js";
import { LatencyRecorder, rate, type Latency } from "../lib/stats.js";
import { publishLatency, publishRate } from "../peers/jetstream.js";
import { startJetStreamR3 } from "../peers/replicated-jetstream.js";
import type { Sizes } from "./sizes.js";

const TOPIC = "replicated";
/** Short enough that each group elects its first master quickly, long enough that a busy 2-core host keeps it. */
const ELECTION_TIMEOUT_MS = 1500;

/** CPU per message of the produce run, in µs, in all and by process. */
function perMessage(split: Record<string, number>, messages: number): Pick<ReplicatedFigures, "cpuUsPerMessage" | "cpuSplitUs"> {
  const us = (ms: number) => (ms * 1000) / messages;
  return { cpuUsPerMessage: us(totalMs(split)), cpuSplitUs: Object.fromEntries(Object.entries(split).map(([k, v]) => [k, us(v)])) };
}

async function sendLatencies(p: Producer, count: number, body: Uint8Array): Promise<Latency> {
  const rec = new LatencyRecorder(count);
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await p.send({ topic: TOPIC, body });
    rec.add(performance.now() - t0);
  }
  return rec.summary();
}

async function rocketbus(c: GroupConfig, sizes: Sizes): Promise<ReplicatedFigures> {
  progress(`(g) ${c.label}: starting ${c.replicas} replica${c.replicas > 1 ? "s" : ""}${c.replicas > 1 ? ` (ack=${c.ack})` : ""} and waiting for a master`);
  const group = await startBenchGroup(c);
  progress(`(g) ${c.label}: replica ${group.master} is master (pid ${group.masterPid()})`);
  try {
    await new Admin(group.nc).createTopic({ topic: TOPIC, queues: 4 });
    const producer = await startProducer(group.nc);
    const body = new Uint8Array(100).fill(97);
    const termBefore = await group.term();
    await sendAll(producer, TOPIC, Math.min(20_000, sizes.produce), () => body); // warm-up
    progress(`(g) ${c.label}: sendAsync × ${sizes.produce}`);
    const pids = group.replicaPids();
    const cpu = cpuMeter({
      master: [pids[group.master]!], slaves: pids.filter((_, i) => i !== group.master), "nats-server": [group.server.pid()],
    });
    const ms = await sendAll(producer, TOPIC, sizes.produce, () => body);
    const cpuSplit = cpu();
    await sendLatencies(producer, Math.min(1000, sizes.latencySamples), body); // warm-up
    progress(`(g) ${c.label}: send, 1 in flight × ${sizes.latencySamples}`);
    const lat = await sendLatencies(producer, sizes.latencySamples, body);
    await producer.close();
    const termAfter = await group.term();
    const figures: ReplicatedFigures = { throughput: rate(sizes.produce, ms), p50: lat.p50, p99: lat.p99, ...perMessage(cpuSplit, sizes.produce) };
    if (termAfter !== termBefore) figures.warning = `the group held an election during the run (term ${termBefore} → ${termAfter}): the figures include a failover`;
    return figures;
  } finally {
    await group.stop();
  }
}

async function jetstreamR3(sizes: Sizes): Promise<ReplicatedFigures> {
  progress("(g) JetStream R3: starting a 3-node NATS cluster and an R3 stream");
  const peer = await startJetStreamR3();
  try {
    const js = await peer.reset();
    await publishRate(js, { messages: Math.min(5_000, sizes.produceJetStream), size: 100, window: 1000 }); // warm-up
    progress(`(g) JetStream R3: async publish × ${sizes.produceJetStream}`);
    const cpu = cpuMeter({ "nats-servers": peer.cluster.nodes.map((n) => n.pid()) });
    const throughput = await publishRate(js, { messages: sizes.produceJetStream, size: 100, window: 1000 });
    const cpuSplit = cpu();
    await publishLatency(js, { count: Math.min(1000, sizes.latencySamples), size: 100 }); // warm-up
    progress(`(g) JetStream R3: publish, 1 in flight × ${sizes.latencySamples}`);
    const lat = await publishLatency(js, { count: sizes.latencySamples, size: 100 });
    return { throughput, p50: lat.p50, p99: lat.p99, ...perMessage(cpuSplit, sizes.produceJetStream) };
  } finally {
    await peer.stop();
  }
}

export const CONFIGS = ["r1", "r3-quorum", "r3-leader", "js-r3"] as const;
export type ConfigName = (typeof CONFIGS)[number];
const skipped: ReplicatedFigures = { throughput: NaN, p50: NaN, p99: NaN, warning: "not run" };

/** Every configuration, or only those named (the others report "not run"). */
export async function replicated(sizes: Sizes, only: readonly ConfigName[] = CONFIGS): Promise<ReplicatedSection> {
  const run = (name: ConfigName, replicas: number, ack: GroupConfig["ack"]) =>
    only.includes(name) ? rocketbus({ label: name, replicas, ack, electionTimeoutMs: ELECTION_TIMEOUT_MS }, sizes) : skipped;
  const oneReplica = await run("r1", 1, "quorum");
  const quorum = await run("r3-quorum", 3, "quorum");
  const leader = await run("r3-leader", 3, "leader");
  const jetstream = only.includes("js-r3") ? await jetstreamR3(sizes) : skipped;
  const figures = { oneReplica, quorum, leader, jetstreamR3: jetstream };
  return {
    messages: { rocketbus: sizes.produce, jetstream: sizes.produceJetStream, latencySamples: sizes.latencySamples },
    ...figures,
    ratios: replicatedRatios(figures),
  };
}
