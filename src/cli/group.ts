// rbus group members | reset | config | list (mqadmin consumerConnection,
// resetOffsetByTime, updateSubGroup and its listing) over the Admin.
import { Admin } from "../client/admin.js";
import { MAX_RETRY_TIMES } from "../protocol/index.js";
import { intArg, required, UsageError } from "./args.js";
import { withNats } from "./connected.js";
import type { NatsFlags } from "./options.js";
import { sinceArg } from "./since.js";
import { ago, table } from "./table.js";

export async function groupMembersCommand(group: string, values: NatsFlags & { json: boolean }): Promise<void> {
  await withNats(values, async (nc) => {
    const { members } = await new Admin(nc, { prefix: values.prefix }).consumerConnection(group);
    if (values.json) return console.log(JSON.stringify({ group, members }, null, 2));
    console.log(`Consumer group ${group}: ${members.length} member(s)`);
    console.log(table(["CLIENT", "HOST", "VERSION", "MODE", "SUBSCRIPTIONS", "QUEUES", "BROKERS", "LAST HEARTBEAT"], members.map((m) => [
      m.clientId, m.host, m.version, m.mode, m.subscriptions.map((s) => `${s.topic}:${s.tags}`).join(" "), String(m.queues), m.brokers.join(","), ago(m.lastHeartbeatAt),
    ])));
  });
}

export interface ResetFlags extends NatsFlags {
  topic?: string;
  to?: string;
  queue?: string;
  brokerGroups?: string[];
  json: boolean;
}

export async function groupResetCommand(group: string, values: ResetFlags): Promise<void> {
  const topic = required(values.topic, "topic");
  const to = required(values.to, "to");
  const target = to === "first" || to === "last" ? { to: to as "first" | "last" } : { timestamp: sinceArg(to) };
  const queueId = intArg(values.queue, "queue");
  await withNats(values, async (nc) => {
    const replies = await new Admin(nc, { prefix: values.prefix }).resetOffset({
      group, topic, ...target, ...(queueId === undefined ? {} : { queueId }), ...(values.brokerGroups ? { brokers: values.brokerGroups } : {}),
    });
    if (values.json) return console.log(JSON.stringify(replies, null, 2));
    console.log(table(["BROKER", "QUEUE", "FROM", "TO"], replies.flatMap((r) => r.queues.map((q) => [r.broker, String(q.queueId), String(q.from), String(q.offset)]))));
    // each master told the members it knows; one member heartbeats to every master, so the largest count is the group's
    const live = Math.max(0, ...replies.map((r) => r.members));
    console.log(`told ${live} live member(s) of ${group}: those holding these queues read from the new offsets now`);
  });
}

export interface ConfigFlags extends NatsFlags {
  mode?: string;
  maxRetries?: string;
  enable?: boolean;
  brokerGroups?: string[];
  json: boolean;
}

export async function groupConfigCommand(group: string, values: ConfigFlags): Promise<void> {
  if (values.mode !== undefined && values.mode !== "clustering" && values.mode !== "broadcasting") {
    throw new UsageError(`--mode must be clustering or broadcasting, got "${values.mode}"`);
  }
  const retries = intArg(values.maxRetries, "max-retries");
  if (retries !== undefined && retries > MAX_RETRY_TIMES) throw new UsageError(`--max-retries must be at most ${MAX_RETRY_TIMES}, got ${retries}`);
  await withNats(values, async (nc) => {
    const admin = new Admin(nc, { prefix: values.prefix });
    const change = {
      group,
      ...(values.mode === undefined ? {} : { consumeMode: values.mode as "clustering" | "broadcasting" }),
      ...(retries === undefined ? {} : { retryMaxTimes: retries }),
      ...(values.enable === undefined ? {} : { consumeEnable: values.enable }),
    };
    // nothing to change: print what is stored
    const configs = Object.keys(change).length === 1 ? await admin.subGroups(group) : await admin.updateSubGroup(change, values.brokerGroups ? { brokers: values.brokerGroups } : {});
    printConfigs(configs, values.json);
  });
}

export async function groupListCommand(values: NatsFlags & { json: boolean }): Promise<void> {
  await withNats(values, async (nc) => printConfigs(await new Admin(nc, { prefix: values.prefix }).subGroups(), values.json));
}

type Config = Awaited<ReturnType<Admin["subGroups"]>>[number];

function printConfigs(configs: Config[], json: boolean): void {
  if (json) return console.log(JSON.stringify(configs, null, 2));
  console.log(table(["GROUP", "BROKER", "MODE", "MAX RETRIES", "CONSUME"], configs.map((c) => [c.group, c.broker, c.consumeMode, String(c.retryMaxTimes), c.consumeEnable ? "enabled" : "disabled"])));
}
