// The commands that move and watch messages: send, consume, sub, req,
// events, inspect. Each module is imported only when its command runs.
import type { Command } from "commander";
import { collect, deprecatedFlag, examples, natsFlags } from "./options.js";

export function messageCommands(program: Command): void {
  program.commandsGroup("Messages, subjects, events and machines:");
  const send = program.command("send").description("send a message (or --count copies of it) and print the result")
    .argument("<body>", "message body, or - to read it from stdin")
    .option("--topic <t>", "topic (required; created on first send unless brokers run --no-auto-create-topic)")
    .option("--tag <tag>", "the message's tag, for consumers' --tags")
    .option("--key <key>", "a key to look it up by (repeat for more)", collect)
    .option("--property <k=v>", "a user property (repeat for more)", collect)
    .option("--queue <id>", "queue id to send to (default: round robin)")
    .option("--broker-group <g>", "broker group to send to (default: any whose master is alive)")
    .option("--delay <level|duration>", "deliver later: a delay level (1–18, the broker's levels) or a duration (500ms, 30s, 5m)")
    .option("--deliver-at <time>", "deliver at this time (2026-01-31T12:00:00Z, or ms since the epoch), at most the broker's horizon ahead")
    .option("--count <n>", "send this many copies as fast as allowed, then print a summary")
    .option("--timeout <ms>", "how long one send may take, retries included", "3000");
  deprecatedFlag(send, "--group <g>", "--broker-group");
  natsFlags(send).action(async (body, o) => (await import("./send.js")).sendCommand(body, o));
  examples(send, "rbus send --topic orders 'hello'", "rbus send --topic orders --tag created --key order-17 --property region=eu '{\"id\":17}'",
    "rbus send --topic orders --count 100000 x", "rbus send --topic orders --delay 3 'in 10 s'", "rbus send --topic orders --deliver-at 2026-12-24T18:00:00Z 'at six'", "echo hello | rbus send --topic orders -");

  const consume = program.command("consume").description("print a topic's messages as a consumer group member, one JSON line each")
    .option("--topic <t>", "topic (required)")
    .option("--group <g>", "consumer group (required)")
    .option("--tags <expr>", "subscription expression: * or tagA || tagB", "*")
    .option("--count <n>", "stop after this many messages, committing exactly those (default: run until Ctrl-C)")
    .option("--from <where>", "where a group with no committed offset starts: first, last or a time in ms since the epoch", "last")
    .option("--broadcast", "every member gets every message (default: the group shares the queues)")
    .option("--orderly", "orderly: a queue is printed only while this member holds its lock on the broker (RocketMQ's MessageListenerOrderly)")
    .option("--client-id <name>", "this member's id in logs, rbus progress and inspection (default: <host>-<pid>-<suffix>)")
    .option("--timeout <ms>", "fail if the topic has no route (or no NameServer answers) within this long", "5000");
  natsFlags(consume).action(async (o) => (await import("./consume.js")).consumeCommand(o));
  examples(consume, "rbus consume --topic orders --group billing --from first --count 10",
    "rbus consume --topic orders --group audit --tags 'created || paid' --client-id audit-1", "rbus consume --topic orders --group ledger --orderly");

  const sub = program.command("sub").description("print what is published on a NATS subject (wildcards * and > allowed)")
    .argument("<subject>", "subject, e.g. rbus.events.>")
    .option("--count <n>", "exit after this many messages")
    .option("--raw", "print payloads as they are, one a line (default: subject, time and pretty JSON)")
    .option("--headers", "print each message's headers too");
  natsFlags(sub).action(async (subject, o) => (await import("./sub.js")).subCommand(subject, o));
  examples(sub, "rbus sub 'rbus.events.>'", "rbus sub 'rbus.inspect.broker-a-0' --count 5 --raw");

  const req = program.command("req").description("send a request on a NATS subject and print the reply (or replies)")
    .argument("<subject>", "subject, e.g. rbus.ns.cluster")
    .argument("[payload]", "request body, or - for stdin", "")
    .option("-H, --header <k:v>", "a header (repeat for more)", collect)
    .option("--timeout <ms>", "how long to wait for a reply", "3000")
    .option("--replies <n>", "wait for this many replies (0: every reply until --timeout)", "1")
    .option("--raw", "print replies as they are (default: pretty JSON when they are JSON)");
  natsFlags(req).action(async (subject, payload, o) => (await import("./req.js")).reqCommand(subject, payload, o));
  examples(req, "rbus req rbus.ns.cluster '{}'", "rbus req 'rbus.machines.broker-a-0' '{}' --raw",
    "rbus req '$SRV.PING' '' --replies 0 --timeout 500");

  const events = program.command("events").description("print the cluster's events (liveness, roles, store, consumers) from the history stream")
    .option("--follow", "keep printing new events as they come")
    .option("--since <when>", "from this time (ISO 8601 or ms since the epoch) or this long ago (90s, 15m, 2h, 1d)", "1h")
    .option("--kind <kind>", "only this kind: liveness, role, store, consumers or reset")
    .option("--json", "one JSON object a line");
  natsFlags(events).action(async (o) => (await import("./events.js")).eventsCommand(o));
  examples(events, "rbus events --since 15m", "rbus events --follow --kind role", "rbus events --since 2026-01-31T12:00:00Z --json");

  const inspect = program.command("inspect").description("print every node's state machines as they are, then each change, live")
    .option("--node <id>", "one node: ns-1, broker-a-0 (or run-cluster's broker-a.0), or a client id")
    .option("--json", "one InspectEvent a line")
    .option("--refresh", "also print clients' periodic repeats of their state")
    .option("--verbose", "show XState's own event names (xstate.init, xstate.after.…) as they are")
    .option("--stately", "instead relay RBUS_INSPECT=stately processes to Stately's inspector page")
    .option("--port <n>", "the relay's port, with --stately", "8080");
  natsFlags(inspect).action(async (o) => (await import("./inspect.js")).inspectCommand(o));
  examples(inspect, "rbus inspect", "rbus inspect --node broker-a.0", "rbus inspect --json | jq -c 'select(.machine == \"role\")'", "rbus inspect --stately --port 8080");
}
