// rbus group: a consumer group's members, offsets and settings. Each module
// is imported only when its command runs.
import { Option, type Command } from "commander";
import { required } from "./args.js";
import { collect, examples, natsFlags, withJson } from "./options.js";

const RESET = "move a group's offsets on a topic to a time, or to first or last; its live members read from there at once";

function resetFlags(cmd: Command): Command {
  return cmd
    .option("--topic <t>", "topic (required)")
    .option("--to <where>", "first, last, a time (ISO 8601 or ms since the epoch) or a duration ago (15m, 2h) (required)")
    .option("--queue <id>", "one queue id (default: every queue)")
    .option("--broker-group <g>", "only this broker group (repeat for more)", collect);
}

export function groupCommands(program: Command): void {
  const group = program.command("group").description("a consumer group's members, offsets and settings");
  const members = withJson(group.command("members").description("print a group's members: client id, host, version, mode, subscriptions, queues")
    .argument("<group>", "consumer group"));
  natsFlags(members).action(async (g, o) => (await import("./group.js")).groupMembersCommand(g, o));
  examples(members, "rbus group members billing");

  const reset = resetFlags(withJson(group.command("reset").description(RESET)
    .argument("<group>", "consumer group")));
  natsFlags(reset).action(async (g, o) => (await import("./group.js")).groupResetCommand(g, { ...o, brokerGroups: o.brokerGroup }));
  examples(reset, "rbus group reset billing --topic orders --to first", "rbus group reset billing --topic orders --to 2h");

  // mqadmin's resetOffsetByTime under the name the operators know; the same command as group reset
  const offset = program.command("offset").description("a consumer group's offsets");
  const byTime = resetFlags(withJson(offset.command("reset").description(RESET)
    .option("--group <g>", "consumer group (required)")));
  natsFlags(byTime).action(async (o) => (await import("./group.js")).groupResetCommand(required(o.group, "group"), { ...o, brokerGroups: o.brokerGroup }));
  examples(byTime, "rbus offset reset --group billing --topic orders --to 2026-12-01T09:00:00Z", "rbus offset reset --group billing --topic orders --to 15m --queue 0");

  const config = withJson(group.command("config").description("print a group's settings, or change them (keeping what is not given)")
    .argument("<group>", "consumer group")
    .addOption(new Option("--mode <mode>", "clustering (members share the queues) or broadcasting (each gets every message)"))
    .option("--max-retries <n>", "redeliveries before a message goes to the dead-letter queue")
    .option("--enable", "let the group consume")
    .addOption(new Option("--disable", "stop the group from consuming").conflicts("enable"))
    .option("--broker-group <g>", "only on this broker group (repeat for more)", collect));
  natsFlags(config).action(async (g, o) => {
    const enable = o.enable ? true : o.disable ? false : undefined;
    await (await import("./group.js")).groupConfigCommand(g, { ...o, enable, brokerGroups: o.brokerGroup });
  });
  examples(config, "rbus group config billing", "rbus group config billing --mode broadcasting --max-retries 3");

  const list = withJson(group.command("list").description("print every consumer group's stored settings, per broker group"));
  natsFlags(list).action(async (o) => (await import("./group.js")).groupListCommand(o));
  examples(list, "rbus group list --json");
}
