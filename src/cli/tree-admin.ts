// The commands that look at and change a running cluster: cluster, topic,
// route, progress, failover, message, metrics. Each module is imported only
// when its command runs.
import type { Command } from "commander";
import { brokerGroupOf, collect, deprecatedFlag, examples, natsFlags, withJson } from "./options.js";

export function adminCommands(program: Command): void {
  program.commandsGroup("Look at and change a cluster:");
  const cluster = withJson(program.command("cluster").description("print NameServers and broker replicas: role, term, liveness, commit offset, lag"));
  natsFlags(cluster).action(async (o) => (await import("./cluster.js")).clusterCommand(o));
  examples(cluster, "rbus cluster", "rbus cluster --json | jq '.replicas[] | select(.role == \"master\")'");

  const topic = program.command("topic").description("create, list, update or delete topics, and see their queues");
  const create = topic.command("create").description("create a topic (or change its queues and permission) on broker groups' masters")
    .option("--topic <t>", "topic name (required)")
    .option("--queues <n>", "read and write queues on each broker group", "4")
    .option("--perm <p>", "rw, r (no sends), w (no pulls) or none", "rw")
    .option("--broker-group <g>", "a broker group to place it on (repeat for more; default: every group)", collect);
  deprecatedFlag(create, "--group <g>", "--broker-group", collect);
  natsFlags(create).action(async (o) => (await import("./topic.js")).topicCreateCommand({ ...o, brokerGroups: brokerGroupOf(o, "topic create") }));
  examples(create, "rbus topic create --topic orders --queues 8", "rbus topic create --topic audit --broker-group broker-a --perm r");
  const list = withJson(topic.command("list").description("print every topic of every broker group: queues and permission"));
  natsFlags(list).action(async (o) => (await import("./topic.js")).topicListCommand(o));
  examples(list, "rbus topic list", "rbus topic list --json");
  const status = withJson(topic.command("status").description("print each queue's min and max offset and last store time, per broker group")
    .argument("<topic>", "topic name"));
  natsFlags(status).action(async (t, o) => (await import("./topic-admin.js")).topicStatusCommand(t, o));
  examples(status, "rbus topic status orders");
  const update = withJson(topic.command("update").description("change a topic's queue counts or permission, keeping what is not given")
    .option("--topic <t>", "topic name (required)")
    .option("--queues <n>", "read and write queues at once")
    .option("--read-queues <n>", "read queues alone")
    .option("--write-queues <n>", "write queues alone")
    .option("--perm <p>", "rw, r (no sends), w (no pulls) or none")
    .option("--broker-group <g>", "only this broker group (repeat for more; default: every group)", collect));
  natsFlags(update).action(async (o) => (await import("./topic-admin.js")).topicUpdateCommand({ ...o, brokerGroups: o.brokerGroup }));
  examples(update, "rbus topic update --topic orders --queues 16", "rbus topic update --topic orders --perm r");
  const del = withJson(topic.command("delete").description("delete a topic: its config, queues and offsets (records stay until retention)")
    .option("--topic <t>", "topic name (required)")
    .option("--broker-group <g>", "only on this broker group (repeat for more; default: every group of its route)", collect));
  natsFlags(del).action(async (o) => (await import("./topic-admin.js")).topicDeleteCommand({ ...o, brokerGroups: o.brokerGroup }));
  examples(del, "rbus topic delete --topic t2");

  const route = withJson(program.command("route").description("print a topic's route: broker groups, queues, replicas").argument("<topic>", "topic name"));
  natsFlags(route).action(async (t, o) => (await import("./route.js")).routeCommand(t, o));
  examples(route, "rbus route orders");

  const progress = withJson(program.command("progress").description("print a consumer group's committed offsets, lag and owner per queue")
    .argument("<group>", "consumer group")
    .option("--topic <t>", "one topic it consumes (default: every topic it reads)"));
  natsFlags(progress).action(async (g, o) => (await import("./progress.js")).progressCommand(g, o));
  examples(progress, "rbus progress billing --topic orders", "rbus progress billing", "rbus progress billing --topic orders --json");

  const failover = withJson(program.command("failover").description("hand a broker group's mastership to another replica, losing no acknowledged send")
    .option("--broker-group <g>", "broker group (required)")
    .option("--to <replica>", "replica to hand over to (default: the master picks the most caught-up)")
    .option("--timeout <ms>", "how long to wait for the handover", "15000"));
  deprecatedFlag(failover, "--group <g>", "--broker-group");
  natsFlags(failover).action(async (o) => (await import("./failover.js")).failoverCommand(o));
  examples(failover, "rbus failover --broker-group broker-a", "rbus failover --broker-group broker-a --to 2");

  const message = program.command("message").description("look messages up by id, by topic and key, or by queue offset")
    .option("--id <msgId>", "message id, as send prints it")
    .option("--topic <t>", "topic, with --key or with --broker-group, --queue and --offset")
    .option("--key <key>", "message key (exact match)")
    .option("--broker-group <g>", "broker group of the queue, with --queue")
    .option("--queue <id>", "queue id in that broker group")
    .option("--offset <n>", "queue offset of the (first) message")
    .option("--count <n>", "this many messages from --offset on", "1");
  natsFlags(message).action(async (o) => (await import("./message.js")).messageCommand(o));
  examples(message, "rbus message --id broker-a:0000000000000000", "rbus message --topic orders --key order-17",
    "rbus message --topic orders --broker-group broker-a --queue 0 --offset 10 --count 5");

  // `metrics serve`'s flags are its own: the parent's flags come before "serve" only.
  const metrics = withJson(program.command("metrics").enablePositionalOptions().description("print every node's counters (or one node's)")
    .option("--node <id>", "one node, e.g. broker-a-0 or ns-1"));
  natsFlags(metrics).action(async (o) => (await import("./metrics.js")).metricsCommand(o));
  examples(metrics, "rbus metrics", "rbus metrics --node broker-a-0 --json", "rbus metrics serve --port 9464");
  const serve = metrics.command("serve").description("serve every node's counters for Prometheus on /metrics")
    .option("--port <n>", "TCP port", "9464")
    .option("--host <addr>", "address to listen on", "127.0.0.1");
  natsFlags(serve).action(async (o) => (await import("./metrics.js")).metricsServeCommand(o));
  examples(serve, "rbus metrics serve", "curl -s http://127.0.0.1:9464/metrics | grep rbus_");
}
