// rbus dlq: a consumer group's dead-letter queue. Each module is imported
// only when its command runs.
import type { Command } from "commander";
import { required } from "./args.js";
import { examples, natsFlags, withJson } from "./options.js";

export function dlqCommands(program: Command): void {
  const dlq = program.command("dlq").description("a consumer group's dead letters: messages past their retries (%DLQ%<group>)");
  const list = withJson(dlq.command("list").description("per broker group: how many dead letters, how many not resent, the oldest and newest")
    .option("--group <g>", "consumer group (required)"));
  natsFlags(list).action(async (o) => (await import("./dlq.js")).dlqListCommand({ ...o, group: required(o.group, "group") }));
  examples(list, "rbus dlq list --group billing");

  const show = withJson(dlq.command("show").description("print the dead letters not resent yet, with origin topic, id and attempts")
    .option("--group <g>", "consumer group (required)")
    .option("--all", "also the ones resent already")
    .option("--count <n>", "at most this many per broker group", "100"));
  natsFlags(show).action(async (o) => (await import("./dlq.js")).dlqShowCommand({ ...o, group: required(o.group, "group") }));
  examples(show, "rbus dlq show --group billing", "rbus dlq show --group billing --all --json");

  const resend = withJson(dlq.command("resend").description("put dead letters back into their original topic, once each")
    .option("--group <g>", "consumer group (required)")
    .option("--msg-id <id>", "only this message (its DLQ id or its origin id)"));
  natsFlags(resend).action(async (o) => (await import("./dlq-resend.js")).dlqResendCommand({ ...o, group: required(o.group, "group") }));
  examples(resend, "rbus dlq resend --group billing", "rbus dlq resend --group billing --msg-id broker-a:00000000000a3f10");
}
